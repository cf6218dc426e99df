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

// Producer makes content messages as producer and sends them to a topic.
type Producer struct {
	pub      message.Publisher
	topic    string
	producer string
	key      string
}

// New sends to topicName through pub, as producer, with the Kafka key key
// on every message (none when empty).
func New(pub message.Publisher, topicName, producer, key string) Producer {
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
	m.Metadata[content.ProducerHeader] = p.producer
	m.Metadata[content.SentAtHeader] = sentAt
	if p.key != "" {
		m.Metadata[KeyField] = p.key
	}
	return m
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
	batches := make(chan []*message.Message, inFlight)
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

// publish sends one batch and says how many of its messages, and bytes,
// Kafka acknowledged.
func (p Producer) publish(b []*message.Message) (int64, int64, error) {
	err := p.pub.Publish(p.topic, b...)
	acked := len(b)
	if err != nil {
		acked = 0
		var pe *kafka.PublishError
		if errors.As(err, &pe) {
			acked = pe.Acked
		}
	}
	var size int64
	if acked == len(b) {
		for _, m := range b {
			size += int64(len(m.Payload))
		}
	}
	return int64(acked), size, err
}

// read cuts in into messages, a line each, and hands them on in batches,
// until the input or ctx ends; it says how many lines it read. A batch
// goes when full, or once its first line has waited linger while no more
// input was at hand. What every message needs is made a batch at a time:
// the lines' bytes are copied into shared blocks, the message ids come
// from one buffered source of randomness, and kds-sent-at is read from
// the clock once a millisecond.
func (p Producer) read(ctx context.Context, in io.Reader, batch int, linger time.Duration, out chan<- []*message.Message) (int, error) {
	b := make([]*message.Message, 0, batch)
	var input *lingeringInput
	send := func() {
		input.due = time.Time{}
		select {
		case out <- b:
			b = make([]*message.Message, 0, batch)
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
		if len(sc.Bytes()) > cap(block)-len(block) {
			block = make([]byte, 0, max(256*1024, len(sc.Bytes())))
		}
		start := len(block)
		block = append(block, sc.Bytes()...)
		value := block[start:len(block):len(block)]
		id, err := uuid.NewRandomFromReader(ids)
		if err != nil {
			return line, fmt.Errorf("message id: %w", err)
		}
		now := time.Now()
		if now.Sub(clock) >= time.Millisecond {
			clock, stamp = now, sentAt(now)
		}
		if len(b) == 0 {
			input.due = now.Add(linger)
		}
		b = append(b, p.message(id.String(), value, stamp))
		if len(b) == batch {
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
	if len(b) > 0 {
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
