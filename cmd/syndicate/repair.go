package main

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
	"github.com/spf13/cobra"

	"syndicate/config"
	"syndicate/jobs"
	"syndicate/store"
)

func (a *app) repairCmd() *cobra.Command {
	var (
		dryRun bool
		grace  time.Duration
	)
	c := &cobra.Command{
		Use:   "repair [--dry-run]",
		Short: "Queue again what the ledger waits for and Redis has lost",
		Long: `repair rebuilds the queue from the delivery ledger: every delivery queued or
sending, and every article or digest whose fan-out has not finished
(including a publish scheduled with --at), that has not moved for the grace
period (reconcile_grace, default 2m) and whose task Redis no longer has, is
queued again under its own task ID, so nothing that is still queued is
doubled. A delivery left sending follows its channel's rule: an email is
resent with the same Message-ID, Mastodon and Bluesky under the same
idempotency key, an X post is marked unknown for an editor.

The scheduler role runs the same check every reconcile_interval and each
worker when it starts; repair runs it now. With --dry-run it only lists
what it would queue.`,
		Args: args(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cmd.Flags().Changed("grace") && grace < time.Second {
				return usagef("--grace %s is shorter than 1s", grace)
			}
			cfg, err := a.config()
			if err != nil {
				return err
			}
			if cmd.Flags().Changed("grace") {
				cfg.ReconcileGrace = config.Duration(grace)
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
			rep, err := newReconciler(cfg, rc, st, a.logger()).Run(a.ctx, dryRun)
			if err != nil {
				return err
			}
			verb := "queued again"
			if dryRun {
				verb = "would queue again"
			}
			if len(rep.Lost) == 0 {
				fmt.Fprintln(a.stdout, "nothing to repair: every delivery not yet final has its task")
			} else {
				fmt.Fprintf(a.stdout, "%s %d tasks the queue had lost, carrying %d deliveries:\n", verb, len(rep.Lost), rep.Deliveries())
				for _, l := range rep.Lost {
					line := fmt.Sprintf("  %s %s", l.Kind, termSafe(l.TaskID))
					switch {
					case l.Deliveries > 0:
						line += fmt.Sprintf(" (%d deliveries)", l.Deliveries)
					case !l.At.IsZero():
						line += " (due " + l.At.UTC().Format(time.RFC3339) + ")"
					}
					fmt.Fprintln(a.stdout, line)
				}
			}
			if rep.Skipped > 0 {
				fmt.Fprintf(a.stdout, "%d deliveries to subscribers no longer in the database were marked skipped\n", rep.Skipped)
			}
			return nil
		},
	}
	c.Flags().BoolVar(&dryRun, "dry-run", false, "list what would be queued again, change nothing")
	c.Flags().DurationVar(&grace, "grace", 0, "how long a delivery must have been still (default reconcile_grace)")
	return c
}

// newReconciler wires the reconciler from cfg.
func newReconciler(cfg config.Config, rc redis.UniversalClient, st *store.Store, log *slog.Logger) *jobs.Reconciler {
	var _ jobs.ReconcileStore = st
	var _ jobs.Inspector = (*asynq.Inspector)(nil)
	grace := time.Duration(cfg.ReconcileGrace)
	if grace <= 0 {
		grace = jobs.DefaultGrace
	}
	return &jobs.Reconciler{
		Store:     st,
		Inspector: asynq.NewInspectorFromRedisClient(rc),
		Queue:     asynq.NewClientFromRedisClient(rc),
		BatchSize: cfg.BatchSize,
		MaxRetry:  cfg.MaxRetry,
		Grace:     grace,
		Log:       log,
	}
}
