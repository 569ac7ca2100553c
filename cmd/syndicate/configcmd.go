package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"syndicate"
	"syndicate/channels/bluesky"
	"syndicate/channels/email"
	"syndicate/channels/mastodon"
	"syndicate/channels/webhook"
	"syndicate/channels/x"
	"syndicate/config"
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
problem at once, prints the result with secrets redacted, then tests what it
can reach and prints one table of what answered, with the reply or the
error:

  redis, database   they answer;
  smtp              connect, EHLO, STARTTLS (or TLS) and AUTH as configured,
                    then QUIT: no message is sent;
  webhook targets   each answers a HEAD request (nothing is posted);
  dkim              the key's public half is the one in DNS at
                    selector._domainkey.domain; when it is missing or
                    different, or DNS cannot be reached, the record to
                    publish is printed;
  x, mastodon,      the credentials are accepted.
  bluesky

It also warns (without failing) about sender hygiene: no DKIM key, no
postal address (brand.address), a From domain that is not the DKIM domain,
a base_url that is not https. It exits 1 when anything required failed.
--offline skips the connection tests.`,
		Args: args(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.configCheck(offline, net.DefaultResolver.LookupTXT)
		},
	}
	check.Flags().BoolVar(&offline, "offline", false, "do not test connections")
	c.AddCommand(check)
	return c
}

// checkRow is one line of config check's table.
type checkRow struct {
	mark  string // ✓ answered, ✗ failed, ! warning
	name  string
	reply string
}

// checkTimeout bounds each connection test.
const checkTimeout = 15 * time.Second

// configCheck is `config check`; lookup finds DNS TXT records (the DKIM
// key's).
func (a *app) configCheck(offline bool, lookup func(ctx context.Context, name string) ([]string, error)) error {
	cfg, err := a.config()
	if err != nil {
		return err
	}
	fmt.Fprint(a.stdout, cfg.Redacted())
	var (
		rows     []checkRow
		failures int
		publish  string // the DKIM record to publish, when DNS does not have it
	)
	ok := func(name, reply string) { rows = append(rows, checkRow{"✓", name, reply}) }
	warn := func(name, msg string) { rows = append(rows, checkRow{"!", name, msg}) }
	fail := func(name string, err error) {
		failures++
		rows = append(rows, checkRow{"✗", name, redact.Error(err, cfg.URLs()...).Error()})
	}
	for _, w := range senderWarnings(cfg) {
		warn(w[0], w[1])
	}
	if !offline {
		a.checkConnections(cfg, ok, warn, fail)
		if d, on := dkimConfig(cfg); on {
			name, value, err := email.DKIMRecord(d)
			if err != nil {
				fail("dkim key", err)
			} else {
				ctx, cancel := context.WithTimeout(a.ctx, checkTimeout)
				txt, err := email.CheckDKIMDNS(ctx, d, lookup)
				cancel()
				switch {
				case err == nil:
					ok("dkim dns", fmt.Sprintf("%s has the key's public half (%d characters)", name, len(txt)))
				case errors.Is(err, email.ErrDNSUnreachable):
					warn("dkim dns", err.Error()+"; publish the record below")
					publish = fmt.Sprintf("%s TXT %q", name, value)
				default:
					fail("dkim dns", fmt.Errorf("%w; publish the record below", err))
					publish = fmt.Sprintf("%s TXT %q", name, value)
				}
			}
		}
	}
	if len(rows) > 0 {
		tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "\nCHECK\tREPLY OR ERROR")
		for _, r := range rows {
			fmt.Fprintf(tw, "%s %s\t%s\n", r.mark, r.name, termSafe(r.reply))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if publish != "" {
		fmt.Fprintf(a.stdout, "\nthe DKIM record to publish:\n  %s\n", publish)
	}
	if failures > 0 {
		return &exitError{code: 1, msg: fmt.Sprintf("%d of the checks failed", failures)}
	}
	return nil
}

// checkConnections tests Redis, the database, SMTP, the webhook targets
// and the social credentials.
func (a *app) checkConnections(cfg config.Config, ok, warn func(name, reply string), fail func(string, error)) {
	rc, err := a.openRedis(cfg)
	if err == nil {
		rc.Close()
		_, where, _ := newRedisClient(cfg.RedisURL) // parsed already by openRedis
		ok("redis", "PONG from "+where)
	} else {
		fail("redis", err)
	}
	st, err := a.openStore(cfg)
	if err != nil {
		fail("database", err)
	} else {
		ok("database", "opened, schema up to date")
		a.checkComplaintRate(st, ok, warn, fail)
		states, err := st.ChannelStates(a.ctx)
		st.Close()
		if err != nil {
			fail("database", err)
		}
		for _, cs := range states {
			if cs.State == syndicate.ChannelNeedsCredentials {
				fail(string(cs.Channel)+" credentials", fmt.Errorf("refused by the network at %s: %s", cs.UpdatedAt.UTC().Format("2006-01-02 15:04 MST"), cs.Reason))
			}
		}
	}
	if cfg.SMTPURL != "" {
		s, err := email.New(email.Config{URL: cfg.SMTPURL, Timeout: checkTimeout})
		if err != nil {
			fail("smtp", err)
		} else {
			ctx, cancel := context.WithTimeout(a.ctx, checkTimeout)
			reply, err := s.Check(ctx)
			cancel()
			if err != nil {
				fail("smtp "+s.Addr(), err)
			} else {
				ok("smtp "+s.Addr(), reply)
			}
		}
	}
	if ts := webhookTargets(cfg); len(ts) > 0 {
		wc, err := webhook.New(webhook.Config{Targets: ts, AllowPrivate: cfg.Webhook.AllowPrivate, Timeout: checkTimeout})
		if err != nil {
			fail("webhook", err)
		} else {
			ctx, cancel := context.WithTimeout(a.ctx, checkTimeout*time.Duration(len(ts)))
			for _, tc := range wc.Check(ctx) {
				if tc.Err != nil {
					fail("webhook "+tc.Name, tc.Err)
				} else {
					ok("webhook "+tc.Name, fmt.Sprintf("HEAD answered %d", tc.Status))
				}
			}
			cancel()
		}
	}
	social := func(name string, check func(context.Context) error) {
		ctx, cancel := context.WithTimeout(a.ctx, checkTimeout)
		defer cancel()
		if err := check(ctx); err != nil {
			fail(name+" credentials", err)
		} else {
			ok(name+" credentials", "accepted")
		}
	}
	if cfg.X.Enabled() {
		social("x", func(ctx context.Context) error {
			xc, err := x.New(x.Config{APIURL: cfg.X.APIURL, ConsumerKey: cfg.X.ConsumerKey, ConsumerSecret: cfg.X.ConsumerSecret, AccessToken: cfg.X.AccessToken, AccessSecret: cfg.X.AccessSecret})
			if err != nil {
				return err
			}
			return xc.Check(ctx)
		})
	}
	if cfg.Mastodon.Enabled() {
		social("mastodon", func(ctx context.Context) error {
			mc, err := mastodon.New(mastodon.Config{URL: cfg.Mastodon.URL, Token: cfg.Mastodon.Token, Visibility: cfg.Mastodon.Visibility})
			if err != nil {
				return err
			}
			return mc.Check(ctx)
		})
	}
	if cfg.Bluesky.Enabled() {
		social("bluesky", func(ctx context.Context) error {
			bc, err := bluesky.New(bluesky.Config{URL: cfg.Bluesky.URL, Handle: cfg.Bluesky.Handle, AppPassword: cfg.Bluesky.AppPassword})
			if err != nil {
				return err
			}
			return bc.Check(ctx)
		})
	}
}

// webhookTargets are the configured webhook targets, the one from the
// environment last.
func webhookTargets(cfg config.Config) []webhook.Target {
	targets := cfg.Webhook.All()
	ts := make([]webhook.Target, len(targets))
	for i, t := range targets {
		ts[i] = webhook.Target{URL: t.URL, Format: t.Format, Secret: t.Secret}
	}
	return ts
}

// dkimConfig is the DKIM signing configuration; on when all three
// settings are given.
func dkimConfig(cfg config.Config) (email.DKIMConfig, bool) {
	s := cfg.SMTP
	d := email.DKIMConfig{Domain: s.DKIMDomain, Selector: s.DKIMSelector, KeyFile: s.DKIMKeyFile}
	return d, d.Domain != "" && d.Selector != "" && d.KeyFile != ""
}

// senderWarnings are the sender hygiene problems of an email setup that
// receivers (Gmail, Yahoo) hold against a bulk sender, each a name and a
// message; none when email is off.
func senderWarnings(cfg config.Config) [][2]string {
	if cfg.SMTPURL == "" {
		return nil
	}
	var out [][2]string
	d, dkimOn := dkimConfig(cfg)
	if !dkimOn {
		out = append(out, [2]string{"dkim key", "no DKIM key is set (smtp.dkim_domain, dkim_selector, dkim_key_file): Gmail and Yahoo expect bulk mail signed"})
	}
	if strings.TrimSpace(cfg.Brand.Address) == "" {
		out = append(out, [2]string{"postal address", "brand.address is empty: CAN-SPAM and the bulk sender rules want a postal address in every email"})
	}
	if from := fromDomainOf(cfg.From); dkimOn && from != "" && !aligned(from, d.Domain) {
		out = append(out, [2]string{"dkim domain", fmt.Sprintf("the From domain %s is not the DKIM domain %s (nor under it): DMARC will not count the signature", from, strings.ToLower(d.Domain))})
	}
	if u, err := url.Parse(cfg.BaseURL); cfg.BaseURL != "" && (err != nil || u.Scheme != "https") {
		out = append(out, [2]string{"base_url", "base_url is not https: unsubscribe and preference links would go in the clear, and Gmail wants one-click unsubscribe over https"})
	}
	return out
}

// fromDomainOf is the domain of the From address, lower case; "" when it
// does not parse (config validation reports that).
func fromDomainOf(from string) string {
	addr, err := mail.ParseAddress(from)
	if err != nil {
		return ""
	}
	_, domain, ok := strings.Cut(addr.Address, "@")
	if !ok {
		return ""
	}
	return strings.ToLower(domain)
}

// aligned reports DMARC relaxed alignment: the From domain is the DKIM
// domain or under it.
func aligned(from, dkimDomain string) bool {
	d := strings.ToLower(strings.TrimSuffix(dkimDomain, "."))
	return from == d || strings.HasSuffix(from, "."+d)
}
