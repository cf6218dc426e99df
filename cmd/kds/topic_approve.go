package main

import "github.com/spf13/cobra"

func newTopicApproveCommand(g *globals) *cobra.Command {
	return newDecisionCommand(g, approval, "Approve pending topics; the topic manager then creates them in Kafka (admin)")
}
