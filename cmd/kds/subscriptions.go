package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kds-io/kds/adapters/httpapi/apiclient"
	"github.com/kds-io/kds/app/query"
)

func newSubscriptionsCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "subscriptions",
		Short: "Who is subscribed to what, and which consumer processes are alive",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			client, err := g.client()
			if err != nil {
				return err
			}
			return printSubscriptions(cmd.Context(), client, cmd.OutOrStdout(), g.output == "json")
		},
	}
}

func printSubscriptions(ctx context.Context, client *apiclient.Client, out io.Writer, asJSON bool) error {
	consumers, err := client.Consumers(ctx)
	if err != nil {
		return err
	}
	if asJSON {
		return printJSON(out, consumers)
	}
	if len(consumers) == 0 {
		_, err := fmt.Fprintln(out, "No consumers yet.")
		return err
	}
	var rows [][]string
	for _, c := range consumers {
		procs := describeProcesses(c.Instances)
		if len(c.Subscriptions) == 0 {
			rows = append(rows, []string{string(c.ID), "-", "-", procs, "-"})
		}
		for _, s := range c.Subscriptions {
			state := "live"
			if !s.Live {
				state = "ended (topic " + string(s.TopicStatus) + ")"
			}
			rows = append(rows, []string{string(c.ID), s.Topic, state, procs, ago(s.CreatedAt)})
		}
	}
	return printTable(out, []string{"CONSUMER", "TOPIC", "SUBSCRIPTION", "PROCESSES", "SINCE"}, rows)
}

// describeProcesses says how many of a consumer's processes are alive, and where.
func describeProcesses(insts []query.Instance) string {
	var alive []string
	for _, in := range insts {
		if in.Alive {
			alive = append(alive, fmt.Sprintf("%s:%d", in.Host, in.PID))
		}
	}
	if len(alive) == 0 {
		return "none alive"
	}
	return fmt.Sprintf("%d alive (%s)", len(alive), strings.Join(alive, ", "))
}
