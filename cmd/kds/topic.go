package main

import (
	"time"

	"github.com/spf13/cobra"
)

func newTopicCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "topic",
		Short: "Request, decide on and inspect topics",
		Long: `Topics move through pending → approved → active → inactive → deleted, or
pending → rejected. Producers request topics; admins approve, reject and
deactivate them; the topic manager creates and deletes them in Kafka.

Mutating verbs wait for the outcome (--wait, default 30s; --no-wait to
return once queued) and exit non-zero when a command is refused or fails.`,
	}
	cmd.AddCommand(
		newTopicRequestCommand(g),
		newTopicApproveCommand(g),
		newTopicRejectCommand(g),
		newTopicDeactivateCommand(g),
		newTopicListCommand(g),
		newTopicShowCommand(g),
		newTopicReadCommand(g),
		newTopicUpdateCommand(g),
		newTopicHistoryCommand(g),
		newTopicDriftCommand(g),
	)
	return cmd
}

// waitFlags are --wait and --no-wait.
type waitFlags struct {
	wait   time.Duration
	noWait bool
}

func (w *waitFlags) register(cmd *cobra.Command) {
	cmd.Flags().DurationVar(&w.wait, "wait", 30*time.Second, "how long to wait for the outcome")
	cmd.Flags().BoolVar(&w.noWait, "no-wait", false, "return once the command is queued")
}
