package producer_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kds-io/kds/adapters/kafka"
	"github.com/kds-io/kds/app/content"
	"github.com/kds-io/kds/cmd/kds/internal/producer"
)

// newProducer sends to a fresh topic of an in-process broker, returning
// the broker's addresses too.
func newProducer(t *testing.T, topicName, key string) (producer.Producer, []string) {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(3, topicName))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	pub, err := kafka.NewBatchPublisher(kafka.Config{Brokers: c.ListenAddrs(), ClientID: "producer-test", Version: "2.8.0",
		DialTimeout: time.Second, RequestTimeout: 5 * time.Second}, producer.KeyField)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pub.Close() })
	return producer.New(pub, topicName, "ana", key), c.ListenAddrs()
}

// records reads n records of topicName, as any Kafka client would.
func records(t *testing.T, brokers []string, topicName string, n int) []*kgo.Record {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ConsumeTopics(topicName), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var got []*kgo.Record
	for len(got) < n {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("read %d of %d records", len(got), n)
		}
		got = append(got, fs.Records()...)
	}
	return got
}

func header(r *kgo.Record, key string) string {
	for _, h := range r.Headers {
		if h.Key == key {
			return string(h.Value)
		}
	}
	return ""
}

// TestBulkSendsEveryLineAndCountsIt: each line of the input is a message,
// with the producer's headers and the key, and the result counts them all.
func TestBulkSendsEveryLineAndCountsIt(t *testing.T) {
	t.Parallel()
	p, brokers := newProducer(t, "lines", "k1")
	var in strings.Builder
	for i := range 1000 {
		fmt.Fprintf(&in, "line %d\n", i)
	}
	res, err := p.Bulk(context.Background(), strings.NewReader(in.String()), 64, 3, func(int64, int64) {})
	if err != nil {
		t.Fatal(err)
	}
	if res.Read != 1000 || res.Sent != 1000 || res.Topic != "lines" || res.Bytes != int64(in.Len()-1000) {
		t.Fatalf("result %+v", res)
	}
	got := records(t, brokers, "lines", 1000)
	values := map[string]bool{}
	for _, r := range got {
		values[string(r.Value)] = true
		if string(r.Key) != "k1" || header(r, content.ProducerHeader) != "ana" || header(r, content.SentAtHeader) == "" {
			t.Fatalf("record %q: key %q, headers %v", r.Value, r.Key, r.Headers)
		}
	}
	if len(values) != 1000 {
		t.Fatalf("%d distinct values in Kafka, want 1000", len(values))
	}
}

// TestBulkStopsAtALineTooLong: a line longer than MaxLine stops the send
// with an error that names it; the count says which of the lines before
// it Kafka took (those not yet on their way are dropped).
func TestBulkStopsAtALineTooLong(t *testing.T) {
	t.Parallel()
	p, brokers := newProducer(t, "long", "")
	in := "first\nsecond\n" + strings.Repeat("x", producer.MaxLine+1) + "\nlast\n"
	res, err := p.Bulk(context.Background(), strings.NewReader(in), 1, 1, func(int64, int64) {})
	if err == nil || !strings.Contains(err.Error(), "line 3 of standard input is longer than 1048576 bytes") {
		t.Fatalf("err %v", err)
	}
	if res.Read != 2 || res.Sent < 1 || res.Sent > 2 {
		t.Fatalf("result %+v: want the 2 lines before the long one read, and the first at least sent", res)
	}
	if got := records(t, brokers, "long", int(res.Sent)); string(got[0].Value) != "first" {
		t.Fatalf("Kafka holds %q first", got[0].Value)
	}
}

// TestBulkEndsWithItsContext: when its context ends Bulk returns without
// an error, saying how many lines it read and how many Kafka took, so
// that the caller can tell the user what was not sent.
func TestBulkEndsWithItsContext(t *testing.T) {
	t.Parallel()
	p, _ := newProducer(t, "stopped", "")
	r, w := io.Pipe()
	defer w.Close()
	ctx, cancel := context.WithCancel(context.Background())
	var acked atomic.Int64
	done := make(chan struct{})
	var (
		res producer.Result
		err error
	)
	go func() {
		defer close(done)
		res, err = p.Bulk(ctx, stopReader{r, ctx}, 2, 1, func(sent, _ int64) { acked.Store(sent) })
	}()
	fmt.Fprintln(w, "one")
	fmt.Fprintln(w, "two")
	for deadline := time.Now().Add(10 * time.Second); acked.Load() < 2; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the first batch was not acknowledged")
		}
	}
	fmt.Fprintln(w, "three")
	cancel()
	<-done
	if err != nil || res.Read != 3 || res.Sent != 2 {
		t.Fatalf("result %+v, %v; want 3 read, the first batch of 2 sent", res, err)
	}
}

// stopReader ends a read when ctx does, as kds send's standard input does.
type stopReader struct {
	r   io.Reader
	ctx context.Context
}

func (s stopReader) Read(p []byte) (int, error) {
	type result struct {
		n   int
		err error
	}
	got := make(chan result, 1)
	go func() {
		n, err := s.r.Read(p)
		got <- result{n, err}
	}()
	select {
	case r := <-got:
		return r.n, r.err
	case <-s.ctx.Done():
		return 0, s.ctx.Err()
	}
}

// refusingPublisher acknowledges some messages of each batch and says so
// in an error wrapped on its way up.
type refusingPublisher struct {
	message.Publisher
	acked int
}

func (p refusingPublisher) Publish(_ string, msgs ...*message.Message) error {
	return fmt.Errorf("publish: %w", &kafka.PublishError{Acked: p.acked, Failed: len(msgs) - p.acked, Err: errors.New("broker gone")})
}

// TestAPartlyAcknowledgedBatchIsCountedThroughWrapping: the count of what
// Kafka acknowledged is found in the error however it was wrapped.
func TestAPartlyAcknowledgedBatchIsCountedThroughWrapping(t *testing.T) {
	t.Parallel()
	p := producer.New(refusingPublisher{acked: 3}, "orders", "ana", "")
	res, err := p.Bulk(context.Background(), strings.NewReader("a\nb\nc\nd\n"), 4, 1, func(int64, int64) {})
	if res.Sent != 3 || err == nil {
		t.Fatalf("bulk: %d acknowledged, %v; want 3 and the error", res.Sent, err)
	}
}
