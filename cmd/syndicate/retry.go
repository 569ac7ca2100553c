package main

import (
	"fmt"
	"slices"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
	"github.com/spf13/cobra"

	"syndicate"
	"syndicate/config"
	"syndicate/jobs"
	"syndicate/store"
)

func (a *app) retryCmd() *cobra.Command {
	var (
		channel string
		force   bool
		wait    bool
		timeout time.Duration
	)
	c := &cobra.Command{
		Use:   "retry ARTICLE|DIGEST",
		Short: "Send again what failed for one article or digest",
		Long: `retry queues again the deliveries of one article (ID or URL) or digest (ID)
that failed, optionally only those of one --channel. Emails are resent only
where the failure was temporary (the SMTP server said "try later" until the
retries ran out): a refused or bounced address is not mailed again. A
delivery whose outcome is unknown (X has no idempotency key: the post may
exist) is sent again only with --force, after an editor has checked.`,
		Args: args(1, "one article ID or URL, or a digest ID"),
		RunE: func(cmd *cobra.Command, argv []string) error {
			var only syndicate.Channel
			if channel != "" {
				ch, err := syndicate.ParseChannel(channel)
				if err != nil {
					return &usageError{msg: err.Error()}
				}
				only = ch
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
			rc, err := a.openRedis(cfg)
			if err != nil {
				return err
			}
			defer rc.Close()
			posts, emails, err := editor(cfg, st, rc).Retry(a.ctx, it.id, only, force)
			if err != nil {
				return err
			}
			if len(posts)+len(emails) == 0 {
				fmt.Fprintln(a.stdout, "nothing to retry")
				return nil
			}
			for _, ch := range posts {
				fmt.Fprintf(a.stdout, "queued the %s post again\n", ch)
			}
			if len(emails) > 0 {
				fmt.Fprintf(a.stdout, "queued %d emails again\n", len(emails))
			}
			if !wait {
				return nil
			}
			retried := func(d syndicate.Delivery) bool {
				if d.Channel == syndicate.ChannelEmail {
					return slices.Contains(emails, d.Subscriber)
				}
				return slices.Contains(posts, d.Channel)
			}
			return a.waitFor(cfg, rc, st, it.id, timeout, retried)
		},
	}
	c.Flags().StringVar(&channel, "channel", "", "retry only this channel (x, email, outbox, …)")
	c.Flags().BoolVar(&force, "force", false, "also resend deliveries whose outcome is unknown")
	c.Flags().BoolVar(&wait, "wait", false, "wait until the retried deliveries are final; exit 1 if any failed again")
	c.Flags().DurationVar(&timeout, "timeout", 30*time.Minute, "with --wait, give up after this long")
	return c
}

// editor is the editor's actions on cfg's store and queue, shared with
// the dashboard.
func editor(cfg config.Config, st *store.Store, rc redis.UniversalClient) jobs.Editor {
	return jobs.Editor{
		Store:     st,
		Queue:     asynq.NewClientFromRedisClient(rc),
		Inspector: asynq.NewInspectorFromRedisClient(rc),
		MaxRetry:  cfg.MaxRetry,
		BatchSize: cfg.BatchSize,
		EmailOff:  cfg.SMTPURL == "",
	}
}
