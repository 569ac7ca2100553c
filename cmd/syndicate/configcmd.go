package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"syndicate/channels/x"
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
					fmt.Fprintf(a.stdout, "✗ %s: %v\n", what, err)
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
			if err == nil {
				st.Close()
			}
			say("database", err)
			if cfg.X.Enabled() {
				xc, err := x.New(x.Config{APIURL: cfg.X.APIURL, ConsumerKey: cfg.X.ConsumerKey, ConsumerSecret: cfg.X.ConsumerSecret, AccessToken: cfg.X.AccessToken, AccessSecret: cfg.X.AccessSecret})
				if err == nil {
					ctx, cancel := context.WithTimeout(a.ctx, 15*time.Second)
					err = xc.Check(ctx)
					cancel()
				}
				say("x credentials", err)
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
