package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hibiken/asynq"
	"github.com/spf13/cobra"

	"syndicate"
	"syndicate/jobs"
)

func (a *app) sendCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "send",
		Short: "Trigger a send now (send digest)",
		Args:  args(0, "a subcommand: digest"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return usagef("send needs a subcommand: digest")
		},
	}
	var (
		freq    string
		wait    bool
		timeout time.Duration
	)
	digest := &cobra.Command{
		Use:   "digest --frequency daily|weekly",
		Short: "Build and send a digest now",
		Long: `send digest builds the daily or weekly digest now: the articles published
since the last digest of that frequency, newest first, mailed to every
subscriber of that frequency. Nothing is sent when there is nothing new, and
a digest is built once even if it is triggered twice. With --wait it returns
when every delivery is final and exits 1 if any failed.`,
		Args: args(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			f, err := syndicate.ParseFrequency(freq)
			if err != nil || (f != syndicate.Daily && f != syndicate.Weekly) {
				return usagef("--frequency must be daily or weekly, not %q", freq)
			}
			return a.sendDigest(f, wait, timeout)
		},
	}
	digest.Flags().StringVar(&freq, "frequency", "", "daily or weekly")
	digest.Flags().BoolVar(&wait, "wait", false, "wait until every delivery is final")
	digest.Flags().DurationVar(&timeout, "timeout", 30*time.Minute, "with --wait, give up after this long")
	c.AddCommand(digest)
	return c
}

func (a *app) sendDigest(f syndicate.Frequency, wait bool, timeout time.Duration) error {
	cfg, err := a.config()
	if err != nil {
		return err
	}
	if cfg.SMTPURL == "" {
		return syndicate.Errorf(syndicate.EINVALID, "email is not configured: set SYNDICATE_SMTP_URL to send digests")
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
	taskID, err := editor(cfg, st, rc).SendDigest(a.ctx, f)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "queued the %s digest\n", f)
	if !wait {
		return nil
	}
	insp := asynq.NewInspectorFromRedisClient(rc)
	ctx, cancel := context.WithTimeout(a.ctx, timeout)
	defer cancel()
	for {
		info, err := insp.GetTaskInfo(jobs.QueueDefault, taskID)
		switch {
		case err != nil && !errors.Is(err, asynq.ErrTaskNotFound):
			return fmt.Errorf("read the queue: %w", err)
		case err == nil && info.State == asynq.TaskStateArchived:
			return fmt.Errorf("the %s digest failed: %s", f, info.LastErr)
		case err == nil && info.State == asynq.TaskStateCompleted:
			id := string(info.Result)
			if id == "" {
				fmt.Fprintf(a.stdout, "no new articles since the last %s digest: nothing sent\n", f)
				return nil
			}
			fmt.Fprintf(a.stdout, "digest %s\n", id)
			return a.waitFor(cfg, rc, st, id, time.Until(deadline(ctx)))
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("gave up waiting for the %s digest after %s", f, timeout)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func deadline(ctx context.Context) time.Time {
	d, ok := ctx.Deadline()
	if !ok {
		return time.Now().Add(time.Hour)
	}
	return d
}
