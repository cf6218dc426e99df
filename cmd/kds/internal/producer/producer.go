// Package producer sends content to Kafka as kds send and kds produce do:
// one message at a time, or every line of an input, in batches with a few
// on their way at once, counting only what Kafka acknowledged.
package producer

import (
	"bufio"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/google/uuid"

	"github.com/kds-io/kds/adapters/kafka"
	"github.com/kds-io/kds/app/content"
)

// KeyField is the metadata field that carries a content message's key to
// the batch publisher.
const KeyField = "key"

// MaxLine is the longest line of input taken as a message: the largest
// message Kafka takes by default.
const MaxLine = 1 << 20

// Publisher sends messages one by one or a batch of values at once, as
// kafka.BatchPublisher does.
type Publisher interface {
	message.Publisher
	PublishValues(topic string, b kafka.ValueBatch) error
}

// Producer makes content messages as producer and sends them to a topic.
type Producer struct {
	pub      Publisher
	topic    string
	producer string
	key      string
}

// New sends to topicName through pub, as producer, with the Kafka key key
// on every message (none when empty).
func New(pub Publisher, topicName, producer, key string) Producer {
	return Producer{pub: pub, topic: topicName, producer: producer, key: key}
}

// To is the same producer, sending to another topic.
func (p Producer) To(topicName string) Producer {
	p.topic = topicName
	return p
}

// Message is value as a content message: the record's value is the value
// itself, with the headers kds-producer and kds-sent-at.
func (p Producer) Message(value []byte) *message.Message {
	return p.message(watermill.NewUUID(), value, sentAt(time.Now()))
}

func (p Producer) message(id string, value []byte, sentAt string) *message.Message {
	m := message.NewMessage(id, value)
	m.Metadata = p.metadata()
	m.Metadata[content.SentAtHeader] = sentAt
	return m
}

// metadata is what every message of p carries but its time stamp.
func (p Producer) metadata() map[string]string {
	md := map[string]string{content.ProducerHeader: p.producer}
	if p.key != "" {
		md[KeyField] = p.key
	}
	return md
}

func sentAt(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// Send sends one message with value, once Kafka acknowledged it.
func (p Producer) Send(value []byte) error { return p.pub.Publish(p.topic, p.Message(value)) }

// Result is what a bulk send did.
type Result struct {
	Topic string `json:"topic"`
	// Read is how many lines were read, Sent how many Kafka acknowledged.
	Read    int64   `json:"-"`
	Sent    int64   `json:"sent"`
	Bytes   int64   `json:"bytes"`
	Seconds float64 `json:"seconds"`
	Rate    float64 `json:"messages_per_second"`
}

// Bulk sends every line of in, batch lines at a time with inFlight batches
// on their way at once, and counts only what Kafka acknowledged; a batch
// not yet full goes once its first line has waited linger and no more
// input is at hand. progress is called every 200 ms. A failure, or the
// end of ctx, stops it, even while in has nothing to read: batches not
// yet on their way are dropped, and Result says how many lines were read
// and how many sent. The end of ctx is not an error.
func (p Producer) Bulk(ctx context.Context, in io.Reader, batch, inFlight int, linger time.Duration, progress func(sent, bytes int64)) (Result, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	start := time.Now()
	var sent, bytes atomic.Int64
	var (
		errOnce  sync.Once
		firstErr error
	)
	fail := func(err error) {
		errOnce.Do(func() { firstErr = err; cancel() })
	}
	batches := make(chan kafka.ValueBatch, inFlight)
	var wg sync.WaitGroup
	for range inFlight {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range batches {
				if ctx.Err() != nil {
					continue
				}
				n, size, err := p.publish(b)
				sent.Add(n)
				bytes.Add(size)
				if err != nil {
					fail(err)
				}
			}
		}()
	}
	stopProgress := tick(ctx, func() { progress(sent.Load(), bytes.Load()) })
	read, err := p.read(ctx, in, batch, linger, batches)
	if err != nil {
		fail(err)
	}
	close(batches)
	wg.Wait()
	stopProgress()
	took := time.Since(start)
	res := Result{Topic: p.topic, Read: int64(read), Sent: sent.Load(), Bytes: bytes.Load(), Seconds: took.Seconds()}
	res.Rate = float64(res.Sent) / max(took.Seconds(), 1e-9)
	return res, firstErr
}

