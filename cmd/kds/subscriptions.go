package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kds-io/kds/adapters/httpapi/apiclient"
	"github.com/kds-io/kds/adapters/httpapi/apiv1"
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
	// Lag is read by the API every few seconds; subscriptions without
	// it are still shown.
	lags := map[string]apiv1.SubscriptionLag{}
	if report, err := client.Usage(ctx); err == nil {
		for _, l := range report.Subscriptions {
			lags[l.Consumer+"\x00"+l.Topic] = l
		}
	}
	if asJSON {
		shown := make([]consumerWithLag, len(consumers))
		for i, c := range consumers {
			shown[i].Consumer = c
			for _, s := range c.Subscriptions {
				if l, ok := lags[string(c.ID)+"\x00"+s.Topic]; ok && s.Live {
					shown[i].Lag = append(shown[i].Lag, l)
				}
			}
		}
		return printJSON(out, shown)
	}
	if len(consumers) == 0 {
		_, err := fmt.Fprintln(out, "No consumers yet.")
		return err
	}
	var rows [][]string
	for _, c := range consumers {
		procs := describeProcesses(c.Instances)
		if len(c.Subscriptions) == 0 {
			rows = append(rows, []string{string(c.ID), "-", "-", "-", "-", procs, "-"})
		}
		for _, s := range c.Subscriptions {
			state, lag, group := "live", "-", "-"
			if !s.Live {
				state = "ended (topic " + string(s.TopicStatus) + ")"
			} else if l, ok := lags[string(c.ID)+"\x00"+s.Topic]; ok {
				lag, group = lagText(l.Lag), fmt.Sprintf("%s, %d members", l.State, l.Members)
			}
			rows = append(rows, []string{string(c.ID), s.Topic, state, lag, group, procs, ago(s.CreatedAt)})
		}
	}
	return printTable(out, []string{"CONSUMER", "TOPIC", "SUBSCRIPTION", "LAG", "GROUP", "PROCESSES", "SINCE"}, rows)
}

// consumerWithLag is a consumer as -o json shows it: with the lag of its
// live subscriptions, where the API could read it.
type consumerWithLag struct {
	query.Consumer
	Lag []apiv1.SubscriptionLag `json:"lag,omitempty"`
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
