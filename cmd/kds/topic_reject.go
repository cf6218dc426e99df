package main

import "github.com/spf13/cobra"

func newTopicRejectCommand(g *globals) *cobra.Command {
	return newDecisionCommand(g, rejection, "Reject pending topics, with --reason for the requester (admin)")
}
