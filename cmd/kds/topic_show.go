package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/kds-io/kds/adapters/httpapi/apiclient"
	"github.com/kds-io/kds/adapters/httpapi/apiv1"
	"github.com/kds-io/kds/app/access"
	"github.com/kds-io/kds/app/topic"
)

func newTopicShowCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "show TOPIC",
		Short: "Show a topic",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			client, err := g.client()
			if err != nil {
				return err
			}
			t, err := client.Topic(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			shown := topicWithUsage{Topic: t}
			var usageErr error
			if t.Status == topic.Active {
				u, err := client.TopicUsage(cmd.Context(), t.Name)
				if err == nil {
					shown.Usage = &u
				}
				usageErr = err
			}
			if g.output == "json" {
				return printJSON(out, shown)
			}
			fmt.Fprintf(out, "name:               %s\n", visible(t.Name))
			fmt.Fprintf(out, "status:             %s\n", t.Status)
			fmt.Fprintf(out, "generation:         %d\n", t.Generation)
			fmt.Fprintf(out, "partitions:         %d\n", t.Partitions)
			fmt.Fprintf(out, "replication factor: %d\n", t.ReplicationFactor)
			for _, k := range slices.Sorted(maps.Keys(t.Configs)) {
				fmt.Fprintf(out, "config:             %s=%s\n", visible(k), visible(t.Configs[k]))
			}
			fmt.Fprintf(out, "owner:              %s\n", visible(t.Owner))
			if len(t.Producers) > 0 {
				fmt.Fprintf(out, "producers:          %s\n", visible(strings.Join(t.Producers, ", ")))
			}
			if len(t.Consumers) > 0 {
				fmt.Fprintf(out, "consumers:          %s\n", visible(strings.Join(t.Consumers, ", ")))
			}
			if err := printAccess(cmd.Context(), out, client, t.Name); err != nil {
				return err
			}
			fmt.Fprintf(out, "requested by:       %s at %s\n", visible(t.RequestedBy), t.RequestedAt.Format(time.RFC3339))
			fmt.Fprintf(out, "last change:        %s\n", t.UpdatedAt.Format(time.RFC3339))
			if t.Error != "" {
				fmt.Fprintf(out, "error:              %s\n", visible(t.Error))
			}
			switch {
			case usageErr != nil:
				fmt.Fprintf(out, "usage:              unknown: %s\n", visible(usageErr.Error()))
			case shown.Usage != nil:
				printTopicUsage(out, *shown.Usage)
			}
			return nil
		},
	}
}

// printTopicUsage writes what an active topic holds, per partition, and
// how far behind its subscriptions are.
func printTopicUsage(out io.Writer, u apiv1.TopicUsageReport) {
	fmt.Fprintf(out, "messages:           %d kept, %d written, %.1f/s\n", u.Messages, u.Produced, u.Rate)
	fmt.Fprintf(out, "size:               %s\n", byteSize(u.Bytes))
	fmt.Fprintf(out, "last message:       %s\n", lastMessage(u.LastMessageAt))
	for _, p := range u.Partitions {
		fmt.Fprintf(out, "partition %-8d  offsets %d-%d, %d messages, %s, last %s\n",
			p.Partition, p.Earliest, p.Latest, p.Kept(), byteSize(p.Bytes), lastMessage(p.LastMessageAt))
	}
	for _, l := range u.Subscriptions {
		fmt.Fprintf(out, "subscription:       %s lag %s, %d members, %s\n", visible(l.Consumer), lagText(l.Lag), l.Members, visible(l.State))
	}
}

// printAccess lists who may write and who may read topic in Kafka, where
// kds manages Kafka's ACLs; elsewhere it prints nothing.
func printAccess(ctx context.Context, out io.Writer, client *apiclient.Client, name string) error {
	grants, err := client.Access(ctx)
	var apiErr *apiclient.APIError
	if errors.As(err, &apiErr) && apiErr.Status == 404 {
		return nil
	}
	if err != nil {
		return err
	}
	writers, readers := whoMay(grants[name], access.Write), whoMay(grants[name], access.Read)
	fmt.Fprintf(out, "may write (Kafka):  %s\n", visible(cmp.Or(strings.Join(writers, ", "), "nobody")))
	fmt.Fprintf(out, "may read (Kafka):   %s\n", visible(cmp.Or(strings.Join(readers, ", "), "nobody")))
	return nil
}

// whoMay are the principals granted op on a topic itself.
func whoMay(grants []access.Grant, op access.Operation) []string {
	var out []string
	for _, g := range grants {
		if g.Resource == access.TopicResource && g.Operation == op && !slices.Contains(out, g.Principal) {
			out = append(out, g.Principal)
		}
	}
	return out
}
