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

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kds-io/kds/adapters/kafka"
	"github.com/kds-io/kds/adapters/kafka/kafkatest"
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
	return kafkatest.Records(t, kafkatest.Config(brokers...), topicName, n)
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
	res, err := p.Bulk(context.Background(), strings.NewReader(in.String()), 64, 3, time.Hour, func(int64, int64) {})
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
	res, err := p.Bulk(context.Background(), strings.NewReader(in), 1, 1, time.Hour, func(int64, int64) {})
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

// bulkFromPipe runs Bulk in the background on a pipe the test writes;
// wait returns what Bulk returned.
func bulkFromPipe(ctx context.Context, p producer.Producer, batch int, linger time.Duration, progress func(sent, bytes int64)) (w *io.PipeWriter, wait func() (producer.Result, error)) {
	r, w := io.Pipe()
	done := make(chan struct{})
	var (
		res producer.Result
		err error
	)
	go func() {
		defer close(done)
		res, err = p.Bulk(ctx, r, batch, 2, linger, progress)
	}()
	return w, func() (producer.Result, error) { <-done; return res, err }
}

// TestBulkEndsWithItsContext: when its context ends Bulk returns without
// an error, even with its input still open, saying how many lines it read
// and how many Kafka took, so that the caller can tell the user what was
// not sent.
func TestBulkEndsWithItsContext(t *testing.T) {
	t.Parallel()
	p, _ := newProducer(t, "stopped", "")
	ctx, cancel := context.WithCancel(context.Background())
	var acked atomic.Int64
	w, wait := bulkFromPipe(ctx, p, 2, time.Hour, func(sent, _ int64) { acked.Store(sent) })
	defer w.Close()
	// Bulk asks for more input only once it has taken every whole line
	// it holds: once the second half of "four" is written, "three" is
	// read, and "four" is begun; the end takes it as a last line, read
	// and not sent.
	for _, chunk := range []string{"one\ntwo\nthree\n", "fo", "ur"} {
		fmt.Fprint(w, chunk)
	}
	for deadline := time.Now().Add(10 * time.Second); acked.Load() < 2; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the first batch was not acknowledged")
		}
	}
	cancel()
	if res, err := wait(); err != nil || res.Read != 4 || res.Sent != 2 {
		t.Fatalf("result %+v, %v; want 4 read, the first batch of 2 sent", res, err)
	}
}

// TestBulkSendsAPartialBatchWhileTheInputStaysOpen: lines that do not
// fill a batch reach Kafka within the linger while more may come, as
// from tail -f, and the input's end still counts them once.
func TestBulkSendsAPartialBatchWhileTheInputStaysOpen(t *testing.T) {
	t.Parallel()
	p, brokers := newProducer(t, "tailed", "")
	w, wait := bulkFromPipe(context.Background(), p, 2000, 50*time.Millisecond, func(int64, int64) {})
	fmt.Fprintln(w, "one")
	fmt.Fprintln(w, "two")
	fmt.Fprintln(w, "three")
	got := records(t, brokers, "tailed", 3)
	values := map[string]bool{}
	for _, r := range got {
		values[string(r.Value)] = true
	}
	if len(got) != 3 || !values["one"] || !values["two"] || !values["three"] {
		t.Fatalf("Kafka holds %d records %v, want one, two and three", len(got), values)
	}
	fmt.Fprintln(w, "four")
	w.Close()
	if res, err := wait(); err != nil || res.Read != 4 || res.Sent != 4 {
		t.Fatalf("result %+v, %v; want 4 read and 4 sent", res, err)
	}
}

// refusingPublisher acknowledges some values of each batch and says so
// in an error wrapped on its way up.
type refusingPublisher struct {
	producer.Publisher
	acked int
}

func (p refusingPublisher) PublishValues(_ string, b kafka.ValueBatch) error {
	return fmt.Errorf("publish: %w", &kafka.PublishError{Acked: p.acked, Failed: len(b.Values) - p.acked, Err: errors.New("broker gone")})
}

// TestAPartlyAcknowledgedBatchIsCountedThroughWrapping: the count of what
// Kafka acknowledged is found in the error however it was wrapped.
func TestAPartlyAcknowledgedBatchIsCountedThroughWrapping(t *testing.T) {
	t.Parallel()
	p := producer.New(refusingPublisher{acked: 3}, "orders", "ana", "")
	res, err := p.Bulk(context.Background(), strings.NewReader("a\nb\nc\nd\n"), 4, 1, time.Hour, func(int64, int64) {})
	if res.Sent != 3 || err == nil {
		t.Fatalf("bulk: %d acknowledged, %v; want 3 and the error", res.Sent, err)
	}
}
