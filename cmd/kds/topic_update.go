package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/kds-io/kds/adapters/httpapi/apiv1"
	"github.com/kds-io/kds/app/command"
)

func newTopicUpdateCommand(g *globals) *cobra.Command {
	var (
		producers, consumers []string
		reason               string
		w                    waitFlags
	)
	cmd := &cobra.Command{
		Use:   "update TOPIC [--producer NAME]... [--consumer ID]...",
		Short: "Name who may write and read an active topic; with kafka.manage_acls they get its Kafka ACLs (admin)",
		Long: `Replace an active topic's producers (token names that may write besides its
owner) or consumers (consumer ids that may read), keeping everything else.
--producer "" or --consumer "" names none.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !cmd.Flags().Changed("producer") && !cmd.Flags().Changed("consumer") {
				return &usageError{msg: "name the producers (--producer) or the consumers (--consumer) the topic is to have"}
			}
			client, err := g.client()
			if err != nil {
				return err
			}
			ctx, out, name := cmd.Context(), cmd.OutOrStdout(), args[0]
			t, err := client.Topic(ctx, name)
			if err != nil {
				return err
			}
			u := apiv1.TopicUpdate{Partitions: t.Partitions, ReplicationFactor: t.ReplicationFactor, Configs: t.Configs,
				Owner: t.Owner, Description: t.Description, Producers: t.Producers, Consumers: t.Consumers, Reason: reason}
			if cmd.Flags().Changed("producer") {
				u.Producers = nonEmpty(producers)
			}
			if cmd.Flags().Changed("consumer") {
				u.Consumers = nonEmpty(consumers)
			}
			c, err := client.UpdateTopic(ctx, name, u)
			if err != nil {
				return err
			}
			if !w.noWait {
				// Applied in kds, then carried out in Kafka: its ACLs too.
				deadline := time.Now().Add(w.wait)
				if c, err = awaitCommand(ctx, client, c, deadline); err != nil {
					return fmt.Errorf("%s: %w", name, err)
				}
				id, err := command.KafkaUpdateID(name, t.Generation, c.ID)
				if err != nil {
					return err
				}
				if err := awaitInternalCommand(ctx, client, id, deadline); err != nil {
					return fmt.Errorf("%s: updated in kds, not in Kafka: %w", name, err)
				}
			}
			if g.output == "json" {
				return printJSON(out, c)
			}
			fmt.Fprintf(out, "%s: producers [%s], consumers [%s] (command %s %s)\n", visible(name),
				visible(strings.Join(u.Producers, ", ")), visible(strings.Join(u.Consumers, ", ")), c.ID, c.Status)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&producers, "producer", nil, "a token name that may write to the topic (repeatable)")
	f.StringArrayVar(&consumers, "consumer", nil, "a consumer id that may read the topic (repeatable)")
	f.StringVar(&reason, "reason", "", "why, for the audit trail")
	w.register(cmd)
	return cmd
}

// nonEmpty drops empty names, so that --producer "" names none.
func nonEmpty(names []string) []string {
	var out []string
	for _, n := range names {
		if n = strings.TrimSpace(n); n != "" {
			out = append(out, n)
		}
	}
	return out
}
