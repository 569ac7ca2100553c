package main

import (
	"errors"
	"fmt"

	"github.com/hibiken/asynq"
	"github.com/spf13/cobra"

	"syndicate"
	"syndicate/jobs"
)

func (a *app) cancelCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "cancel ARTICLE",
		Short: "Withdraw what has not gone yet of one article",
		Long: `cancel withdraws the deliveries of one article (ID or URL) that have not
gone yet: a publish scheduled with --at is taken off the queue, and every
delivery still queued or deferred is marked cancelled so no worker sends
it. What has been sent stays sent; a delivery being sent at this moment
cannot be stopped and is reported.`,
		Args: args(1, "one article ID or URL"),
		RunE: func(cmd *cobra.Command, argv []string) error {
			cfg, err := a.config()
			if err != nil {
				return err
			}
			st, err := a.openStore(cfg)
			if err != nil {
				return err
			}
			defer st.Close()
			art, err := st.FindArticle(a.ctx, argv[0])
			if err != nil {
				return err
			}
			rc, err := a.openRedis(cfg)
			if err != nil {
				return err
			}
			defer rc.Close()
			insp := asynq.NewInspectorFromRedisClient(rc)
			// The fan-out first: once it is gone, nothing new is planned.
			fanOut := "the fan-out had already run"
			switch err := insp.DeleteTask(jobs.QueueDefault, jobs.PublishTaskID(art.ID)); {
			case err == nil:
				fanOut = "the scheduled publish was withdrawn"
			case errors.Is(err, asynq.ErrTaskNotFound), errors.Is(err, asynq.ErrQueueNotFound):
			default:
				// A running fan-out cannot be deleted; the rows it has planned
				// so far are cancelled below, so say what to do.
				fanOut = fmt.Sprintf("the fan-out could not be withdrawn (%v): cancel again when it has finished", err)
			}
			// So that the reconciler does not queue the fan-out again.
			if err := st.CancelFanOut(a.ctx, art.ID); err != nil {
				return err
			}
			ds, err := st.Deliveries(a.ctx, art.ID)
			if err != nil {
				return err
			}
			var cancelled, inFlight int
			for _, d := range ds {
				switch d.Status {
				case syndicate.StatusQueued, syndicate.StatusDeferred:
					if err := st.FinishDelivery(a.ctx, d.Key(), syndicate.StatusCancelled, "", "cancelled by an editor"); err != nil {
						return err
					}
					// A task still queued for it finds the row final and does nothing.
					cancelled++
				case syndicate.StatusSending:
					inFlight++
				}
			}
			fmt.Fprintf(a.stdout, "%s %q: %s; %d deliveries cancelled", art.ID, art.Title, fanOut, cancelled)
			if inFlight > 0 {
				fmt.Fprintf(a.stdout, "; %d being sent now could not be stopped", inFlight)
			}
			fmt.Fprintln(a.stdout)
			return nil
		},
	}
}
