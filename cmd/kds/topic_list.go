package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/kds-io/kds/adapters/httpapi/apiv1"
	"github.com/kds-io/kds/app/content"
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
			// What active topics hold is read by the API every few
			// seconds; a list without it is still a list.
			usage := map[string]content.TopicUsage{}
			if report, err := client.Usage(cmd.Context()); err == nil {
				for _, u := range report.Topics {
					usage[u.Topic] = u
				}
			}
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
