package kafka_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kds-io/kds/adapters/kafka/kafkatest"
	"github.com/kds-io/kds/app/command"
	"github.com/kds-io/kds/app/command/commandtest"
	"github.com/kds-io/kds/app/topic"
)

// TestABatchIsOneRequest: a thousand topics requested, activated or
// deleted at once cost one request each way, not a thousand round trips.
func TestABatchIsOneRequest(t *testing.T) {
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
	cl, ctx := newCluster(t, cfg), context.Background()
	const n = 1000
	batch := func(prefix string) []command.Creation {
		out := make([]command.Creation, n)
		for i := range out {
			out[i] = command.Creation{Name: topic.MustParseName(fmt.Sprintf("%s%04d", prefix, i)), Spec: topic.Spec{Partitions: 1, ReplicationFactor: 1}}
		}
		return out
	}
	succeeded := func(what string, errs []error) {
		t.Helper()
		if len(errs) != n {
			t.Fatalf("%s: %d answers for %d topics", what, len(errs), n)
		}
		if err := errors.Join(errs...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	requests := func(what string, counter *atomic.Int32) {
		t.Helper()
		if got := counter.Swap(0); got != 1 {
			t.Errorf("%s: %d requests for %d topics, want 1", what, got, n)
		}
	}
	created := batch("t")
	succeeded("create", cl.CreateTopics(ctx, created))
	requests("create", &creates)
	topics, err := cl.Topics(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(topics) != n {
		t.Fatalf("%d topics in Kafka, want %d", len(topics), n)
	}
	succeeded("validate", cl.ValidateTopics(ctx, batch("v")))
	requests("validate", &creates)
	if topics, _ := cl.Topics(ctx); len(topics) != n {
		t.Fatalf("validating created topics: %d in Kafka", len(topics))
	}
	names := make([]topic.Name, n)
	for i, c := range created {
		names[i] = c.Name
	}
	succeeded("delete", cl.DeleteTopics(ctx, names))
	requests("delete", &deletes)
	if topics, _ := cl.Topics(ctx); len(topics) != 0 {
		t.Fatalf("%d topics left after deleting all", len(topics))
	}
}

func TestClusterMeetsTheContract(t *testing.T) {
	t.Parallel()
	commandtest.KafkaClusterContract(t, func(t *testing.T) command.KafkaCluster {
		_, c := kafkatest.Start(t)
		return newCluster(t, c)
	})
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
			if err := validateTopic(ctx, cl, orders, spec); err != nil {
				t.Fatalf("validate after a failover: %v", err)
			}
			c.ControlKey(int16(kmsg.CreateTopics), fault)
			if err := createTopic(ctx, cl, orders, spec); err != nil {
				t.Fatalf("create after a failover: %v", err)
			}
			if p, r, ok := kafkatest.Describe(t, cfg, "orders"); !ok || p != 2 || r != 3 {
				t.Fatalf("in Kafka: exists %v, %d partitions, rf %d", ok, p, r)
			}
			c.ControlKey(int16(kmsg.DeleteTopics), fault)
			if err := deleteTopic(ctx, cl, orders); err != nil {
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
		err := createTopic(context.Background(), cl, topic.MustParseName("orders"), topic.Spec{Partitions: 1, ReplicationFactor: 1})
		if !errors.Is(err, kerr.NotController) || command.IsPermanent(err) {
			t.Fatalf("got %v, want a retriable NOT_CONTROLLER", err)
		}
		// Once, and again three times.
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
	var describes atomic.Int32
	c.ControlKey(int16(kmsg.DescribeCluster), func(kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		describes.Add(1)
		return nil, nil, false
	})
	cl, ctx := newCluster(t, cfg), context.Background()
	batch := make([]command.Creation, 100)
	for i := range batch {
		batch[i] = command.Creation{Name: topic.MustParseName(fmt.Sprintf("t%03d", i)), Spec: topic.Spec{Partitions: 1, ReplicationFactor: 3}}
	}
	for op, call := range map[string]func(context.Context, []command.Creation) []error{"validate": cl.ValidateTopics, "create": cl.CreateTopics} {
		describes.Store(0)
		for i, err := range call(ctx, batch) {
			var refused *command.ClusterRefusedError
			if !errors.As(err, &refused) || !strings.Contains(err.Error(), "more than the 1 broker(s)") {
				t.Errorf("%s %s with rf 3 on one broker: %v", op, batch[i].Name, err)
			}
		}
		if n := describes.Load(); n > 1 {
			t.Errorf("%s: %d requests for the broker count in one batch", op, n)
		}
	}
}
