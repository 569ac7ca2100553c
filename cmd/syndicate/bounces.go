package main

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"syndicate"
	"syndicate/bounce"
	"syndicate/config"
	"syndicate/store"
	"syndicate/web"
)

// bounceProcessor applies bounce and complaint events to st by cfg's rules.
func bounceProcessor(cfg config.Config, st *store.Store, log *slog.Logger) *bounce.Processor {
	var _ bounce.Store = st
	return &bounce.Processor{
		Store: st, Secret: cfg.Secret, Log: log,
		SoftLimit: cfg.Bounces.SoftLimit, SoftWindow: time.Duration(cfg.Bounces.SoftWindow),
	}
}

// bounceHooks is the web package's view of the bounce webhook settings.
func bounceHooks(cfg config.Config) web.BounceHooks {
	b := cfg.Bounces
	// SNS certificates and confirmations are fetched like content, so an
	// SNS host that resolves to an internal address is refused too.
	return web.BounceHooks{
		SNSTopics: b.SESTopicARNs, Fetcher: contentFetcher(cfg),
		PostmarkUser: b.PostmarkUsername, PostmarkPassword: b.PostmarkPassword, PostmarkSecret: b.PostmarkSecret,
		SendGridKey: b.SendGridPublicKey, MailgunKey: b.MailgunSigningKey,
	}
}

// bouncePoller is the scheduler role's reader of the bounce mailbox; nil
// when bounces.imap.url is not set.
func bouncePoller(cfg config.Config, st *store.Store, log *slog.Logger) *bounce.Poller {
	m := cfg.Bounces.IMAP
	if m.URL == "" {
		return nil
	}
	return &bounce.Poller{
		Mailbox: bounce.Mailbox{
			URL: m.URL, Username: m.Username, Password: m.Password,
			Mailbox: m.Mailbox, Processed: m.Processed,
		},
		Processor: bounceProcessor(cfg, st, log),
		Log:       log,
	}
}

func (a *app) bouncesCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "bounces",
		Short: "Take in bounce and complaint reports",
		Args:  args(0, "a subcommand: ingest"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return usagef("bounces needs a subcommand: ingest")
		},
	}
	c.AddCommand(&cobra.Command{
		Use:   "ingest",
		Short: "Apply one bounce (RFC 3464 DSN) or complaint (RFC 5965 ARF) read from standard input",
		Long: `ingest reads one email from standard input, as a mail server's pipe
delivers it (syndicate bounces ingest < message.eml), and applies it: a
delivery status notification's failed recipients are hard or soft bounces,
a feedback report's abuse complaint unsubscribes. The report must match an
email we sent, by the VERP return path it came back to or by the original
Message-ID. Reading the same report again changes nothing. It exits 1 with
one sentence when the message is no such report or matches nothing, and
75 (EX_TEMPFAIL, so a mail server's pipe defers the message and tries
again) when the database could not take it.`,
		Args: args(0, "no arguments (the message comes on standard input)"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := a.config()
			if err != nil {
				return err
			}
			st, err := a.openStore(cfg)
			if err != nil {
				return tempFail(err)
			}
			defer st.Close()
			results, err := bounceProcessor(cfg, st, a.logger()).ProcessMessage(a.ctx, a.stdin)
			for _, r := range results {
				fmt.Fprintf(a.stdout, "%s: %s\n", termSafe(r.Address), r.Outcome)
			}
			if err != nil && syndicate.ErrorCode(err) != syndicate.EINVALID {
				return tempFail(err)
			}
			if err != nil {
				return err
			}
			if len(results) == 0 {
				fmt.Fprintln(a.stdout, "nothing to do: the report names no failed or delayed recipient, or is not a complaint")
			}
			return nil
		},
	})
	return c
}

