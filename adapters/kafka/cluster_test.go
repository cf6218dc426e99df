package kafka_test

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/kversion"

	"github.com/kds-io/kds/adapters/embedded"
	"github.com/kds-io/kds/adapters/kafka"
	"github.com/kds-io/kds/adapters/kafka/kafkatest"
	"github.com/kds-io/kds/app"
	"github.com/kds-io/kds/app/command"
	"github.com/kds-io/kds/app/topic"
)

func newCluster(t *testing.T, c kafka.Config) *kafka.Cluster {
	t.Helper()
	cl, err := kafka.NewCluster(c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cl.Close() })
	return cl
}

// createTopic creates one topic with a batch of one.
func createTopic(ctx context.Context, cl *kafka.Cluster, name topic.Name, spec topic.Spec) error {
	return cl.CreateTopics(ctx, []command.Creation{{Name: name, Spec: spec}})[0]
}

// validateTopic validates one topic with a batch of one.
func validateTopic(ctx context.Context, cl *kafka.Cluster, name topic.Name, spec topic.Spec) error {
	return cl.ValidateTopics(ctx, []command.Creation{{Name: name, Spec: spec}})[0]
}

// deleteTopic deletes one topic with a batch of one.
func deleteTopic(ctx context.Context, cl *kafka.Cluster, name topic.Name) error {
	return cl.DeleteTopics(ctx, []topic.Name{name})[0]
}

// quickToGiveUp is c with short timeouts, for a cluster that is not there.
func quickToGiveUp(c kafka.Config) kafka.Config {
	c.DialTimeout, c.RequestTimeout = 200*time.Millisecond, time.Second
	return c
}

