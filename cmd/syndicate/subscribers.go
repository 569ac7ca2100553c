package main

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"strings"
	"text/tabwriter"
	"unicode/utf8"

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
	var resubscribe bool
	c := &cobra.Command{
		Use:   "add EMAIL",
		Short: "Add a subscriber, or update one's name and frequency",
		Long: `add adds an active subscriber, or updates the name and frequency of one
already on the list. An address that unsubscribed or bounced is left as it
is and add exits 1, unless --resubscribe says the person asked to come back;
that is logged.`,
		Args: args(1, "one email address"),
		RunE: func(cmd *cobra.Command, argv []string) error {
			f, err := syndicate.ParseFrequency(freq)
			if err != nil {
				return &usageError{msg: err.Error()}
			}
			sub := syndicate.Subscriber{Email: argv[0], Name: strings.TrimSpace(name), Frequency: f, Status: syndicate.SubscriberActive}
			if err := sub.Validate(); err != nil {
				return err
			}
			return a.withStore(func(st *store.Store) error {
				saved, err := st.AddSubscriber(a.ctx, sub, resubscribe)
				if err != nil {
					return err
				}
				s := saved.Subscriber
				if saved.Outcome == store.SubscriberSuppressed {
					return syndicate.Errorf(syndicate.ECONFLICT, "%s is %s; not changed (use --resubscribe if they asked to come back)", termSafe(s.Email), s.Status)
				}
				if saved.Outcome == store.SubscriberResubscribed {
					a.logger().Info("resubscribed a suppressed address", "email", termSafe(s.Email), "was", string(saved.Was))
				}
				fmt.Fprintf(a.stdout, "%s %s (%s)\n", saved.Outcome, termSafe(s.Email), s.Frequency)
				warnSuppressed(a, st, s.Email)
				return nil
			})
		},
	}
	c.Flags().StringVar(&name, "name", "", "the subscriber's name")
	c.Flags().StringVar(&freq, "frequency", "instant", "instant, daily or weekly")
	c.Flags().BoolVar(&resubscribe, "resubscribe", false, "make an unsubscribed or bounced address active again")
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
				fmt.Fprintf(a.stdout, "removed %s\n", termSafe(argv[0]))
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
					return writeJSON(a.stdout, all)
				}
				tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "EMAIL\tNAME\tFREQUENCY\tSTATUS")
				for _, s := range all {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", termSafe(s.Email), termSafe(s.Name), s.Frequency, termSafe(string(s.Status)))
				}
				return tw.Flush()
			})
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print a JSON list")
	return c
}

func (a *app) subscribersImportCmd() *cobra.Command {
	var resubscribe bool
	c := &cobra.Command{
		Use:   "import FILE.csv|-",
		Short: "Import subscribers from CSV (header: email,name,frequency)",
		Long: `import reads a CSV file whose header names the columns email, name and
frequency (only email is required), one subscriber per line. New addresses
are added and known ones updated (a re-import updates, never duplicates).
An address that unsubscribed or bounced is skipped and reported with its
line number, unless --resubscribe is given (each one is then logged).
Rows that are not valid CSV or name a bad address, name or frequency are
reported with their line numbers and refused; the other rows are still
imported. It exits 1 if any row was refused.`,
		Args: args(1, "one CSV file, or - for standard input"),
		RunE: func(cmd *cobra.Command, argv []string) error {
			b, err := a.readImport(argv[0], "subscriber file")
			if err != nil {
				return err
			}
			return a.withStore(func(st *store.Store) error { return a.importCSV(st, argv[0], b, resubscribe) })
		},
	}
	c.Flags().BoolVar(&resubscribe, "resubscribe", false, "make unsubscribed or bounced addresses in the file active again")
	return c
}

// Bounds of one import, besides maxImportSize.
const (
	maxImportLine = 4096      // bytes of one line
	maxImportRows = 1_000_000 // data lines read
)

// csvRow is one data line of a subscriber file: the subscriber it names,
// validated and normalised, or the problem that refuses it.
type csvRow struct {
	Line    int
	Sub     syndicate.Subscriber
	Problem string // set when the row is refused
}

// parseSubscriberCSV checks the header of a subscriber file and returns its
// data rows (see readCSV).
func parseSubscriberCSV(name string, b []byte) (iter.Seq[csvRow], error) {
	f, err := readCSV("subscriber", name, b)
	if err != nil {
		return nil, err
	}
	return func(yield func(csvRow) bool) {
		for l := range f.lines() {
			row := csvRow{Line: l.Line, Problem: l.Problem}
			if row.Problem == "" {
				freq, err := syndicate.ParseFrequency(f.field(l.Rec, "frequency"))
				row.Sub = syndicate.Subscriber{Email: f.field(l.Rec, "email"), Name: f.field(l.Rec, "name"), Frequency: freq, Status: syndicate.SubscriberActive}
				if err == nil {
					err = row.Sub.Validate()
				}
				if err != nil {
					row.Sub, row.Problem = syndicate.Subscriber{}, syndicate.ErrorMessage(err)
				}
			}
			if !yield(row) {
				return
			}
		}
	}, nil
}

// csvFile is a CSV file of the CLI (subscribers, suppressions): its
// header's columns, which must include email, and its data lines.
type csvFile struct {
	col  map[string]int
	rest []byte
}

// csvLine is one data line: its number and fields, or why it is refused.
type csvLine struct {
	Line    int
	Rec     []string
	Problem string
}

