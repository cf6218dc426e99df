package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"
)

func newTopicDriftCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "drift",
		Short: "What the topic manager's last comparison of kds with Kafka found, and what it repaired",
		Long: `The topic manager compares every topic kds keeps with Kafka on start and
every topic_manager.reconcile_interval. It creates approved topics missing
from Kafka, recreates active ones that went missing, adds partitions and
sets configs that drifted, deletes inactive, deleted and rejected topics
still in Kafka, and reports topics in Kafka that kds does not know (orphans;
imported when topic_manager.sync_orphaned_topics is true). What Kafka
cannot change, such as fewer partitions or another replication factor, is
reported only.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			client, err := g.client()
			if err != nil {
				return err
			}
			r, err := client.Drift(cmd.Context())
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if g.output == "json" {
				return printJSON(out, r)
			}
			fmt.Fprintf(out, "last reconciliation %s (%s ago), %d topics compared in %s\n",
				r.FinishedAt.Format(time.RFC3339), ago(r.FinishedAt), r.Checked, r.FinishedAt.Sub(r.StartedAt).Round(time.Millisecond))
			if len(r.Findings) == 0 {
				fmt.Fprintln(out, "kds and Kafka agree.")
				return nil
			}
			rows := make([][]string, len(r.Findings))
			for i, f := range r.Findings {
				state := "reported"
				switch {
				case f.Error != "":
					state = "repair failed: " + f.Error
				case f.Repaired:
					state = "repaired"
				}
				rows[i] = []string{f.Topic, string(f.Kind), f.Detail, state}
			}
			return printTable(out, []string{"TOPIC", "FINDING", "DETAIL", "STATE"}, rows)
		},
	}
}