func TestCreateAndDeleteAreIdempotent(t *testing.T) {
	t.Parallel()
	_, c := kafkatest.Start(t)
	cl, ctx := newCluster(t, c), context.Background()
	name := topic.MustParseName("orders")
	spec := topic.Spec{Partitions: 3, ReplicationFactor: 1, Configs: map[string]string{"retention.ms": "60000"}}
	for range 2 {
		if err := createTopic(ctx, cl, name, spec); err != nil {
			t.Fatal(err)
		}
	}
	if p, r, ok := kafkatest.Describe(t, c, "orders"); !ok || p != 3 || r != 1 {
		t.Fatalf("in Kafka: exists %v, %d partitions, rf %d", ok, p, r)
	}
	err := createTopic(ctx, cl, name, topic.Spec{Partitions: 5, ReplicationFactor: 1})
	var refused *command.ClusterRefusedError
	if !errors.As(err, &refused) || !strings.Contains(err.Error(), "already exists in Kafka with 3 partitions") {
		t.Fatalf("create with another spec: %v", err)
	}
	for range 2 {
		if err := deleteTopic(ctx, cl, name); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, ok := kafkatest.Describe(t, c, "orders"); ok {
		t.Fatal("the topic is still in Kafka")
	}
}

func TestBrokerRefusalsArePermanent(t *testing.T) {
	t.Parallel()
	_, c := kafkatest.Start(t)
	cl, ctx := newCluster(t, c), context.Background()
	err := validateTopic(ctx, cl, topic.MustParseName("replicated"), topic.Spec{Partitions: 1, ReplicationFactor: 3})
	var refused *command.ClusterRefusedError
	if !errors.As(err, &refused) || !command.IsPermanent(err) || !errors.Is(err, kerr.InvalidReplicationFactor) {
		t.Fatalf("rf 3 on one broker: %v, want a permanent refusal with the broker's INVALID_REPLICATION_FACTOR", err)
	}
	if _, _, ok := kafkatest.Describe(t, c, "replicated"); ok {
		t.Fatal("validation created the topic")
	}
	if err := validateTopic(ctx, cl, topic.MustParseName("fine"), topic.Spec{Partitions: 1, ReplicationFactor: 1}); err != nil {
		t.Fatalf("validate a good spec: %v", err)
	}
	if _, _, ok := kafkatest.Describe(t, c, "fine"); ok {
		t.Fatal("validation created the topic")
	}
}

func TestReplicationAcrossBrokers(t *testing.T) {
	t.Parallel()
	_, c := kafkatest.Start(t, kfake.NumBrokers(3))
	cl, ctx := newCluster(t, c), context.Background()
	if n, err := cl.Brokers(ctx); err != nil || n != 3 {
		t.Fatalf("brokers: %d, %v", n, err)
	}
	if err := createTopic(ctx, cl, topic.MustParseName("replicated"), topic.Spec{Partitions: 2, ReplicationFactor: 3}); err != nil {
		t.Fatal(err)
	}
	if p, r, ok := kafkatest.Describe(t, c, "replicated"); !ok || p != 2 || r != 3 {
		t.Fatalf("in Kafka: exists %v, %d partitions, rf %d", ok, p, r)
	}
}

func TestUnreachableClusterIsRetriable(t *testing.T) {
	t.Parallel()
	cl := newCluster(t, quickToGiveUp(kafkatest.Config("127.0.0.1:1")))
	err := createTopic(context.Background(), cl, topic.MustParseName("x"), topic.Spec{Partitions: 1, ReplicationFactor: 1})
	var unreachable *kafka.UnreachableError
	if !errors.As(err, &unreachable) || !errors.Is(err, app.ErrUnavailable) || command.IsPermanent(err) || !strings.Contains(err.Error(), "Kafka at 127.0.0.1:1") {
		t.Fatalf("got %v, want a retriable UnreachableError naming the broker, which is app.ErrUnavailable", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := cl.Ping(ctx); err == nil {
		t.Fatal("ping succeeded against nothing")
	}
}

func TestAClusterThatStartsLaterIsFound(t *testing.T) {
	t.Parallel()
	b, err := embedded.Start(embedded.Config{Addr: "127.0.0.1:0", Brokers: 1})
	if err != nil {
		t.Fatal(err)
	}
	addr := b.Addrs()[0]
	b.Close()
	c := quickToGiveUp(kafkatest.Config(addr))
	cl, ctx := newCluster(t, c), context.Background()
	if err := cl.Ping(ctx); err == nil {
		t.Fatal("ping succeeded with the broker stopped")
	}
	b, err = embedded.Start(embedded.Config{Addr: addr, Brokers: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := cl.Ping(ctx); err != nil {
		t.Fatalf("ping after the broker started: %v", err)
	}
}

// TestTopicsAreReadAsKafkaHasThemNow: the cluster's view of its topics
// is Kafka's now, not a cached one: a reconciliation reads Kafka after
// MySQL so that a topic activated in between is not taken for missing.
func TestTopicsAreReadAsKafkaHasThemNow(t *testing.T) {
	t.Parallel()
	_, c := kafkatest.Start(t)
	cl, ctx := newCluster(t, c), context.Background()
	read := func() (map[string]command.KafkaTopic, kafka.Inspection) {
		t.Helper()
		topics, err := cl.Topics(ctx)
		if err != nil {
			t.Fatal(err)
		}
		in, err := cl.Inspect(ctx, []string{"late"})
		if err != nil {
			t.Fatal(err)
		}
		return topics, in
	}
	if topics, in := read(); len(topics) != 0 || len(in.Topics) != 0 {
		t.Fatalf("topics in an empty cluster: %v, %v", topics, in.Topics)
	}
	kafkatest.CreateTopics(t, c, 3, "late")
	if topics, in := read(); topics["late"].Partitions != 3 || in.Topics["late"].Partitions != 3 {
		t.Fatalf("a topic just created: %v, %v", topics, in.Topics)
	}
	kafkatest.DeleteTopics(t, c, "late")
	if topics, in := read(); len(topics) != 0 || len(in.Topics) != 0 {
		t.Fatalf("a topic just deleted: %v, %v", topics, in.Topics)
	}
}

// TestKafkaVersionBoundsTheKgoClients: kafka.version is the newest
// protocol version every client of kds speaks, franz-go's included.
func TestKafkaVersionBoundsTheKgoClients(t *testing.T) {
	t.Parallel()
	for _, version := range []string{"2.4.0", ""} {
		c, cfg := kafkatest.Start(t)
		cfg.Version = version
		want := kversion.FromString(cmp.Or(version, kafka.DefaultVersion))
		var mu sync.Mutex
		var newer []string
		c.Control(func(req kmsg.Request) (kmsg.Response, error, bool) {
			c.KeepControl()
			if max, ok := want.LookupMaxKeyVersion(req.Key()); !ok || req.GetVersion() > max {
				mu.Lock()
				defer mu.Unlock()
				newer = append(newer, fmt.Sprintf("%s v%d", kmsg.NameForKey(req.Key()), req.GetVersion()))
			}
			return nil, nil, false
		})
		cl, ctx := newCluster(t, cfg), context.Background()
		if err := createTopic(ctx, cl, topic.MustParseName("versioned"), topic.Spec{Partitions: 1, ReplicationFactor: 1}); err != nil {
			t.Fatal(err)
		}
		pub, err := kafka.NewBatchPublisher(cfg, "key")
		if err != nil {
			t.Fatal(err)
		}
		if err := pub.Publish("versioned", message.NewMessage(watermill.NewUUID(), []byte("v"))); err != nil {
			t.Fatal(err)
		}
		pub.Close()
		mu.Lock()
		if len(newer) > 0 {
			t.Errorf("kafka.version %q: requests newer than it: %v", version, newer)
		}
		mu.Unlock()
	}
}

// TestCallsLeftByTheirContextDoNotRace: a call whose context ends returns
// at once with the context's error while its request goes on. When that
// request ends, its result must go nowhere the caller has read; go test
// -race shows it.
func TestCallsLeftByTheirContextDoNotRace(t *testing.T) {
	t.Parallel()
	c, cfg := kafkatest.Start(t, kfake.SeedTopics(1, topic.PoisonTopic))
	// The first request after stall is set is answered 150 ms late.
	var stall atomic.Bool
	c.Control(func(kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		if stall.Swap(false) {
			c.SleepControl(func() { time.Sleep(150 * time.Millisecond) })
		}
		return nil, nil, false
	})
	cl, offsets, poison := newCluster(t, cfg), kafka.NewOffsets(cfg), kafka.NewPoisonQueue(cfg, nil, newSigner(t, "k1:"+secret('a', 32)))
	defer offsets.Close()
	calls := []struct {
		name string
		call func(context.Context) error
	}{
		{"Brokers", func(ctx context.Context) error { _, err := cl.Brokers(ctx); return err }},
		{"Topics", func(ctx context.Context) error { _, err := cl.Topics(ctx); return err }},
		{"Inspect", func(ctx context.Context) error { _, err := cl.Inspect(ctx, topic.InternalTopics); return err }},
		{"Produced", func(ctx context.Context) error {
			_, err := offsets.Produced(ctx, []string{topic.PoisonTopic})
			return err
		}},
		{"poison List", func(ctx context.Context) error { _, err := poison.List(ctx); return err }},
	}
	for _, tc := range calls {
		if err := tc.call(context.Background()); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		stall.Store(true)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
		err := tc.call(ctx)
		cancel()
		// Wait for the left request without sending anything meanwhile:
		// the race detector takes any I/O as ordering what follows it.
		time.Sleep(300 * time.Millisecond)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("%s with a slow broker: %v, want the context's end", tc.name, err)
		}
	}
}