func (a *app) suppressionsCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "suppressions",
		Short: "List, add, remove, import and export suppressed addresses",
		Long: `The suppression list holds addresses that are never mailed, whatever their
subscriber row says and whoever adds them again (an import, a
re-subscribe, the sign-up form), until they are removed from it. Bounces and complaints add
to it by themselves; each entry has a reason (unsubscribed, bounced,
complained or manual) and a date.`,
		Args: args(0, "a subcommand: list, add, remove, import or export"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return usagef("suppressions needs a subcommand: list, add, remove, import or export")
		},
	}
	var reason string
	add := &cobra.Command{
		Use:   "add EMAIL",
		Short: "Suppress an address",
		Args:  args(1, "one email address"),
		RunE: func(cmd *cobra.Command, argv []string) error {
			r, err := syndicate.ParseSuppressionReason(reason)
			if err != nil {
				return &usageError{msg: err.Error()}
			}
			addr, err := syndicate.NormalizeEmail(argv[0])
			if err != nil {
				return err
			}
			return a.withStore(func(st *store.Store) error {
				added, err := st.AddSuppression(a.ctx, syndicate.Suppression{Email: addr, Reason: r, Detail: "added by an editor"})
				if err != nil {
					return err
				}
				if !added {
					fmt.Fprintf(a.stdout, "%s was already suppressed\n", termSafe(addr))
					return nil
				}
				fmt.Fprintf(a.stdout, "suppressed %s (%s)\n", termSafe(addr), r)
				return nil
			})
		},
	}
	add.Flags().StringVar(&reason, "reason", "manual", "unsubscribed, bounced, complained or manual")
	remove := &cobra.Command{
		Use:   "remove EMAIL",
		Short: "Take an address off the suppression list (its subscriber keeps its status)",
		Args:  args(1, "one email address"),
		RunE: func(cmd *cobra.Command, argv []string) error {
			return a.withStore(func(st *store.Store) error {
				if err := st.RemoveSuppression(a.ctx, argv[0]); err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "removed %s from the suppression list\n", termSafe(argv[0]))
				return nil
			})
		},
	}
	list := &cobra.Command{
		Use:   "list",
		Short: "List the suppressed addresses",
		Args:  args(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withStore(func(st *store.Store) error {
				tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "EMAIL\tREASON\tDATE\tDETAIL")
				err := eachSuppression(a, st, func(s syndicate.Suppression) {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", termSafe(s.Email), s.Reason, s.CreatedAt.Format(time.DateOnly), termSafe(s.Detail))
				})
				if err != nil {
					return err
				}
				return tw.Flush()
			})
		},
	}
	export := &cobra.Command{
		Use:   "export",
		Short: "Write the suppression list as CSV (email,reason,date,detail) to standard output",
		Args:  args(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withStore(func(st *store.Store) error {
				w := csv.NewWriter(a.stdout)
				if err := w.Write([]string{"email", "reason", "date", "detail"}); err != nil {
					return err
				}
				var werr error
				err := eachSuppression(a, st, func(s syndicate.Suppression) {
					if werr == nil {
						werr = w.Write([]string{s.Email, string(s.Reason), s.CreatedAt.Format(time.RFC3339), csvSafe(s.Detail)})
					}
				})
				if err != nil {
					return err
				}
				if werr != nil {
					return werr
				}
				w.Flush()
				return w.Error()
			})
		},
	}
	importCmd := &cobra.Command{
		Use:   "import FILE.csv|-",
		Short: "Suppress the addresses of a CSV file (header: email, and optionally reason, date, detail)",
		Long: `import reads a CSV file whose header names the columns email and optionally
reason (unsubscribed, bounced, complained, manual; default manual), date
(RFC 3339 or YYYY-MM-DD; default now) and detail: what export writes, or
another system's list. Addresses already suppressed keep their first
reason. Rows that are not valid CSV or name a bad address, reason or date
are reported with their line numbers and nothing is imported; it then
exits 1.`,
		Args: args(1, "one CSV file, or - for standard input"),
		RunE: func(cmd *cobra.Command, argv []string) error {
			b, err := a.readImport(argv[0], "suppression file")
			if err != nil {
				return err
			}
			sups, err := parseSuppressionCSV(a, argv[0], b)
			if err != nil {
				return err
			}
			return a.withStore(func(st *store.Store) error {
				n, err := st.AddSuppressions(a.ctx, sups)
				if err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "imported %s: %d suppressed, %d already were\n", termSafe(argv[0]), n, len(sups)-n)
				return nil
			})
		},
	}
	c.AddCommand(list, add, remove, importCmd, export)
	return c
}

// eachSuppression calls fn for every suppression, in address order.
func eachSuppression(a *app, st *store.Store, fn func(syndicate.Suppression)) error {
	after := ""
	for {
		page, err := st.ListSuppressions(a.ctx, after, 500)
		if err != nil {
			return err
		}
		for _, s := range page {
			fn(s)
		}
		if len(page) < 500 {
			return nil
		}
		after = page[len(page)-1].Email
	}
}

