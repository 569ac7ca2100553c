package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"syndicate"
	"syndicate/config"
	"syndicate/jobs"
	"syndicate/store"
)

// deliveryJSON is one row of `status --json`.
type deliveryJSON struct {
	Item       string `json:"item"`
	Channel    string `json:"channel"`
	Status     string `json:"status"`
	Subscriber string `json:"subscriber,omitempty"`
	Error      string `json:"error"`
	Attempts   int    `json:"attempts"`
	RemoteID   string `json:"remote_id,omitempty"`
	UpdatedAt  string `json:"updated_at"`
}

func (a *app) statusCmd() *cobra.Command {
	var (
		asJSON bool
		watch  bool
	)
	c := &cobra.Command{
		Use:   "status ARTICLE|DIGEST",
		Short: "Show who got what for one article or digest",
		Long: `status shows the delivery ledger of one article (its ID or URL) or digest
(its ID, dg_…): counts per channel and status (sent, failed, bounced,
unknown, …), then every delivery that did not succeed with its reason (for
email, the SMTP server's reply). --json prints the list of deliveries.
--watch shows it again every second until every delivery is final (on a
terminal it redraws the screen; elsewhere it prints it again when it
changes).`,
		Args: args(1, "one article ID or URL, or a digest ID"),
		RunE: func(cmd *cobra.Command, argv []string) error {
			if watch && asJSON {
				return usagef("--watch redraws the table: it does not go with --json")
			}
			cfg, err := a.config()
			if err != nil {
				return err
			}
			st, err := a.openStore(cfg)
			if err != nil {
				return err
			}
			defer st.Close()
			it, err := resolveItem(a.ctx, st, argv[0])
			if err != nil {
				return err
			}
			if watch {
				return a.watchStatus(cfg, st, it)
			}
			ds, err := st.Deliveries(a.ctx, it.id)
			if err != nil {
				return err
			}
			// A stall is only visible in Redis; status still works without it.
			stall, serr := a.stalls(cfg, st, it.id)
			if serr != nil {
				fmt.Fprintf(a.stderr, "could not check the queue for stalled deliveries: %v\n", serr)
			}
			if asJSON {
				if stall != "" {
					fmt.Fprintln(a.stderr, stall)
				}
				out := make([]deliveryJSON, 0, len(ds))
				for _, d := range ds {
					out = append(out, deliveryJSON{
						Item: d.Item, Channel: string(d.Channel), Status: string(d.Status), Subscriber: d.Subscriber,
						Error: d.Error, Attempts: d.Attempts, RemoteID: d.RemoteID, UpdatedAt: d.UpdatedAt.UTC().Format("2006-01-02T15:04:05Z"),
					})
				}
				return writeJSON(a.stdout, out)
			}
			return a.printFullStatus(a.stdout, st, it, ds, stall)
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print the deliveries as a JSON list")
	c.Flags().BoolVar(&watch, "watch", false, "show the status again every second until every delivery is final")
	return c
}

// printFullStatus writes the table, the stall and the channels that need
// new credentials.
func (a *app) printFullStatus(w io.Writer, st *store.Store, it item, ds []syndicate.Delivery, stall string) error {
	printStatus(w, it, ds)
	if stall != "" {
		fmt.Fprintf(w, "\n%s\n", stall)
	}
	states, err := st.ChannelStates(a.ctx)
	if err != nil {
		return err
	}
	for _, cs := range states {
		if cs.State == syndicate.ChannelNeedsCredentials {
			fmt.Fprintf(w, "\n%s needs new credentials (since %s): %s\n", cs.Channel, cs.UpdatedAt.UTC().Format("2006-01-02 15:04 MST"), termSafe(cs.Reason))
		}
	}
	return nil
}

// watchStatus shows the status every second until the fan-out has run and
// every delivery is final: on a terminal by redrawing the screen, else by
// printing it again whenever it changed.
func (a *app) watchStatus(cfg config.Config, st *store.Store, it item) error {
	tty := isTerminal(a.stdout)
	last := ""
	for {
		ds, err := st.Deliveries(a.ctx, it.id)
		if err != nil {
			return err
		}
		stall, serr := a.stalls(cfg, st, it.id)
		if serr != nil && a.ctx.Err() == nil {
			stall = fmt.Sprintf("could not check the queue for stalled deliveries: %v", serr)
		}
		var b bytes.Buffer
		if err := a.printFullStatus(&b, st, it, ds, stall); err != nil {
			return err
		}
		final, err := allDone(a.ctx, st, it.id, ds)
		if err != nil {
			return err
		}
		if tty {
			fmt.Fprint(a.stdout, "\x1b[H\x1b[2J") // home, clear the screen
			fmt.Fprint(a.stdout, b.String())
			if !final {
				fmt.Fprintf(a.stdout, "\nwatching; every delivery final ends it (Ctrl-C stops) · %s\n", time.Now().Format("15:04:05"))
			}
		} else if b.String() != last {
			if last != "" {
				fmt.Fprintln(a.stdout)
			}
			fmt.Fprint(a.stdout, b.String())
			last = b.String()
		}
		if final {
			return nil
		}
		select {
		case <-a.ctx.Done():
			return a.ctx.Err()
		case <-time.After(time.Second):
		}
	}
}

// allDone reports whether item's fan-out has run and each of its
// deliveries is final.
func allDone(ctx context.Context, st *store.Store, item string, ds []syndicate.Delivery) (bool, error) {
	for _, d := range ds {
		if !d.Status.Final() {
			return false, nil
		}
	}
	state, err := st.FanOutState(ctx, item)
	if err != nil {
		return false, err
	}
	return state != store.FanOutPending, nil // done with no rows: nothing to send (no subscribers, no channels)
}

func printStatus(w io.Writer, it item, ds []syndicate.Delivery) {
	fmt.Fprintf(w, "%s\n\n", it.heading)
	if len(ds) == 0 {
		fmt.Fprintln(w, "no deliveries yet")
		return
	}
	counts := map[syndicate.Channel]map[syndicate.DeliveryStatus]int{}
	var chs []syndicate.Channel
	for _, d := range ds {
		if counts[d.Channel] == nil {
			counts[d.Channel] = map[syndicate.DeliveryStatus]int{}
			chs = append(chs, d.Channel)
		}
		counts[d.Channel][d.Status]++
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CHANNEL\tSTATUS")
	for _, ch := range chs {
		var parts []string
		for st, n := range counts[ch] {
			parts = append(parts, fmt.Sprintf("%d %s", n, st))
		}
		sort.Strings(parts)
		fmt.Fprintf(tw, "%s\t%s\n", ch, strings.Join(parts, ", "))
	}
	tw.Flush()
	var bad []syndicate.Delivery
	for _, d := range ds {
		if d.Status == syndicate.StatusFailed || d.Status == syndicate.StatusUnknown || d.Status == syndicate.StatusBounced || d.Status == syndicate.StatusSoftBounced || (d.Error != "" && !d.Status.Final()) {
			bad = append(bad, d)
		}
	}
	if len(bad) == 0 {
		return
	}
	fmt.Fprintln(w, "\nnot delivered:")
	for _, d := range bad {
		who := string(d.Channel)
		if d.Subscriber != "" {
			who += " " + termSafe(d.Subscriber)
		}
		fmt.Fprintf(w, "  %s: %s (%d attempts): %s\n", who, d.Status, d.Attempts, termSafe(d.Error))
	}
}

// item is what status and retry act on: an article's posts and instant
// email, or one digest.
type item struct {
	id       string
	heading  string
	freq     syndicate.Frequency
	articles []string
}

// resolveItem finds an article by ID or URL, or a digest by ID.
func resolveItem(ctx context.Context, st *store.Store, ref string) (item, error) {
	it, err := jobs.Editor{Store: st}.Resolve(ctx, ref)
	if err != nil {
		return item{}, err
	}
	heading := it.Title
	if !syndicate.IsDigestID(it.ID) {
		heading = fmt.Sprintf("%s %q\n%s", it.ID, it.Title, it.URL)
	}
	return item{id: it.ID, heading: heading, freq: it.Frequency, articles: it.Articles}, nil
}

// stalls says which deliveries of item are stalled: queued or sending with
// no task in Redis and no progress for the grace period; "" when none.
func (a *app) stalls(cfg config.Config, st *store.Store, item string) (string, error) {
	rc, err := a.openRedis(cfg)
	if err != nil {
		return "", err
	}
	defer rc.Close()
	rec := newReconciler(cfg, rc, st, nil)
	lost, err := rec.Stalled(a.ctx, item)
	if err != nil {
		return "", err
	}
	return stallMessage(lost, rec.Grace), nil
}
