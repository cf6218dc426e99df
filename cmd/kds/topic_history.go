package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"
)

func newTopicHistoryCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "history TOPIC",
		Short: "Show every transition of a topic, across generations: who, when, why, which command",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			client, err := g.client()
			if err != nil {
				return err
			}
			h, err := client.History(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if g.output == "json" {
				return printJSON(cmd.OutOrStdout(), h)
			}
			rows := make([][]string, len(h))
			for i, tr := range h {
				from := string(tr.From)
				if from == "" {
					from = "-"
				}
				rows[i] = []string{tr.At.Format(time.RFC3339), fmt.Sprint(tr.Generation), string(tr.Action),
					from + " → " + string(tr.To), tr.Actor, tr.CommandID, tr.Reason}
			}
			// The reason last: one long reason, such as the grants an
			// access transition lists, widens no other row.
			return printTable(cmd.OutOrStdout(), []string{"AT", "GEN", "ACTION", "STATUS", "BY", "COMMAND", "REASON"}, rows)
		},
	}
}
