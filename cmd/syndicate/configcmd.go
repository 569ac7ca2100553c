package main

import (
	"context"
	"fmt"
	"syndicate"
	"time"

	"github.com/spf13/cobra"

	"syndicate/channels/bluesky"
	"syndicate/channels/mastodon"
	"syndicate/channels/x"
	"syndicate/internal/redact"
)

func (a *app) configCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "config",
		Short: "Check and print the configuration",
		Args:  args(0, "a subcommand: check"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return usagef("config needs a subcommand: check")
		},
	}
	var offline bool
	check := &cobra.Command{
		Use:   "check",
		Short: "Validate the configuration, print it with secrets redacted, and test each connection",
		Long: `check loads the configuration file and SYNDICATE_* variables, reports every
problem at once, prints the result with secrets redacted, then checks that
Redis and the database answer and that the X credentials are accepted.
--offline skips the connection checks.`,
		Args: args(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := a.config()
			if err != nil {
				return err
			}
			fmt.Fprint(a.stdout, cfg.Redacted())
			if offline {
				return nil
			}
			var problems int
			say := func(what string, err error) {
				if err != nil {
					problems++
					fmt.Fprintf(a.stdout, "✗ %s: %v\n", what, redact.Error(err, cfg.URLs()...))
					return
				}
				fmt.Fprintf(a.stdout, "✓ %s\n", what)
			}
			rc, err := a.openRedis(cfg)
			if err == nil {
				rc.Close()
			}
			say("redis", err)
			st, err := a.openStore(cfg)
			say("database", err)
			if err == nil {
				a.checkComplaintRate(st, say)
				states, err := st.ChannelStates(a.ctx)
				st.Close()
				if err != nil {
					return err
				}
				for _, cs := range states {
					if cs.State == syndicate.ChannelNeedsCredentials {
						say(string(cs.Channel)+" credentials", fmt.Errorf("refused by the network at %s: %s", cs.UpdatedAt.UTC().Format("2006-01-02 15:04 MST"), cs.Reason))
					}
				}
			}
			if cfg.X.Enabled() {
				xc, err := x.New(x.Config{APIURL: cfg.X.APIURL, ConsumerKey: cfg.X.ConsumerKey, ConsumerSecret: cfg.X.ConsumerSecret, AccessToken: cfg.X.AccessToken, AccessSecret: cfg.X.AccessSecret})
				if err == nil {
					ctx, cancel := context.WithTimeout(a.ctx, 15*time.Second)
					err = xc.Check(ctx)
					cancel()
				}
				say("x credentials", err)
			}
			if cfg.Mastodon.Enabled() {
				mc, err := mastodon.New(mastodon.Config{URL: cfg.Mastodon.URL, Token: cfg.Mastodon.Token, Visibility: cfg.Mastodon.Visibility})
				if err == nil {
					ctx, cancel := context.WithTimeout(a.ctx, 15*time.Second)
					err = mc.Check(ctx)
					cancel()
				}
				say("mastodon credentials", err)
			}
			if cfg.Bluesky.Enabled() {
				bc, err := bluesky.New(bluesky.Config{URL: cfg.Bluesky.URL, Handle: cfg.Bluesky.Handle, AppPassword: cfg.Bluesky.AppPassword})
				if err == nil {
					ctx, cancel := context.WithTimeout(a.ctx, 15*time.Second)
					err = bc.Check(ctx)
					cancel()
				}
				say("bluesky credentials", err)
			}
			if problems > 0 {
				return &exitError{code: 1, msg: fmt.Sprintf("%d of the checks failed", problems)}
			}
			return nil
		},
	}
	check.Flags().BoolVar(&offline, "offline", false, "do not test connections")
	c.AddCommand(check)
	return c
}
