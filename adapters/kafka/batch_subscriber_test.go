package kafka_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kds-io/kds/adapters/kafka"
	"github.com/kds-io/kds/adapters/kafka/kafkatest"
	"github.com/kds-io/kds/app/content"
)

// produceNumbered writes records from to to-1 to each of partitions
// partitions of topicName, valued P-I for partition P and record I, with
// kds's headers.
func produceNumbered(t *testing.T, c kafka.Config, topicName string, partitions, from, to int) {
	t.Helper()
	var records []*kgo.Record
	for p := range partitions {
		for i := from; i < to; i++ {
			records = append(records, &kgo.Record{Topic: topicName, Partition: int32(p), Key: []byte("k"), Value: fmt.Appendf(nil, "%d-%d", p, i),
				Headers: []kgo.RecordHeader{{Key: content.ProducerHeader, Value: []byte("tester")}}})
		}
	}
	kafkatest.Produce(t, c, records...)
}

// batchReader reads a BatchSubscriber's messages, checking each batch:
// one partition, in offset order, continuing where the partition's
// previous batch ended. take, when set, says how many records of a batch
// to take; a batch not taken whole is nacked.
type batchReader struct {
	t    *testing.T
	take func(b []content.Message) int

	mu      sync.Mutex
	seen    map[string]int // value → times read
	next    map[int32]int64
	batches int
}

func newBatchReader(t *testing.T) *batchReader {
	return &batchReader{t: t, seen: map[string]int{}, next: map[int32]int64{}}
}

func (r *batchReader) read(msgs <-chan *message.Message) {
	for msg := range msgs {
		b, ok := kafka.BatchOf(msg)
		if !ok {
			r.t.Errorf("message %s carries no batch", msg.UUID)
			msg.Nack()
			continue
		}
		got := b.Content()
		n := len(got)
		if r.take != nil {
			n = r.take(got)
		}
		r.mu.Lock()
		r.batches++
		if want, ok := r.next[b.Partition]; ok && got[0].Offset != want {
			r.t.Errorf("partition %d: a batch starts at offset %d, want %d", b.Partition, got[0].Offset, want)
		}
		for i, m := range got[:n] {
			if m.Partition != b.Partition || m.Topic != b.Topic || (i > 0 && m.Offset != got[i-1].Offset+1) {
				r.t.Errorf("batch of %s/%d holds %s/%d at offset %d after %d", b.Topic, b.Partition, m.Topic, m.Partition, m.Offset, got[max(i-1, 0)].Offset)
			}
			if m.Producer != "tester" || m.Key != "k" {
				r.t.Errorf("record %s/%d@%d read with producer %q and key %q", m.Topic, m.Partition, m.Offset, m.Producer, m.Key)
			}
			r.seen[m.Value]++
		}
		r.next[b.Partition] = got[0].Offset + int64(n)
		r.mu.Unlock()
		if n == len(got) {
			msg.Ack()
		} else {
			b.Took(n)
			msg.Nack()
		}
	}
}

// wait waits until every one of partitions × n values was read.
func (r *batchReader) wait(t *testing.T, partitions, n int) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		r.mu.Lock()
		got := len(r.seen)
		r.mu.Unlock()
		if got == partitions*n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d records read", got, partitions*n)
		}
	}
}

// duplicates lists the values read more than once.
func (r *batchReader) duplicates() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var d []string
	for v, n := range r.seen {
		if n > 1 {
			d = append(d, v+"×"+strconv.Itoa(n))
		}
	}
	return d
}

// committed is group's committed offset on each partition of topicName.
func committed(t *testing.T, c kafka.Config, group, topicName string) map[int32]int64 {
	t.Helper()
	offsets, err := kafkatest.Admin(t, c).FetchOffsets(context.Background(), group)
	if err != nil {
		t.Fatal(err)
	}
	got := map[int32]int64{}
	offsets.Each(func(o kadm.OffsetResponse) {
		if o.Topic == topicName {
			got[o.Partition] = o.At
		}
	})
	return got
}

