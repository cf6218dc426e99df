package main

import (
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/spf13/cobra"
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
			if g.output == "json" {
				return printJSON(out, t)
			}
			fmt.Fprintf(out, "name:               %s\n", visible(t.Name))
			fmt.Fprintf(out, "status:             %s\n", t.Status)
			fmt.Fprintf(out, "generation:         %d\n", t.Generation)
			fmt.Fprintf(out, "partitions:         %d\n", t.Partitions)
			fmt.Fprintf(out, "replication factor: %d\n", t.ReplicationFactor)
			for _, k := range slices.Sorted(maps.Keys(t.Configs)) {
				fmt.Fprintf(out, "config:             %s=%s\n", visible(k), visible(t.Configs[k]))
			}
			fmt.Fprintf(out, "requested by:       %s at %s\n", visible(t.RequestedBy), t.RequestedAt.Format(time.RFC3339))
			fmt.Fprintf(out, "last change:        %s\n", t.UpdatedAt.Format(time.RFC3339))
			if t.Error != "" {
				fmt.Fprintf(out, "error:              %s\n", visible(t.Error))
			}
			return nil
		},
	}
}