// csvSafe keeps a spreadsheet from running a cell as a formula.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// parseSuppressionCSV reads a suppression file (see readCSV); every bad
// row is reported on stderr and refuses the whole file.
func parseSuppressionCSV(a *app, name string, b []byte) ([]syndicate.Suppression, error) {
	f, err := readCSV("suppression", name, b)
	if err != nil {
		return nil, err
	}
	var (
		out     []syndicate.Suppression
		refused int
	)
	for l := range f.lines() {
		problem := l.Problem
		var sup syndicate.Suppression
		if problem == "" {
			problem = suppressionRow(f, l.Rec, &sup)
		}
		if problem != "" {
			fmt.Fprintf(a.stderr, "%s:%d: %s\n", termSafe(name), l.Line, termSafe(problem))
			refused++
			continue
		}
		out = append(out, sup)
	}
	if refused > 0 {
		return nil, &exitError{code: 1, msg: fmt.Sprintf("%d rows of %s were refused (see above); nothing was imported", refused, termSafe(name))}
	}
	return out, nil
}

// suppressionRow reads one line of a suppression file into sup and
// returns what is wrong with it, or "".
func suppressionRow(f *csvFile, rec []string, sup *syndicate.Suppression) string {
	var err error
	sup.Detail = strings.TrimPrefix(f.field(rec, "detail"), "'") // see csvSafe
	if sup.Email, err = syndicate.NormalizeEmail(f.field(rec, "email")); err != nil {
		return syndicate.ErrorMessage(err)
	}
	if sup.Reason, err = syndicate.ParseSuppressionReason(f.field(rec, "reason")); err != nil {
		return syndicate.ErrorMessage(err)
	}
	if d := f.field(rec, "date"); d != "" {
		if sup.CreatedAt, err = time.Parse(time.RFC3339, d); err != nil {
			if sup.CreatedAt, err = time.Parse(time.DateOnly, d); err != nil {
				return fmt.Sprintf("date %q is not RFC 3339 or YYYY-MM-DD", d)
			}
		}
	}
	return ""
}

// exTempFail is sysexits' EX_TEMPFAIL: a mail server that pipes a
// message to a command keeps it and tries again later on this code.
const exTempFail = 75

// tempFail is err as a failure to try again later.
func tempFail(err error) error {
	return &exitError{code: exTempFail, msg: syndicate.ErrorMessage(err) + "; try again later"}
}

// runBackground runs fn until ctx ends or the returned stop is called,
// and stop waits for it to return.
func runBackground(ctx context.Context, fn func(context.Context)) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(ctx)
	}()
	return func() {
		cancel()
		<-done
	}
}

// Complaint-rate thresholds of config check: Gmail and Yahoo ask bulk
// senders to stay under 0.1 % and block those over 0.3 %.
const (
	complaintWarn  = 0.001
	complaintError = 0.003
)

// complaintVerdict judges complaints among sent emails: "" (fine, or
// nothing sent), "warning" or "error", with the sentence to print.
func complaintVerdict(complaints, sent int) (level, msg string) {
	if sent == 0 {
		return "", ""
	}
	rate := float64(complaints) / float64(sent)
	msg = fmt.Sprintf("%.2f%% (%d complaints for %d emails in the last 30 days)", 100*rate, complaints, sent)
	switch {
	case rate > complaintError:
		return "error", msg + " is over 0.3%: Gmail and Yahoo block senders above it"
	case rate > complaintWarn:
		return "warning", msg + " is over 0.1%: Gmail and Yahoo ask bulk senders to stay under it"
	}
	return "", msg
}

// checkComplaintRate is config check's line on the last 30 days'
// complaint rate: a failed check over 0.3 %, a warning over 0.1 %.
func (a *app) checkComplaintRate(st *store.Store, ok, warn func(name, msg string), fail func(string, error)) {
	complaints, sent, err := st.ComplaintRate(a.ctx, time.Now().Add(-30*24*time.Hour))
	if err != nil {
		fail("complaint rate", err)
		return
	}
	switch level, msg := complaintVerdict(complaints, sent); level {
	case "error":
		fail("complaint rate", errors.New(msg))
	case "warning":
		warn("complaint rate", msg)
	default:
		if msg != "" {
			ok("complaint rate", msg)
		}
	}
}

// warnSuppressed tells the editor who added email that it is on the
// suppression list, and so will not be mailed.
func warnSuppressed(a *app, st *store.Store, email string) {
	sup, err := st.Suppression(a.ctx, email)
	if err != nil {
		return // not suppressed, or the store cannot say: the send path checks again
	}
	fmt.Fprintf(a.stderr, "note: %s is on the suppression list (%s since %s) and will not be mailed; `syndicate suppressions remove` lifts that\n",
		termSafe(sup.Email), sup.Reason, sup.CreatedAt.Format(time.DateOnly))
}
