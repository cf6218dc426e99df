package main

import (
	"github.com/spf13/cobra"
)

func newTopicRejectCommand(g *globals) *cobra.Command {
	var (
		reason string
		w      waitFlags
	)
	cmd := &cobra.Command{
		Use:   "reject TOPIC...",
		Short: "Reject pending topics (admin)",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, names []string) error {
			client, err := g.client()
			if err != nil {
				return err
			}
			return decide(cmd.Context(), client, cmd.OutOrStdout(), rejection, names, reason, w, g.output == "json")
		},
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why, for the requester and the audit trail")
	w.register(cmd)
	return cmd
}