// TestBatchSubscriberHandsOverWholeFetchesInOrder: every record comes once,
// a partition's records in order and in batches of one partition, many
// records a batch; closing commits every partition's end.
func TestBatchSubscriberHandsOverWholeFetchesInOrder(t *testing.T) {
	t.Parallel()
	_, c := kafkatest.Start(t)
	const partitions, n = 3, 2000
	kafkatest.CreateTopics(t, c, partitions, "bulk")
	produceNumbered(t, c, "bulk", partitions, 0, n)
	sub, err := kafka.NewBatchSubscriber(c, "bulk-reader", kafka.FromOldest, watermill.NopLogger{})
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := sub.Subscribe(context.Background(), "bulk")
	if err != nil {
		t.Fatal(err)
	}
	r := newBatchReader(t)
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.read(msgs)
	}()
	r.wait(t, partitions, n)
	if err := sub.Close(); err != nil {
		t.Fatal(err)
	}
	<-done
	if d := r.duplicates(); len(d) > 0 {
		t.Errorf("read more than once: %v", d)
	}
	if r.batches > partitions*n/10 {
		t.Errorf("%d records came in %d batches: not whole fetches", partitions*n, r.batches)
	}
	for p := range int32(partitions) {
		if got := committed(t, c, "bulk-reader", "bulk")[p]; got != n {
			t.Errorf("partition %d: committed %d after closing, want %d", p, got, n)
		}
	}
}

// TestANackedBatchComesAgainFromWhatTheHandlerDidNotTake: a handler that
// takes part of a batch and nacks it gets the rest again, not what it
// took, and what it took is committed.
func TestANackedBatchComesAgainFromWhatTheHandlerDidNotTake(t *testing.T) {
	t.Parallel()
	_, c := kafkatest.Start(t)
	const n = 500
	kafkatest.CreateTopics(t, c, 1, "partial")
	produceNumbered(t, c, "partial", 1, 0, n)
	sub, err := kafka.NewBatchSubscriber(c, "partial-reader", kafka.FromOldest, watermill.NopLogger{})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	msgs, err := sub.Subscribe(context.Background(), "partial")
	if err != nil {
		t.Fatal(err)
	}
	r := newBatchReader(t)
	var nacks int
	r.take = func(b []content.Message) int {
		if len(b) > 1 && nacks < 20 {
			nacks++
			return len(b) / 2
		}
		return len(b)
	}
	go r.read(msgs)
	r.wait(t, 1, n)
	if d := r.duplicates(); len(d) > 0 {
		t.Errorf("read more than once: %v", d)
	}
	if nacks == 0 {
		t.Fatal("no batch was nacked")
	}
	// Offsets are committed every second.
	for deadline := time.Now().Add(10 * time.Second); committed(t, c, "partial-reader", "partial")[0] != n; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("committed %d, want %d", committed(t, c, "partial-reader", "partial")[0], n)
		}
	}
}

// TestABatchSubscriberClosedAtAnyMomentLosesAndRepeatsNothing: subscribers
// of one group closed at random moments while records are written: the
// next reads on from where the last one's handler left off, so together
// they read every record exactly once.
func TestABatchSubscriberClosedAtAnyMomentLosesAndRepeatsNothing(t *testing.T) {
	t.Parallel()
	_, c := kafkatest.Start(t)
	const partitions, n = 3, 3000
	kafkatest.CreateTopics(t, c, partitions, "restarts")
	writing := make(chan struct{})
	go func() {
		defer close(writing)
		for i := 0; i < n; i += 100 {
			produceNumbered(t, c, "restarts", partitions, i, i+100)
			time.Sleep(10 * time.Millisecond)
		}
	}()
	r := newBatchReader(t)
	for round := 0; ; round++ {
		sub, err := kafka.NewBatchSubscriber(c, "restarts-reader", kafka.FromOldest, watermill.NopLogger{})
		if err != nil {
			t.Fatal(err)
		}
		msgs, err := sub.Subscribe(context.Background(), "restarts")
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			r.read(msgs)
		}()
		time.Sleep(rand.N(100 * time.Millisecond))
		if err := sub.Close(); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		<-done
		r.mu.Lock()
		got := len(r.seen)
		r.mu.Unlock()
		if got == partitions*n {
			t.Logf("read in %d rounds", round+1)
			break
		}
		if round == 200 {
			t.Fatalf("%d of %d records read after %d rounds", got, partitions*n, round)
		}
	}
	<-writing
	if d := r.duplicates(); len(d) > 0 {
		t.Errorf("read more than once: %d values, such as %v", len(d), d[:min(len(d), 5)])
	}
}
