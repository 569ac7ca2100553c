package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"text/tabwriter"
	"time"

	"github.com/hibiken/asynq"
	"github.com/spf13/cobra"

	"syndicate"
	"syndicate/config"
	"syndicate/feeds"
	"syndicate/jobs"
	"syndicate/store"
)

// feedPublisher publishes feed items through the one Publisher, at once.
type feedPublisher struct{ p jobs.Publisher }

func (f feedPublisher) Publish(ctx context.Context, a syndicate.Article) (bool, error) {
	return f.p.Publish(ctx, a, time.Time{})
}

// feedPoller adapts feeds.Poller to the jobs' FeedPoller: the jobs package
// knows nothing of feeds, only that a feed may be backing off.
type feedPoller struct{ p *feeds.Poller }

func (f feedPoller) Poll(ctx context.Context, url string) (int, error) {
	n, err := f.p.Poll(ctx, url)
	if errors.Is(err, feeds.ErrBackoff) {
		return n, fmt.Errorf("%w: %w", jobs.ErrFeedBackoff, err)
	}
	return n, err
}

// newPoller builds the feed poller: items are published through q, at
// most feed_max_new per poll, and feeds are fetched by the content fetcher.
func newPoller(cfg config.Config, st *store.Store, q jobs.Enqueuer, log *slog.Logger) *feeds.Poller {
	var fc feeds.Fetcher = contentFetcher(cfg)
	return &feeds.Poller{
		Store:     st,
		Publisher: feedPublisher{jobs.Publisher{Store: st, Queue: q, MaxRetry: cfg.MaxRetry}},
		Fetcher:   fc,
		MaxNew:    cfg.FeedMaxNew,
		Log:       log,
	}
}

func (a *app) feedsCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "feeds",
		Short: "Poll, backfill and list the RSS, Atom and JSON feeds",
		Long: `The scheduler role polls every feed in the configuration (feeds,
SYNDICATE_FEEDS) every feed_interval. These commands act on one feed now.`,
		Args: args(0, "a subcommand: backfill, poll or list"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return usagef("feeds needs a subcommand: backfill, poll or list")
		},
	}
	var items int
	backfill := &cobra.Command{
		Use:   "backfill URL --items N",
		Short: "Publish the newest N items of a feed now",
		Long: `backfill publishes the newest N items of a feed now, oldest first, even on a
feed never polled (whose first poll otherwise only marks its items seen).
Items already published are not sent again.`,
		Args: args(1, "one feed URL"),
		RunE: func(cmd *cobra.Command, argv []string) error {
			if items < 1 {
				return usagef("--items must be at least 1")
			}
			return a.withPoller(func(p *feeds.Poller) error {
				n, err := p.Backfill(a.ctx, argv[0], items)
				if err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "published %d items of %s\n", n, argv[0])
				return nil
			})
		},
	}
	backfill.Flags().IntVar(&items, "items", 0, "how many of the newest items to publish")
	poll := &cobra.Command{
		Use:   "poll URL",
		Short: "Poll a feed now and publish what is new",
		Args:  args(1, "one feed URL"),
		RunE: func(cmd *cobra.Command, argv []string) error {
			return a.withPoller(func(p *feeds.Poller) error {
				n, err := p.Poll(a.ctx, argv[0])
				if err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "published %d new items of %s\n", n, argv[0])
				return nil
			})
		},
	}
	list := &cobra.Command{
		Use:   "list",
		Short: "Show each feed's state",
		Args:  args(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withStore(func(st *store.Store) error {
				states, err := st.FeedStates(a.ctx)
				if err != nil {
					return err
				}
				tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "FEED\tLAST POLLED\tFAILURES\tLAST ERROR")
				for _, s := range states {
					polled := "never"
					if !s.LastPolled.IsZero() {
						polled = s.LastPolled.UTC().Format(time.RFC3339)
					}
					fmt.Fprintf(tw, "%s\t%s\t%d\t%s\n", termSafe(s.URL), polled, s.Failures, termSafe(s.LastError))
				}
				return tw.Flush()
			})
		},
	}
	c.AddCommand(backfill, poll, list)
	return c
}

// withPoller runs fn with a poller that publishes through the queue.
func (a *app) withPoller(fn func(p *feeds.Poller) error) error {
	cfg, err := a.config()
	if err != nil {
		return err
	}
	rc, err := a.openRedis(cfg)
	if err != nil {
		return err
	}
	defer rc.Close()
	st, err := a.openStore(cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	return fn(newPoller(cfg, st, asynq.NewClientFromRedisClient(rc), a.logger()))
}