// publish sends one batch and says how many of its values, and bytes,
// Kafka acknowledged.
func (p Producer) publish(b kafka.ValueBatch) (int64, int64, error) {
	err := p.pub.PublishValues(p.topic, b)
	acked := len(b.Values)
	if err != nil {
		acked = 0
		var pe *kafka.PublishError
		if errors.As(err, &pe) {
			acked = pe.Acked
		}
	}
	var size int64
	if acked == len(b.Values) {
		for _, v := range b.Values {
			size += int64(len(v))
		}
	}
	return int64(acked), size, err
}

// read cuts in into values, a line each, and hands them on in batches,
// until the input or ctx ends; it says how many lines it read. A batch
// goes when full, or once its first line has waited linger while no more
// input was at hand. What every line needs is made a batch at a time: the
// lines' bytes and their ids are copied into shared blocks, the ids come
// from one buffered source of randomness, kds-sent-at is the time the
// line's read of the input returned, formatted once a millisecond, and
// the rest of the metadata is one map for the whole send.
func (p Producer) read(ctx context.Context, in io.Reader, batch int, linger time.Duration, out chan<- kafka.ValueBatch) (int, error) {
	metadata := p.metadata()
	newBatch := func() kafka.ValueBatch {
		return kafka.ValueBatch{Values: make([][]byte, 0, batch), IDs: make([][]byte, 0, batch),
			Metadata: metadata, VaryingField: content.SentAtHeader, Varying: make([]string, 0, batch)}
	}
	b := newBatch()
	var input *lingeringInput
	send := func() {
		input.due = time.Time{}
		select {
		case out <- b:
			b = newBatch()
		case <-ctx.Done():
		}
	}
	input = newLingeringInput(ctx, in, send)
	sc := bufio.NewScanner(input)
	sc.Buffer(make([]byte, 64*1024), MaxLine)
	ids := bufio.NewReaderSize(rand.Reader, 16*1024)
	var (
		block []byte
		clock time.Time
		stamp string
	)
	line := 0
	for sc.Scan() {
		line++
		if need := len(sc.Bytes()) + idLen; need > cap(block)-len(block) {
			block = make([]byte, 0, max(256*1024, need))
		}
		start := len(block)
		block = append(block, sc.Bytes()...)
		value := block[start:len(block):len(block)]
		id, err := uuid.NewRandomFromReader(ids)
		if err != nil {
			return line, fmt.Errorf("message id: %w", err)
		}
		start = len(block)
		block = appendID(block, id)
		// Lines that came in one read of the input came at once.
		now := input.at
		if now.Sub(clock) >= time.Millisecond {
			clock, stamp = now, sentAt(now)
		}
		if len(b.Values) == 0 {
			input.due = now.Add(linger)
		}
		b.Values = append(b.Values, value)
		b.IDs = append(b.IDs, block[start:len(block):len(block)])
		b.Varying = append(b.Varying, stamp)
		if len(b.Values) == batch {
			if send(); ctx.Err() != nil {
				return line, nil
			}
		}
	}
	switch err := sc.Err(); {
	case ctx.Err() != nil:
		return line, nil
	case errors.Is(err, bufio.ErrTooLong):
		return line, fmt.Errorf("line %d of standard input is longer than %d bytes, the largest message Kafka takes", line+1, MaxLine)
	case err != nil:
		return line, fmt.Errorf("read line %d of standard input: %w", line+1, err)
	}
	if len(b.Values) > 0 {
		send()
	}
	return line, nil
}

// tick calls fn every 200ms until the returned stop is called.
func tick(ctx context.Context, fn func()) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				fn()
			}
		}
	}()
	return func() { cancel(); <-done }
}
