package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/kds-io/kds/app/topic"
)

func newTopicListCommand(g *globals) *cobra.Command {
	var status string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List topics",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			client, err := g.client()
			if err != nil {
				return err
			}
			var st topic.Status
			if status != "" {
				if st, err = topic.ParseStatus(status); err != nil {
					return &usageError{msg: err.Error()}
				}
			}
			topics, err := client.Topics(cmd.Context(), st)
			if err != nil {
				return err
			}
			if g.output == "json" {
				return printJSON(cmd.OutOrStdout(), topics)
			}
			rows := make([][]string, len(topics))
			for i, t := range topics {
				rows[i] = []string{t.Name, string(t.Status), fmt.Sprint(t.Partitions), fmt.Sprint(t.ReplicationFactor),
					fmt.Sprint(t.Generation), t.RequestedBy, ago(t.UpdatedAt)}
			}
			return printTable(cmd.OutOrStdout(), []string{"NAME", "STATUS", "PARTITIONS", "RF", "GEN", "REQUESTED BY", "CHANGED"}, rows)
		},
	}
	cmd.Flags().StringVar(&status, "status", "", "only topics in this status")
	return cmd
}
