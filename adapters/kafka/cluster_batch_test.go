package kafka_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/IBM/sarama"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kds-io/kds/adapters/kafka"
	"github.com/kds-io/kds/adapters/kafka/kafkatest"
	"github.com/kds-io/kds/app/command"
	"github.com/kds-io/kds/app/topic"
)

// TestConcurrentCreationsShareRequests: a thousand topics requested,
// activated or deleted at once must not cost a thousand round trips.
func TestConcurrentCreationsShareRequests(t *testing.T) {
	t.Parallel()
	c, cfg := kafkatest.Start(t)
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
	cl := kafka.NewCluster(cfg)
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
	_, c := kafkatest.Start(t)
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

// notController answers a CreateTopics or DeleteTopics request as a broker
// that is no longer the controller does: NOT_CONTROLLER for every topic.
func notController(req kmsg.Request) kmsg.Response {
	switch req := req.(type) {
	case *kmsg.CreateTopicsRequest:
		resp := req.ResponseKind().(*kmsg.CreateTopicsResponse)
		for _, rt := range req.Topics {
			st := kmsg.NewCreateTopicsResponseTopic()
			st.Topic, st.ErrorCode = rt.Topic, kerr.NotController.Code
			resp.Topics = append(resp.Topics, st)
		}
		return resp
	case *kmsg.DeleteTopicsRequest:
		resp := req.ResponseKind().(*kmsg.DeleteTopicsResponse)
		for _, rt := range req.Topics { // Sarama names topics this way from 2.8 on
			st := kmsg.NewDeleteTopicsResponseTopic()
			st.Topic, st.ErrorCode = rt.Topic, kerr.NotController.Code
			resp.Topics = append(resp.Topics, st)
		}
		return resp
	}
	panic(fmt.Sprintf("no NOT_CONTROLLER answer for %T", req))
}

// TestBatchesFollowANewController: after a controller failover, the broker
// kds knew as the controller answers NOT_CONTROLLER, or has gone and hung
// up. Creations, validations and deletions learn the new controller and go
// again, as Sarama's own CreateTopic does, instead of failing until the
// client's metadata is next refreshed.
func TestBatchesFollowANewController(t *testing.T) {
	t.Parallel()
	faults := map[string]func(kmsg.Request) (kmsg.Response, error, bool){
		"NOT_CONTROLLER": func(req kmsg.Request) (kmsg.Response, error, bool) { return notController(req), nil, true },
		"hung up":        func(kmsg.Request) (kmsg.Response, error, bool) { return nil, errors.New("controller gone"), true },
	}
	for name, fault := range faults {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, cfg := kafkatest.Start(t, kfake.NumBrokers(3))
			cl, ctx := newCluster(t, cfg), context.Background()
			orders, spec := topic.MustParseName("orders"), topic.Spec{Partitions: 2, ReplicationFactor: 3}
			// Each fault answers one request only.
			c.ControlKey(int16(kmsg.CreateTopics), fault)
			if err := cl.ValidateTopic(ctx, orders, spec); err != nil {
				t.Fatalf("validate after a failover: %v", err)
			}
			c.ControlKey(int16(kmsg.CreateTopics), fault)
			if err := cl.CreateTopic(ctx, orders, spec); err != nil {
				t.Fatalf("create after a failover: %v", err)
			}
			if p, r, ok := kafkatest.Describe(t, cfg, "orders"); !ok || p != 2 || r != 3 {
				t.Fatalf("in Kafka: exists %v, %d partitions, rf %d", ok, p, r)
			}
			c.ControlKey(int16(kmsg.DeleteTopics), fault)
			if err := cl.DeleteTopic(ctx, orders); err != nil {
				t.Fatalf("delete after a failover: %v", err)
			}
			if _, _, ok := kafkatest.Describe(t, cfg, "orders"); ok {
				t.Fatal("the topic is still in Kafka")
			}
		})
	}
	t.Run("no controller", func(t *testing.T) {
		t.Parallel()
		c, cfg := kafkatest.Start(t, kfake.NumBrokers(3))
		var requests atomic.Int32
		c.ControlKey(int16(kmsg.CreateTopics), func(req kmsg.Request) (kmsg.Response, error, bool) {
			c.KeepControl()
			requests.Add(1)
			return notController(req), nil, true
		})
		cl := newCluster(t, cfg)
		err := cl.CreateTopic(context.Background(), topic.MustParseName("orders"), topic.Spec{Partitions: 1, ReplicationFactor: 1})
		if !errors.Is(err, sarama.ErrNotController) || command.IsPermanent(err) {
			t.Fatalf("got %v, want a retriable NOT_CONTROLLER", err)
		}
		// Once, and again Admin.Retry.Max (3) times.
		if n := requests.Load(); n != 4 {
			t.Fatalf("%d CreateTopics requests, want 4", n)
		}
	})
}

// TestABatchCountsTheBrokersOnce: a replication factor refused for many
// topics of one batch is explained with one count of the brokers, not one
// per topic.
func TestABatchCountsTheBrokersOnce(t *testing.T) {
	t.Parallel()
	c, cfg := kafkatest.Start(t)
	var creates, describes atomic.Int32
	for key, n := range map[kmsg.Key]*atomic.Int32{kmsg.CreateTopics: &creates, kmsg.DescribeCluster: &describes} {
		c.ControlKey(int16(key), func(kmsg.Request) (kmsg.Response, error, bool) {
			c.KeepControl()
			n.Add(1)
			return nil, nil, false
		})
	}
	cl := newCluster(t, cfg)
	ctx, spec := context.Background(), topic.Spec{Partitions: 1, ReplicationFactor: 3}
	for op, call := range map[string]func(topic.Name) error{
		"validate": func(n topic.Name) error { return cl.ValidateTopic(ctx, n, spec) },
		"create":   func(n topic.Name) error { return cl.CreateTopic(ctx, n, spec) },
	} {
		creates.Store(0)
		describes.Store(0)
		var wg sync.WaitGroup
		for i := range 100 {
			wg.Go(func() {
				err := call(topic.MustParseName(fmt.Sprintf("t%03d", i)))
				var refused *command.ClusterRefusedError
				if !errors.As(err, &refused) || !strings.Contains(err.Error(), "more than the 1 broker(s)") {
					t.Errorf("%s with rf 3 on one broker: %v", op, err)
				}
			})
		}
		wg.Wait()
		if describes.Load() > creates.Load() {
			t.Errorf("%s: %d requests for the broker count in %d batches", op, describes.Load(), creates.Load())
		}
	}
}
