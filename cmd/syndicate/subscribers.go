package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"syndicate"
	"syndicate/store"
)

// maxImportSize bounds a CSV import.
const maxImportSize = 50 << 20

func (a *app) subscribersCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "subscribers",
		Short: "Add, import, list and remove subscribers",
		Args:  args(0, "a subcommand: add, import, list or remove"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return usagef("subscribers needs a subcommand: add, import, list or remove")
		},
	}
	c.AddCommand(a.subscribersAddCmd(), a.subscribersImportCmd(), a.subscribersListCmd(), a.subscribersRemoveCmd())
	return c
}

// withStore opens the configured store for the length of fn.
func (a *app) withStore(fn func(st *store.Store) error) error {
	cfg, err := a.config()
	if err != nil {
		return err
	}
	st, err := a.openStore(cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	return fn(st)
}

func (a *app) subscribersAddCmd() *cobra.Command {
	var name, freq string
	c := &cobra.Command{
		Use:   "add EMAIL",
		Short: "Add a subscriber, or update one's name and frequency",
		Args:  args(1, "one email address"),
		RunE: func(cmd *cobra.Command, argv []string) error {
			f, err := syndicate.ParseFrequency(freq)
			if err != nil {
				return &usageError{msg: err.Error()}
			}
			sub := syndicate.Subscriber{Email: argv[0], Name: name, Frequency: f, Status: syndicate.SubscriberActive}
			if err := sub.Validate(); err != nil {
				return err
			}
			return a.withStore(func(st *store.Store) error {
				s, created, err := st.UpsertSubscriber(a.ctx, sub)
				if err != nil {
					return err
				}
				verb := "updated"
				if created {
					verb = "added"
				}
				fmt.Fprintf(a.stdout, "%s %s (%s)\n", verb, s.Email, s.Frequency)
				return nil
			})
		},
	}
	c.Flags().StringVar(&name, "name", "", "the subscriber's name")
	c.Flags().StringVar(&freq, "frequency", "instant", "instant, daily or weekly")
	return c
}

func (a *app) subscribersRemoveCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "remove EMAIL",
		Short: "Unsubscribe an address (it is kept, so it is never mailed again)",
		Args:  args(1, "one email address"),
		RunE: func(cmd *cobra.Command, argv []string) error {
			return a.withStore(func(st *store.Store) error {
				if err := st.RemoveSubscriber(a.ctx, argv[0]); err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "removed %s\n", argv[0])
				return nil
			})
		},
	}
}

func (a *app) subscribersListCmd() *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "list",
		Short: "List subscribers",
		Args:  args(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withStore(func(st *store.Store) error {
				var all []syndicate.Subscriber
				var after int64
				for {
					page, err := st.ListSubscribers(a.ctx, after, 500)
					if err != nil {
						return err
					}
					all = append(all, page...)
					if len(page) < 500 {
						break
					}
					after = page[len(page)-1].ID
				}
				if asJSON {
					if all == nil {
						all = []syndicate.Subscriber{}
					}
					enc := json.NewEncoder(a.stdout)
					enc.SetIndent("", "  ")
					enc.SetEscapeHTML(false)
					return enc.Encode(all)
				}
				tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "EMAIL\tNAME\tFREQUENCY\tSTATUS")
				for _, s := range all {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", s.Email, s.Name, s.Frequency, s.Status)
				}
				return tw.Flush()
			})
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print a JSON list")
	return c
}

func (a *app) subscribersImportCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "import FILE.csv|-",
		Short: "Import subscribers from CSV (header: email,name,frequency)",
		Long: `import reads a CSV file whose header names the columns email, name and
frequency (only email is required). Good rows are added or updated (a
re-import updates, never duplicates); bad rows are reported with their line
numbers and skipped. It exits 1 if any row was bad.`,
		Args: args(1, "one CSV file, or - for standard input"),
		RunE: func(cmd *cobra.Command, argv []string) error {
			var r io.Reader = a.stdin
			if argv[0] != "-" {
				f, err := os.Open(argv[0])
				if err != nil {
					return fmt.Errorf("open subscriber file: %w", err)
				}
				defer f.Close()
				r = f
			}
			b, err := readAll(r, maxImportSize)
			if err != nil {
				return fmt.Errorf("read %s: %w", argv[0], err)
			}
			return a.withStore(func(st *store.Store) error { return a.importCSV(st, argv[0], b) })
		},
	}
}

func (a *app) importCSV(st *store.Store, name string, b []byte) error {
	cr := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))))
	cr.FieldsPerRecord = -1
	head, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return syndicate.Errorf(syndicate.EINVALID, "subscriber file %s is empty", name)
	}
	if err != nil {
		return syndicate.Errorf(syndicate.EINVALID, "subscriber file %s is not CSV: %v", name, err)
	}
	col := map[string]int{}
	for i, h := range head {
		col[strings.ToLower(strings.TrimSpace(h))] = i
	}
	if _, ok := col["email"]; !ok {
		return syndicate.Errorf(syndicate.EINVALID, "subscriber file %s has no email column in its header", name)
	}
	field := func(rec []string, name string) string {
		if i, ok := col[name]; ok && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	var added, updated, bad int
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.Line
			}
			fmt.Fprintf(a.stderr, "%s:%d: not valid CSV: %v\n", name, line, err)
			bad++
			continue
		}
		f, ferr := syndicate.ParseFrequency(field(rec, "frequency"))
		sub := syndicate.Subscriber{Email: field(rec, "email"), Name: field(rec, "name"), Frequency: f, Status: syndicate.SubscriberActive}
		if ferr == nil {
			ferr = sub.Validate()
		}
		if ferr != nil {
			fmt.Fprintf(a.stderr, "%s:%d: %s\n", name, line, syndicate.ErrorMessage(ferr))
			bad++
			continue
		}
		_, created, err := st.UpsertSubscriber(a.ctx, sub)
		if err != nil {
			return fmt.Errorf("%s:%d: %w", name, line, err)
		}
		if created {
			added++
		} else {
			updated++
		}
	}
	fmt.Fprintf(a.stdout, "imported %s: %d added, %d updated, %d bad rows\n", name, added, updated, bad)
	if bad > 0 {
		return &exitError{code: 1, msg: fmt.Sprintf("%d rows of %s were not imported (see above)", bad, name)}
	}
	return nil
}
