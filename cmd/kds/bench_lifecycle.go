package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/kds-io/kds/adapters/httpapi/apiclient"
	"github.com/kds-io/kds/adapters/httpapi/apiv1"
	"github.com/kds-io/kds/app/command"
	"github.com/kds-io/kds/app/topic"
)

func newBenchLifecycleCommand(g *globals) *cobra.Command {
	var (
		topics, bulk int
		keep         bool
	)
	cmd := &cobra.Command{
		Use:   "lifecycle",
		Short: "Approve → active latency, one topic at a time, and bulk activation",
		Long: `Measures, against a running kds:

  latency  --topics topics are requested, then approved one at a time; for each,
           the time from the approve command being issued to the topic being
           recorded active (as the server recorded it), and to the client
           seeing it active (through the API's event-driven wait).
  bulk     --bulk topics are requested, then approved in one batch; the time until
           the last one is active, and topics per second.

The topics are deactivated (and so deleted from Kafka) afterwards unless --keep.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := errors.Join(flagAtLeast("--topics", topics, 0), flagAtLeast("--bulk", bulk, 0)); err != nil {
				return err
			}
			client, err := g.client()
			if err != nil {
				return err
			}
			b := lifecycleBench{client: client, out: cmd.OutOrStdout(), run: time.Now().Format("150405")}
			ctx := cmd.Context()
			latencyTopics, err := b.latency(ctx, topics)
			if err != nil {
				return err
			}
			bulkTopics, err := b.bulk(ctx, bulk)
			if err != nil {
				return err
			}
			if keep {
				return nil
			}
			return b.cleanUp(ctx, append(latencyTopics, bulkTopics...))
		},
	}
	cmd.Flags().IntVar(&topics, "topics", 200, "topics approved one at a time")
	cmd.Flags().IntVar(&bulk, "bulk", 1000, "topics approved at once")
	cmd.Flags().BoolVar(&keep, "keep", false, "leave the topics active")
	return cmd
}

type lifecycleBench struct {
	client *apiclient.Client
	out    io.Writer
	run    string
}

// batch issues one command of type t per name, requesting topics of the
// given partitions, and waits until every topic has reached status until.
func (b lifecycleBench) batch(ctx context.Context, t command.Type, names []string, until topic.Status, partitions int32) (time.Duration, error) {
	start := time.Now()
	for chunk := range chunks(names, 1000) {
		cmds := make([]apiv1.BatchCommand, len(chunk))
		for i, n := range chunk {
			cmds[i] = apiv1.BatchCommand{Type: t, Topic: n, Partitions: partitions, ReplicationFactor: 1}
		}
		if _, err := b.client.Batch(ctx, apiv1.BatchRequest{Commands: cmds}); err != nil {
			return 0, fmt.Errorf("%s batch: %w", t, err)
		}
	}
	if err := b.awaitAll(ctx, names, until); err != nil {
		return 0, err
	}
	return time.Since(start), nil
}

// awaitAll polls until every topic has reached status; every 50 ms, so
// that listing topics does not slow down what it measures.
func (b lifecycleBench) awaitAll(ctx context.Context, names []string, status topic.Status) error {
	want := make(map[string]bool, len(names))
	for _, n := range names {
		want[n] = true
	}
	deadline := time.Now().Add(5 * time.Minute)
	for time.Now().Before(deadline) {
		ts, err := b.client.Topics(ctx, status)
		if err != nil {
			return err
		}
		n := 0
		for _, t := range ts {
			if want[t.Name] {
				n++
			}
		}
		if n == len(names) {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("not all %d topics became %s within 5 minutes", len(names), status)
}

func (b lifecycleBench) names(kind string, n int) []string {
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("bench.%s.%s.%05d", b.run, kind, i)
	}
	return names
}

func (b lifecycleBench) latency(ctx context.Context, n int) ([]string, error) {
	names := b.names("latency", n)
	if n == 0 {
		return nil, nil
	}
	if _, err := b.batch(ctx, command.RequestTopicType, names, topic.Pending, 1); err != nil {
		return nil, err
	}
	var server, client latencies
	for _, name := range names {
		start := time.Now()
		cmd, err := b.client.Decide(ctx, name, "approve", "")
		if err != nil {
			return nil, err
		}
		t, err := b.client.WaitTopic(ctx, name, topic.Pending, time.Minute)
		if err == nil && t.Status == topic.Approved {
			t, err = b.client.WaitTopic(ctx, name, topic.Approved, time.Minute)
		}
		if err != nil {
			return nil, err
		}
		if t.Status != topic.Active {
			return nil, fmt.Errorf("%s is %s after approval, not active (%s)", name, t.Status, t.Error)
		}
		client = append(client, time.Since(start))
		active, err := b.activatedAt(ctx, name)
		if err != nil {
			return nil, err
		}
		server = append(server, active.Sub(cmd.IssuedAt))
	}
	server.print(b.out, "approve → active, recorded by the server:")
	client.print(b.out, "approve → active, seen by the client:")
	return names, nil
}

func (b lifecycleBench) activatedAt(ctx context.Context, name string) (time.Time, error) {
	h, err := b.client.History(ctx, name)
	if err != nil {
		return time.Time{}, err
	}
	for _, tr := range h {
		if tr.Action == topic.Activate {
			return tr.At, nil
		}
	}
	return time.Time{}, fmt.Errorf("%s has no activation in its history", name)
}

func (b lifecycleBench) bulk(ctx context.Context, n int) ([]string, error) {
	names := b.names("bulk", n)
	if n == 0 {
		return nil, nil
	}
	if _, err := b.batch(ctx, command.RequestTopicType, names, topic.Pending, 1); err != nil {
		return nil, err
	}
	took, err := b.batch(ctx, command.ApproveTopicType, names, topic.Active, 1)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(b.out, "%-44s %d topics in %s: %.0f topics/s\n", "bulk approve → all active:", n, ms(took), float64(n)/took.Seconds())
	return names, nil
}

func (b lifecycleBench) cleanUp(ctx context.Context, names []string) error {
	if len(names) == 0 {
		return nil
	}
	took, err := b.batch(ctx, command.DeactivateTopicType, names, topic.Deleted, 1)
	if err != nil {
		return err
	}
	fmt.Fprintf(b.out, "%-44s %d topics in %s: %.0f topics/s\n", "bulk deactivate → all deleted:", len(names), ms(took), float64(len(names))/took.Seconds())
	return nil
}

func chunks(s []string, n int) func(func([]string) bool) {
	return func(yield func([]string) bool) {
		for len(s) > 0 {
			c := s[:min(n, len(s))]
			s = s[len(c):]
			if !yield(c) {
				return
			}
		}
	}
}
