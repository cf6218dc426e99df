package main

import (
	"github.com/spf13/cobra"
)

func newTopicApproveCommand(g *globals) *cobra.Command {
	var (
		reason string
		w      waitFlags
	)
	cmd := &cobra.Command{
		Use:   "approve TOPIC...",
		Short: "Approve pending topics; the topic manager then creates them in Kafka (admin)",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, names []string) error {
			client, err := g.client()
			if err != nil {
				return err
			}
			return decide(cmd.Context(), client, cmd.OutOrStdout(), approval, names, reason, w, g.output == "json")
		},
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why, for the audit trail")
	w.register(cmd)
	return cmd
}
