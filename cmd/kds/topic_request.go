package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/kds-io/kds/adapters/httpapi/apiv1"
	"github.com/kds-io/kds/app/query"
)

func newTopicRequestCommand(g *globals) *cobra.Command {
	var (
		req     apiv1.TopicRequest
		configs []string
		w       waitFlags
	)
	cmd := &cobra.Command{
		Use:   "request TOPIC",
		Short: "Request a new topic; it waits for an admin's approval (producer or admin)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			client, err := g.client()
			if err != nil {
				return err
			}
			req.Name = args[0]
			if err := explicitFlagsAtLeastOne(cmd, "partitions", "replication-factor"); err != nil {
				return err
			}
			if req.Configs, err = parseConfigs(configs); err != nil {
				return err
			}
			ctx, out := cmd.Context(), cmd.OutOrStdout()
			resp, err := client.RequestTopic(ctx, req)
			if err != nil {
				return err
			}
			c := resp.Command
			switch {
			case g.output == "json" && (req.DryRun || w.noWait):
				return printJSON(out, []outcome{newOutcome(req.Name, &c)})
			case req.DryRun:
				fmt.Fprintf(out, "%s: valid request (%s); nothing was created\n", req.Name, describeSpec(c))
				return nil
			case w.noWait:
				fmt.Fprintf(out, "%s: request queued (command %s)\n", req.Name, c.ID)
				return nil
			}
			settled, err := awaitCommand(ctx, client, c, time.Now().Add(w.wait))
			if err != nil {
				return fmt.Errorf("%s: %w", req.Name, err)
			}
			if g.output == "json" {
				return printJSON(out, []outcome{newOutcome(req.Name, &settled)})
			}
			fmt.Fprintf(out, "%s: requested, pending approval (%s)\n", req.Name, describeSpec(settled))
			return nil
		},
	}
	f := cmd.Flags()
	f.Int32VarP(&req.Partitions, "partitions", "p", 0, "partitions (default topics.default_partitions on the server)")
	f.Int16VarP(&req.ReplicationFactor, "replication-factor", "r", 0, "replication factor (default topics.default_replication_factor on the server)")
	f.StringArrayVarP(&configs, "topic-config", "c", nil, "Kafka topic config as key=value, such as retention.ms=86400000 (repeatable)")
	f.StringVar(&req.Reason, "reason", "", "what the topic is for")
	f.StringArrayVar(&req.Producers, "producer", nil, "a token name that may write to the topic besides its owner, from approval on (repeatable)")
	f.StringArrayVar(&req.Consumers, "consumer", nil, "a consumer id that may read the topic once it is active (repeatable)")
	f.BoolVar(&req.DryRun, "dry-run", false, "check the request with kds and the broker without creating anything")
	w.register(cmd)
	return cmd
}

// parseConfigs splits each key=value at its first '=': Kafka's config
// names never hold one, and its values may (a=b=c is a set to b=c).
func parseConfigs(pairs []string) (map[string]string, error) {
	if len(pairs) == 0 {
		return nil, nil
	}
	m := make(map[string]string, len(pairs))
	for _, p := range pairs {
		k, v, ok := strings.Cut(p, "=")
		if !ok || k == "" {
			return nil, &usageError{msg: fmt.Sprintf("--topic-config %q: want key=value", p)}
		}
		if _, twice := m[k]; twice {
			return nil, &usageError{msg: fmt.Sprintf("--topic-config %s is given twice", k)}
		}
		m[k] = v
	}
	return m, nil
}

func describeSpec(c query.Command) string {
	s := fmt.Sprintf("%d partitions, replication factor %d", c.Partitions, c.ReplicationFactor)
	for k, v := range c.Configs {
		s += fmt.Sprintf(", %s=%s", visible(k), visible(v))
	}
	return s
}

// explicitFlagsAtLeastOne refuses 0 or less for each of the named flags
// that was given: left out, the server's default applies; given, it is
// what the user asked for and must make sense.
func explicitFlagsAtLeastOne(cmd *cobra.Command, names ...string) error {
	for _, name := range names {
		f := cmd.Flags().Lookup(name)
		if !f.Changed {
			continue
		}
		n, err := strconv.ParseInt(f.Value.String(), 10, 64)
		if err != nil {
			return err
		}
		if err := flagAtLeast("--"+name, n, 1); err != nil {
			return err
		}
	}
	return nil
}
