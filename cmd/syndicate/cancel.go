package main

import (
	"fmt"

	"github.com/spf13/cobra"
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
			fanOut, cancelled, inFlight, err := editor(cfg, st, rc).Cancel(a.ctx, art.ID)
			if err != nil {
				return err
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
