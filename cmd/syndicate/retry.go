package main

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/hibiken/asynq"
	"github.com/spf13/cobra"

	"syndicate"
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
			ds, err := st.Deliveries(a.ctx, it.id)
			if err != nil {
				return err
			}
			var (
				posts  []syndicate.Channel
				emails []string
				unsure []string
			)
			for _, d := range ds {
				if only != "" && d.Channel != only {
					continue
				}
				switch {
				case d.Status == syndicate.StatusFailed && d.Channel == syndicate.ChannelEmail && !temporary(d.Error):
					continue // refused for good: resending would be refused again
				case d.Status == syndicate.StatusFailed:
				case d.Status == syndicate.StatusUnknown && force:
				case d.Status == syndicate.StatusUnknown:
					unsure = append(unsure, d.String())
					continue
				default:
					continue
				}
				if d.Channel == syndicate.ChannelEmail {
					emails = append(emails, d.Subscriber)
				} else {
					posts = append(posts, d.Channel)
				}
			}
			if len(unsure) > 0 && len(posts)+len(emails) == 0 {
				return fmt.Errorf("the %s may have gone out already (outcome unknown); check, then retry with --force", unsure[0])
			}
			if len(posts)+len(emails) == 0 {
				fmt.Fprintln(a.stdout, "nothing to retry")
				return nil
			}
			rc, err := a.openRedis(cfg)
			if err != nil {
				return err
			}
			defer rc.Close()
			statuses := []syndicate.DeliveryStatus{syndicate.StatusFailed}
			if force {
				statuses = append(statuses, syndicate.StatusUnknown)
			}
			// The round is recorded before the rows go back to queued, so
			// the reconciler can find these tasks, or queue them if they
			// are lost.
			round := jobs.NewRetryRound(time.Now())
			q := asynq.NewClientFromRedisClient(rc)
			for _, ch := range posts {
				if err := st.AddRetryRound(a.ctx, it.id, ch, round); err != nil {
					return err
				}
				if _, err := st.ResetDeliveries(a.ctx, it.id, ch, statuses); err != nil {
					return err
				}
				t, opts := jobs.NewPostTask(it.id, ch, cfg.MaxRetry)
				opts = append(opts, asynq.TaskID(jobs.RetryPostTaskID(it.id, ch, round)))
				if _, err := q.EnqueueContext(a.ctx, t, opts...); err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) {
					return fmt.Errorf("queue %s post of %s: %w", ch, it.id, err)
				}
				fmt.Fprintf(a.stdout, "queued the %s post again\n", ch)
			}
			if len(emails) > 0 {
				buckets, err := retryBuckets(a.ctx, st, it.id, emails, int64(cfg.BatchSize))
				if err != nil {
					return err
				}
				if err := st.AddRetryRound(a.ctx, it.id, syndicate.ChannelEmail, round); err != nil {
					return err
				}
				if err := resetEmails(a.ctx, st, it.id, emails); err != nil {
					return err
				}
				for _, b := range slices.Sorted(maps.Keys(buckets)) {
					t, opts := jobs.NewEmailBatchTask(it.id, it.freq, it.articles, b, buckets[b], cfg.MaxRetry)
					opts = append(opts, asynq.TaskID(jobs.RetryEmailTaskID(it.id, round, b)))
					if _, err := q.EnqueueContext(a.ctx, t, opts...); err != nil {
						return fmt.Errorf("queue emails of %s: %w", it.id, err)
					}
				}
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

// temporary reports whether a recorded error was a temporary one (the
// ledger keeps the adapter's message, which starts with its outcome).
func temporary(msg string) bool {
	return strings.HasPrefix(msg, syndicate.Temporary.String()+" ") || strings.HasPrefix(msg, syndicate.Unknown.String()+" ")
}

// retryBuckets groups the addresses to retry by the buckets of item's
// fan-out (subscriber ID / its recorded batch size; size when it recorded
// none), so that each retry task's ID names the rows it carries and the
// reconciler finds it. Addresses no longer subscribed go in bucket -1: the
// batch marks them skipped.
func retryBuckets(ctx context.Context, st *store.Store, item string, emails []string, size int64) (map[int64][]string, error) {
	if n, ok, err := st.BatchSize(ctx, item); err != nil {
		return nil, err
	} else if ok && n > 0 {
		size = n
	}
	size = max(size, 1)
	ids, err := st.SubscriberIDs(ctx, emails)
	if err != nil {
		return nil, err
	}
	out := map[int64][]string{}
	for _, e := range emails {
		b := int64(-1)
		if id, ok := ids[e]; ok {
			b = id / size
		}
		out[b] = append(out[b], e)
	}
	return out, nil
}

// resetEmails puts the chosen email deliveries of item back to queued.
func resetEmails(ctx context.Context, st *store.Store, item string, emails []string) error {
	for _, e := range emails {
		key := syndicate.DeliveryKey{Item: item, Channel: syndicate.ChannelEmail, Subscriber: e}
		if err := st.FinishDelivery(ctx, key, syndicate.StatusQueued, "", "queued again by retry"); err != nil {
			return err
		}
	}
	return nil
}
