// Package kafkatest runs an in-process Kafka-protocol cluster (franz-go's
// kfake) for a test, and talks to a cluster as a client independent of
// kds would: an admin client of the test's own sets topics up and reads
// back what kds did.
package kafkatest

import (
	"context"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kds-io/kds/adapters/kafka"
)

// timeout bounds each request of the helpers below.
const timeout = 10 * time.Second

// Start runs a cluster of one broker, or as opts say, until the test ends,
// and returns it with a configuration of kds's clients for it.
func Start(t testing.TB, opts ...kfake.Opt) (*kfake.Cluster, kafka.Config) {
	t.Helper()
	c, err := kfake.NewCluster(append([]kfake.Opt{kfake.NumBrokers(1)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c, Config(c.ListenAddrs()...)
}

// Config is a configuration of kds's clients for the brokers at addrs,
// with timeouts that suit a broker on this machine.
func Config(addrs ...string) kafka.Config {
	return kafka.Config{Brokers: addrs, ClientID: "kds-test", DialTimeout: time.Second, RequestTimeout: 5 * time.Second}
}

// Admin is an admin client of the test's own on c's brokers, without c's
// security settings, shared with nothing in kds; it closes when the test
// ends.
func Admin(t testing.TB, c kafka.Config) *kadm.Client {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.Brokers...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	admin := kadm.NewClient(cl)
	admin.SetTimeoutMillis(int32(timeout / time.Millisecond))
	return admin
}

// CreateTopics creates topics with partitions partitions and one replica
// each, and fails the test unless every one is created.
func CreateTopics(t testing.TB, c kafka.Config, partitions int32, names ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	resp, err := Admin(t, c).CreateTopics(ctx, partitions, 1, nil, names...)
	if err == nil {
		err = resp.Error()
	}
	if err != nil {
		t.Fatalf("create topics %v: %v", names, err)
	}
}

// DeleteTopics deletes topics, and fails the test unless every one is
// deleted.
func DeleteTopics(t testing.TB, c kafka.Config, names ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	resp, err := Admin(t, c).DeleteTopics(ctx, names...)
	if err == nil {
		err = resp.Error()
	}
	if err != nil {
		t.Fatalf("delete topics %v: %v", names, err)
	}
}

// Describe says whether a topic exists, and with how many partitions and
// replicas, as the brokers report it now.
func Describe(t testing.TB, c kafka.Config, name string) (partitions, replicationFactor int, exists bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	topics, err := Admin(t, c).ListTopics(ctx, name)
	if err != nil {
		t.Fatalf("describe topic %s: %v", name, err)
	}
	d, ok := topics[name]
	if !ok || d.Err != nil {
		return 0, 0, false
	}
	return len(d.Partitions), d.Partitions.NumReplicas(), true
}

// RecordCount is how many records were ever written to a topic: the sum
// of its partitions' end offsets.
func RecordCount(t testing.TB, c kafka.Config, name string) int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	ends, err := Admin(t, c).ListEndOffsets(ctx, name)
	if err == nil {
		err = ends.Error()
	}
	if err != nil {
		t.Fatalf("end offsets of %s: %v", name, err)
	}
	var n int64
	ends.Each(func(o kadm.ListedOffset) { n += o.Offset })
	return n
}

// Produce writes records, each to the partition it names, and fails the
// test unless every one is acknowledged.
func Produce(t testing.TB, c kafka.Config, records ...*kgo.Record) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.Brokers...), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := cl.ProduceSync(ctx, records...).FirstErr(); err != nil {
		t.Fatalf("produce: %v", err)
	}
}

// Records reads the first n records of a topic, as any Kafka client
// would, and fails the test unless they come in time.
func Records(t testing.TB, c kafka.Config, name string, n int) []*kgo.Record {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.Brokers...), kgo.ConsumeTopics(name), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var got []*kgo.Record
	for len(got) < n {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("read %d of %d records of %s", len(got), n, name)
		}
		got = append(got, fs.Records()...)
	}
	return got
}
