package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/kds-io/kds/app/command"
)

func newPoisonCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "poison",
		Short: "Messages a handler could never process, and replaying them",
		Long: `A command or event that can never succeed, such as an approval Kafka refuses
to create, goes to kds.poison with the reason, so that it does not block
the messages behind it. Fix the cause, then requeue it.`,
	}
	cmd.AddCommand(newPoisonListCommand(g), newPoisonRequeueCommand(g))
	return cmd
}

func newPoisonListCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the poison messages, oldest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			client, err := g.client()
			if err != nil {
				return err
			}
			ms, err := client.Poison(cmd.Context())
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if g.output == "json" {
				return printJSON(out, ms)
			}
			if len(ms) == 0 {
				fmt.Fprintln(out, "No poison messages.")
				return nil
			}
			rows := make([][]string, len(ms))
			for i, m := range ms {
				rows[i] = []string{m.ID, m.At.Format(time.RFC3339), m.Topic, m.Key, m.Handler, m.Reason}
			}
			return printTable(out, []string{"ID", "AT", "FROM", "KEY", "HANDLER", "REASON"}, rows)
		},
	}
}

func newPoisonRequeueCommand(g *globals) *cobra.Command {
	var all bool
	cmd := &cobra.Command{
		Use:   "requeue ID... | --all",
		Short: "Replay poison messages on the topics they came from (admin)",
		Long: `Replay poison messages on the topics they came from, signed anew. Only a
message signed by kds is requeued; --all skips the others and says so.`,
		RunE: func(cmd *cobra.Command, ids []string) error {
			if all == (len(ids) > 0) {
				return &usageError{msg: "give message ids or --all, not both or neither"}
			}
			client, err := g.client()
			if err != nil {
				return err
			}
			ctx, out := cmd.Context(), cmd.OutOrStdout()
			if all {
				ms, err := client.Poison(ctx)
				if err != nil {
					return err
				}
				skipped := out
				if g.output == "json" {
					skipped = cmd.ErrOrStderr()
				}
				for _, m := range ms {
					// The API refuses these one by one; --all means every
					// message that can be requeued.
					if !m.Signed {
						fmt.Fprintf(skipped, "skipped %s: not signed by kds\n", m.ID)
						continue
					}
					ids = append(ids, m.ID)
				}
			}
			var done []command.PoisonMessage
			for _, id := range ids {
				m, err := client.RequeuePoison(ctx, id)
				if err != nil {
					return fmt.Errorf("requeue %s: %w", id, err)
				}
				done = append(done, m)
				if g.output != "json" {
					fmt.Fprintf(out, "requeued %s on %s (%s)\n", visible(m.ID), visible(m.Topic), visible(strings.TrimSpace(m.Key)))
				}
			}
			if g.output == "json" {
				return printJSON(out, done)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&all, "all", false, "requeue every poison message signed by kds")
	return cmd
}
