package main

import (
	"github.com/spf13/cobra"

	"github.com/kds-io/kds/app/declaration"
	"github.com/kds-io/kds/app/topic"
)

func newExportCommand(g *globals) *cobra.Command {
	var owner string
	cmd := &cobra.Command{
		Use:   "export [--owner O]",
		Short: "Write today's topics as a declaration that kds plan shows as no change",
		Long: `Write kds's live topics (pending, approved and active), or one owner's, as
a declaration of topics in YAML on standard output: the start of keeping
topics as code, which kds plan then shows as no change.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			client, err := g.client()
			if err != nil {
				return err
			}
			current, err := client.Topics(cmd.Context(), "")
			if err != nil {
				return err
			}
			var topics []declaration.Topic
			for _, t := range current {
				if t.Status.IsFinal() || t.Status == topic.Inactive || owner != "" && t.Owner != owner {
					continue
				}
				topics = append(topics, declaration.Topic{Name: t.Name,
					Spec:    topic.Spec{Partitions: t.Partitions, ReplicationFactor: t.ReplicationFactor, Configs: t.Configs},
					Details: topic.Details{Owner: t.Owner, Description: t.Description, Producers: t.Producers, Consumers: t.Consumers}})
			}
			return writeDeclaration(cmd.OutOrStdout(), topics)
		},
	}
	cmd.Flags().StringVar(&owner, "owner", "", "only this owner's topics")
	return cmd
}
