package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/kds-io/kds/adapters/httpapi/apiclient"
	"github.com/kds-io/kds/adapters/httpapi/apiv1"
	"github.com/kds-io/kds/app/content"
	"github.com/kds-io/kds/app/query"
	"github.com/kds-io/kds/app/topic"
)

func newTopicListCommand(g *globals) *cobra.Command {
	var status string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List topics",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			client, err := g.client()
			if err != nil {
				return err
			}
			var st topic.Status
			if status != "" {
				if st, err = topic.ParseStatus(status); err != nil {
					return &usageError{msg: err.Error()}
				}
			}
			topics, err := client.Topics(cmd.Context(), st)
			if err != nil {
				return err
			}
			usage := listedUsage(cmd.Context(), client, topics)
			if g.output == "json" {
				shown := make([]topicWithUsage, len(topics))
				for i, t := range topics {
					shown[i].Topic = t
					if u, ok := usage[t.Name]; ok {
						shown[i].Usage = &apiv1.TopicUsageReport{TopicUsage: u}
					}
				}
				return printJSON(cmd.OutOrStdout(), shown)
			}
			rows := make([][]string, len(topics))
			for i, t := range topics {
				messages, size, last := "-", "-", "-"
				if u, ok := usage[t.Name]; ok {
					messages, size, last = fmt.Sprint(u.Messages), byteSize(u.Bytes), lastMessage(u.LastMessageAt)
				}
				rows[i] = []string{t.Name, string(t.Status), fmt.Sprint(t.Partitions), fmt.Sprint(t.ReplicationFactor),
					fmt.Sprint(t.Generation), messages, size, last, t.RequestedBy, ago(t.UpdatedAt)}
			}
			return printTable(cmd.OutOrStdout(), []string{"NAME", "STATUS", "PARTITIONS", "RF", "GEN", "MESSAGES", "SIZE", "LAST MESSAGE", "REQUESTED BY", "CHANGED"}, rows)
		},
	}
	cmd.Flags().StringVar(&status, "status", "", "only topics in this status")
	return cmd
}

// freshTopicsReadAlone bounds the topics activated since the API's latest
// usage reading that kds topic list has the API read one by one; more
// wait for its next reading.
const freshTopicsReadAlone = 20

// listedUsage is what the listed active topics hold. The API reads every
// active topic every few seconds; one activated since is read alone, so a
// topic just approved lists as empty rather than unknown. A list without
// usage is still a list.
func listedUsage(ctx context.Context, client *apiclient.Client, topics []query.Topic) map[string]content.TopicUsage {
	usage := map[string]content.TopicUsage{}
	report, err := client.Usage(ctx)
	if err != nil {
		return usage
	}
	for _, u := range report.Topics {
		usage[u.Topic] = u
	}
	fresh := 0
	for _, t := range topics {
		if _, ok := usage[t.Name]; ok || t.Status != topic.Active || fresh == freshTopicsReadAlone {
			continue
		}
		fresh++
		if u, err := client.TopicUsage(ctx, t.Name); err == nil {
			usage[t.Name] = u.TopicUsage
		}
	}
	return usage
}
