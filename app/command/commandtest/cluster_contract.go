package commandtest

import (
	"context"
	"errors"
	"testing"

	"github.com/kds-io/kds/app/command"
	"github.com/kds-io/kds/app/topic"
)

// KafkaClusterContract runs the behaviour every command.KafkaCluster must
// have against the implementation newCluster returns; each call must
// return a cluster of one broker without topics of its own.
func KafkaClusterContract(t *testing.T, newCluster func(t *testing.T) command.KafkaCluster) {
	t.Run("a batch is created, each topic as asked", func(t *testing.T) {
		t.Parallel()
		cl, ctx := newCluster(t), context.Background()
		batch := []command.Creation{
			creation("wide", 6, nil),
			creation("narrow", 1, map[string]string{"retention.ms": "60000"}),
			creation("compacted", 2, map[string]string{"cleanup.policy": "compact"}),
		}
		wantAll(t, "create", cl.CreateTopics(ctx, batch), nil, nil, nil)
		inKafka := topics(t, cl)
		for _, c := range batch {
			kt, ok := inKafka[c.Name.String()]
			if !ok || kt.Partitions != c.Spec.Partitions || kt.ReplicationFactor != c.Spec.ReplicationFactor {
				t.Errorf("%s in Kafka: %+v (present %v), want %+v", c.Name, kt, ok, c.Spec)
			}
			for k, v := range c.Spec.Configs {
				if kt.Configs[k] != v {
					t.Errorf("%s in Kafka has %s=%q, want %q", c.Name, k, kt.Configs[k], v)
				}
			}
		}
	})

	t.Run("creating again counts as created unless the layout differs", func(t *testing.T) {
		t.Parallel()
		cl, ctx := newCluster(t), context.Background()
		once := []command.Creation{creation("orders", 3, nil)}
		wantAll(t, "create", cl.CreateTopics(ctx, once), nil)
		wantAll(t, "create again", cl.CreateTopics(ctx, once), nil)
		wantAll(t, "create with other partitions", cl.CreateTopics(ctx, []command.Creation{creation("orders", 5, nil)}), refused)
	})

	t.Run("each topic of a batch is answered on its own", func(t *testing.T) {
		t.Parallel()
		cl, ctx := newCluster(t), context.Background()
		replicated := creation("replicated", 1, nil)
		replicated.Spec.ReplicationFactor = 2 // more than the cluster's one broker
		wantAll(t, "create", cl.CreateTopics(ctx, []command.Creation{creation("first", 1, nil), replicated, creation("last", 1, nil)}), nil, refused, nil)
		inKafka := topics(t, cl)
		for name, want := range map[string]bool{"first": true, "replicated": false, "last": true} {
			if _, ok := inKafka[name]; ok != want {
				t.Errorf("%s in Kafka: %v, want %v", name, ok, want)
			}
		}
	})

	t.Run("validation creates nothing", func(t *testing.T) {
		t.Parallel()
		cl, ctx := newCluster(t), context.Background()
		wantAll(t, "create", cl.CreateTopics(ctx, []command.Creation{creation("taken", 1, nil)}), nil)
		replicated := creation("replicated", 1, nil)
		replicated.Spec.ReplicationFactor = 2
		wantAll(t, "validate", cl.ValidateTopics(ctx, []command.Creation{creation("fine", 1, nil), replicated, creation("taken", 1, nil)}), nil, refused, refused)
		inKafka := topics(t, cl)
		for _, name := range []string{"fine", "replicated"} {
			if _, ok := inKafka[name]; ok {
				t.Errorf("validating created %s", name)
			}
		}
	})

	t.Run("deleting counts a topic already gone as deleted", func(t *testing.T) {
		t.Parallel()
		cl, ctx := newCluster(t), context.Background()
		wantAll(t, "create", cl.CreateTopics(ctx, []command.Creation{creation("a", 1, nil), creation("b", 2, nil)}), nil, nil)
		names := []topic.Name{topic.MustParseName("a"), topic.MustParseName("b"), topic.MustParseName("never")}
		wantAll(t, "delete", cl.DeleteTopics(ctx, names), nil, nil, nil)
		inKafka := topics(t, cl)
		for _, n := range names {
			if _, ok := inKafka[n.String()]; ok {
				t.Errorf("%s is still in Kafka", n)
			}
		}
		wantAll(t, "delete again", cl.DeleteTopics(ctx, names), nil, nil, nil)
	})

	t.Run("an empty batch is answered at once", func(t *testing.T) {
		t.Parallel()
		cl, ctx := newCluster(t), context.Background()
		if n := len(cl.CreateTopics(ctx, nil)) + len(cl.ValidateTopics(ctx, nil)) + len(cl.DeleteTopics(ctx, nil)); n != 0 {
			t.Fatalf("%d answers for no topics", n)
		}
	})

	t.Run("partitions grow and configs change, partitions never shrink", func(t *testing.T) {
		t.Parallel()
		cl, ctx := newCluster(t), context.Background()
		name := topic.MustParseName("drifting")
		wantAll(t, "create", cl.CreateTopics(ctx, []command.Creation{creation("drifting", 2, map[string]string{"retention.ms": "60000", "segment.ms": "3600000"})}), nil)
		for range 2 { // growing to the count it has already changes nothing
			if err := cl.AddPartitions(ctx, name, 5); err != nil {
				t.Fatal(err)
			}
		}
		if err := cl.ReplaceConfigs(ctx, name, map[string]string{"retention.ms": "120000", "cleanup.policy": "compact"}); err != nil {
			t.Fatal(err)
		}
		got := topics(t, cl)["drifting"]
		if got.Partitions != 5 || got.ReplicationFactor != 1 || got.Configs["retention.ms"] != "120000" || got.Configs["cleanup.policy"] != "compact" {
			t.Fatalf("described %+v", got)
		}
		if _, ok := got.Configs["segment.ms"]; ok {
			t.Fatalf("a config left out stayed set: %+v", got.Configs)
		}
		if err := cl.AddPartitions(ctx, name, 3); !isRefused(err) {
			t.Fatalf("shrinking a topic's partitions: %v, want a refusal", err)
		}
	})
}

// refused stands, in what wantAll expects, for a permanent
// *command.ClusterRefusedError.
var refused = errors.New("refused")

func isRefused(err error) bool {
	var r *command.ClusterRefusedError
	return errors.As(err, &r) && command.IsPermanent(err)
}

// wantAll fails the test unless errs has one answer per wanted one: nil,
// or a refusal.
func wantAll(t *testing.T, what string, errs []error, want ...error) {
	t.Helper()
	if len(errs) != len(want) {
		t.Fatalf("%s: %d answers for %d topics: %v", what, len(errs), len(want), errs)
	}
	for i, w := range want {
		if (w == nil && errs[i] != nil) || (w == refused && !isRefused(errs[i])) {
			t.Errorf("%s, topic %d: %v, want %v", what, i+1, errs[i], w)
		}
	}
}

func creation(name string, partitions int32, configs map[string]string) command.Creation {
	return command.Creation{Name: topic.MustParseName(name), Spec: topic.Spec{Partitions: partitions, ReplicationFactor: 1, Configs: configs}}
}

func topics(t *testing.T, cl command.KafkaCluster) map[string]command.KafkaTopic {
	t.Helper()
	inKafka, err := cl.Topics(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return inKafka
}
