package kafka

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// TestAFetcherPausesAPartitionWhoseHandlerFallsBehind: while a handler
// holds its partition's batch, what comes next waits in a queue of 2
// batches and then in Kafka, the partition paused; once the handler goes
// on, the partition resumes where it stood: every record once, in order.
func TestAFetcherPausesAPartitionWhoseHandlerFallsBehind(t *testing.T) {
	t.Parallel()
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, "behind"))
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Close()
	c := Config{Brokers: cluster.ListenAddrs(), ClientID: "kds-test", DialTimeout: time.Second, RequestTimeout: 5 * time.Second}
	f, err := newFetcher(c)
	if err != nil {
		t.Fatal(err)
	}
	defer f.close()
	release := make(chan struct{})
	var (
		mu  sync.Mutex
		got []int64
	)
	f.assign("behind", map[int32]int64{0: 0}, func(ctx context.Context, b *Batch) {
		<-release
		mu.Lock()
		defer mu.Unlock()
		for _, r := range b.records {
			got = append(got, r.Offset)
		}
	})
	defer f.revoke("behind", []int32{0})
	producer, err := kgo.NewClient(kgo.SeedBrokers(c.Brokers...), kgo.DefaultProduceTopic("behind"))
	if err != nil {
		t.Fatal(err)
	}
	defer producer.Close()
	const writes, each = 50, 20
	paused := false
	for range writes {
		records := make([]*kgo.Record, each)
		for i := range records {
			records[i] = &kgo.Record{Value: []byte("v")}
		}
		if err := producer.ProduceSync(context.Background(), records...).FirstErr(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond) // a fetch a write
		paused = paused || slices.Contains(f.client.PauseFetchPartitions(nil)["behind"], 0)
	}
	for deadline := time.Now().Add(10 * time.Second); !paused; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the partition was never paused while its handler held a batch")
		}
		paused = slices.Contains(f.client.PauseFetchPartitions(nil)["behind"], 0)
	}
	close(release)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		mu.Lock()
		n := len(got)
		mu.Unlock()
		if n >= writes*each {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d records handled after the handler went on", n, writes*each)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	for i, o := range got {
		if o != int64(i) {
			t.Fatalf("record %d handled at offset %d: records skipped, repeated or out of order", i, o)
		}
	}
	if len(got) != writes*each {
		t.Fatalf("%d records handled, want %d", len(got), writes*each)
	}
	if p := f.client.PauseFetchPartitions(nil); len(p) > 0 {
		t.Errorf("still paused once the handler caught up: %v", p)
	}
}
