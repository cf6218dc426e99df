package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/kds-io/kds/app/subscription"
)

func newUnsubscribeCommand(g *globals) *cobra.Command {
	var id string
	cmd := &cobra.Command{
		Use:   "unsubscribe --id ID TOPIC...",
		Short: "End consumer ID's subscriptions to topics, without running it",
		Long: `End consumer ID's subscriptions to the topics named, as its unsubscribe
command does: kds forgets where it had read to, and its running processes
stop consuming them. For the subscriptions kds consume --topics left, which
stay so that the next run resumes them. A topic it is not subscribed to is
an error, after the others are done.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, topics []string) error {
			if id == "" {
				return &usageError{msg: "--id is required: the consumer whose subscriptions end"}
			}
			if _, err := subscription.ParseConsumerID(id); err != nil {
				return &usageError{msg: "--id: " + err.Error()}
			}
			client, err := g.client()
			if err != nil {
				return err
			}
			out, failed := cmd.OutOrStdout(), 0
			for _, t := range topics {
				if err := client.Unsubscribe(cmd.Context(), id, t); err != nil {
					fmt.Fprintf(cmd.ErrOrStderr(), "✗ %s: %s\n", visible(t), visibleLines(err.Error()))
					failed++
					continue
				}
				fmt.Fprintf(out, "✓ consumer %s unsubscribed from %s\n", id, visible(t))
			}
			if failed > 0 {
				return &reportedError{fmt.Sprintf("%d of %d subscriptions could not be ended", failed, len(topics))}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&id, "id", "", "the consumer's id")
	return cmd
}