// readCSV checks the header of the kind's file name. Each line is then
// parsed as CSV on its own (see lines), so a stray quote or an
// unterminated field costs only its own line (no field holds a line
// break); lines are bounded by maxImportLine and their number by
// maxImportRows.
func readCSV(kind, name string, b []byte) (*csvFile, error) {
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	headLine, rest, _ := bytes.Cut(b, []byte("\n"))
	if len(bytes.TrimSpace(headLine)) == 0 {
		return nil, syndicate.Errorf(syndicate.EINVALID, "%s file %s is empty or its first line is blank", kind, name)
	}
	if len(headLine) > maxImportLine {
		return nil, syndicate.Errorf(syndicate.EINVALID, "the header of %s file %s is longer than %d bytes", kind, name, maxImportLine)
	}
	head, err := parseCSVLine(headLine)
	if err != nil {
		return nil, syndicate.Errorf(syndicate.EINVALID, "the header of %s file %s is not CSV: %s", kind, name, err)
	}
	f := &csvFile{col: map[string]int{}, rest: rest}
	for i, h := range head {
		f.col[strings.ToLower(strings.TrimSpace(h))] = i
	}
	if _, ok := f.col["email"]; !ok {
		return nil, syndicate.Errorf(syndicate.EINVALID, "%s file %s has no email column in its header", kind, name)
	}
	return f, nil
}

// field returns the trimmed value of the column name in rec; "" if the
// header has no such column or the line is short.
func (f *csvFile) field(rec []string, name string) string {
	if i, ok := f.col[name]; ok && i < len(rec) {
		return strings.TrimSpace(rec[i])
	}
	return ""
}

// lines yields each data line that is not blank; past maxImportRows it
// yields one line saying so and stops.
func (f *csvFile) lines() iter.Seq[csvLine] {
	return func(yield func(csvLine) bool) {
		rest := f.rest
		for line, rows := 1, 0; len(rest) > 0; {
			var raw []byte
			raw, rest, _ = bytes.Cut(rest, []byte("\n"))
			line++
			if len(bytes.TrimSpace(raw)) == 0 {
				continue
			}
			if rows++; rows > maxImportRows {
				yield(csvLine{Line: line, Problem: fmt.Sprintf("more than %d rows; this line and the rest were not read", maxImportRows)})
				return
			}
			l := csvLine{Line: line}
			var err error
			switch {
			case len(raw) > maxImportLine:
				err = fmt.Errorf("line is longer than %d bytes", maxImportLine)
			case !utf8.Valid(raw):
				err = errors.New("line is not valid UTF-8")
			default:
				l.Rec, err = parseCSVLine(raw)
			}
			if err != nil {
				l.Rec, l.Problem = nil, err.Error()
			}
			if !yield(l) {
				return
			}
		}
	}
}

// parseCSVLine parses one line of CSV (without its line feed).
func parseCSVLine(line []byte) ([]string, error) {
	cr := csv.NewReader(bytes.NewReader(line))
	cr.FieldsPerRecord = -1
	rec, err := cr.Read()
	var pe *csv.ParseError
	switch {
	case errors.As(err, &pe):
		return nil, fmt.Errorf("not valid CSV at column %d: %v", pe.Column, pe.Err)
	case errors.Is(err, io.EOF):
		return nil, errors.New("line is blank")
	case err != nil:
		return nil, fmt.Errorf("not valid CSV: %v", err)
	}
	return rec, nil
}

// importCSV adds the rows of a subscriber file, reporting each refused or
// skipped row by line; a failure of the store stops it, keeping the rows
// already imported.
func (a *app) importCSV(st *store.Store, name string, b []byte, resubscribe bool) error {
	rows, err := parseSubscriberCSV(name, b)
	if err != nil {
		return err
	}
	var counts struct{ added, updated, resubscribed, suppressed, refused int }
	summary := func() {
		fmt.Fprintf(a.stdout, "imported %s: %d added, %d updated, ", termSafe(name), counts.added, counts.updated)
		if resubscribe {
			fmt.Fprintf(a.stdout, "%d resubscribed, ", counts.resubscribed)
		}
		fmt.Fprintf(a.stdout, "%d skipped as suppressed, %d refused\n", counts.suppressed, counts.refused)
	}
	for row := range rows {
		if row.Problem != "" {
			fmt.Fprintf(a.stderr, "%s:%d: %s\n", termSafe(name), row.Line, termSafe(row.Problem))
			counts.refused++
			continue
		}
		saved, err := st.AddSubscriber(a.ctx, row.Sub, resubscribe)
		if err != nil {
			summary()
			return fmt.Errorf("%s:%d: %w", name, row.Line, err)
		}
		switch s := saved.Subscriber; saved.Outcome {
		case store.SubscriberAdded:
			counts.added++
		case store.SubscriberUpdated:
			counts.updated++
		case store.SubscriberResubscribed:
			counts.resubscribed++
			a.logger().Info("resubscribed a suppressed address", "file", termSafe(name), "line", row.Line, "email", termSafe(s.Email), "was", string(saved.Was))
		case store.SubscriberSuppressed:
			counts.suppressed++
			fmt.Fprintf(a.stderr, "%s:%d: %s is %s; skipped (use --resubscribe)\n", termSafe(name), row.Line, termSafe(s.Email), termSafe(string(s.Status)))
		}
	}
	summary()
	if counts.refused > 0 {
		return &exitError{code: 1, msg: fmt.Sprintf("%d rows of %s were refused (see above)", counts.refused, termSafe(name))}
	}
	return nil
}

// readImport reads an import file, or standard input for "-", of at most
// maxImportSize bytes; what names it in errors.
func (a *app) readImport(name, what string) ([]byte, error) {
	var r io.Reader = a.stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return nil, fmt.Errorf("open %s: %w", what, err)
		}
		defer f.Close()
		r = f
	}
	b, err := readAll(r, maxImportSize)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	return b, nil
}
