package kafka_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kds-io/kds/adapters/kafka"
	"github.com/kds-io/kds/app/topic"
)

// TestConcurrentCreationsShareRequests: a thousand topics requested,
// activated or deleted at once must not cost a thousand round trips.
func TestConcurrentCreationsShareRequests(t *testing.T) {
	t.Parallel()
	c := kfake.MustCluster(kfake.NumBrokers(1))
	defer c.Close()
	var creates, deletes atomic.Int32
	c.ControlKey(int16(kmsg.CreateTopics), func(kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		creates.Add(1)
		return nil, nil, false
	})
	c.ControlKey(int16(kmsg.DeleteTopics), func(kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		deletes.Add(1)
		return nil, nil, false
	})
	cl := kafka.NewCluster(kafka.Config{Brokers: c.ListenAddrs(), ClientID: "t", Version: "2.8.0", DialTimeout: time.Second, RequestTimeout: 5 * time.Second})
	defer cl.Close()
	ctx := context.Background()
	const n = 1000
	each := func(op func(topic.Name) error) {
		t.Helper()
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs <- op(topic.MustParseName(fmt.Sprintf("t%04d", i)))
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	each(func(n topic.Name) error {
		return cl.CreateTopic(ctx, n, topic.Spec{Partitions: 1, ReplicationFactor: 1})
	})
	topics, err := cl.Topics(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(topics) != n {
		t.Fatalf("%d topics in Kafka, want %d", len(topics), n)
	}
	createRequests := creates.Load()
	each(func(n topic.Name) error {
		return cl.ValidateTopic(ctx, topic.MustParseName("v"+n.String()), topic.Spec{Partitions: 1, ReplicationFactor: 1})
	})
	if validations := creates.Load() - createRequests; validations > n/10 {
		t.Fatalf("%d validate-only requests for %d topics: not batched", validations, n)
	}
	if topics, _ := cl.Topics(ctx); len(topics) != n {
		t.Fatalf("validating created topics: %d in Kafka", len(topics))
	}
	each(func(n topic.Name) error { return cl.DeleteTopic(ctx, n) })
	if topics, _ := cl.Topics(ctx); len(topics) != 0 {
		t.Fatalf("%d topics left after deleting all", len(topics))
	}
	t.Logf("%d topics created in %d CreateTopics requests, deleted in %d DeleteTopics requests", n, creates.Load(), deletes.Load())
	if creates.Load() > n/10 || deletes.Load() > n/10 {
		t.Fatalf("%d create and %d delete requests for %d topics: not batched", creates.Load(), deletes.Load(), n)
	}
}

func TestDescribeGrowAndConfigure(t *testing.T) {
	t.Parallel()
	c := startBroker(t, 1)
	cl, ctx := newCluster(t, c), context.Background()
	name := topic.MustParseName("drifting")
	if err := cl.CreateTopic(ctx, name, topic.Spec{Partitions: 2, ReplicationFactor: 1, Configs: map[string]string{"retention.ms": "60000"}}); err != nil {
		t.Fatal(err)
	}
	if err := cl.AddPartitions(ctx, name, 5); err != nil {
		t.Fatal(err)
	}
	if err := cl.SetConfigs(ctx, name, map[string]string{"retention.ms": "120000", "cleanup.policy": "compact"}); err != nil {
		t.Fatal(err)
	}
	topics, err := cl.Topics(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := topics["drifting"]
	if got.Partitions != 5 || got.ReplicationFactor != 1 || got.Configs["retention.ms"] != "120000" || got.Configs["cleanup.policy"] != "compact" {
		t.Fatalf("described %+v", got)
	}
	if err := cl.AddPartitions(ctx, name, 3); err == nil {
		t.Fatal("shrinking a topic's partitions succeeded")
	}
}
