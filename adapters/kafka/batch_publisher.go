package kafka

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/IBM/sarama"
	wkafka "github.com/ThreeDotsLabs/watermill-kafka/v3/pkg/kafka"
	"github.com/ThreeDotsLabs/watermill/message"
)

// BatchPublisher is a Watermill publisher for bulk content. watermill-kafka's
// publisher waits for each message's acknowledgement before it sends the
// next one; this one hands every message of a Publish call to Sarama's
// async producer at once, so they travel in batches, and still returns only
// once the broker has acknowledged every one of them.
type BatchPublisher struct {
	producer sarama.AsyncProducer
	keyField string
	maxBytes int

	mu     sync.RWMutex
	closed bool
	done   chan struct{}
}

// PublishError reports a Publish call that Kafka did not fully acknowledge:
// exactly Acked of its messages were written.
type PublishError struct {
	Acked, Failed int
	Err           error
}

func (e *PublishError) Error() string {
	return fmt.Sprintf("%d of %d messages not acknowledged by Kafka: %v", e.Failed, e.Acked+e.Failed, e.Err)
}

func (e *PublishError) Unwrap() error { return e.Err }

// MessageTooLargeError refuses a message bigger than Kafka takes.
type MessageTooLargeError struct {
	Size, Max int
}

func (e *MessageTooLargeError) Error() string {
	return fmt.Sprintf("a message of %d bytes is larger than the %d bytes Kafka takes", e.Size, e.Max)
}

// call tracks one Publish call's messages until each is settled.
type call struct {
	mu      sync.Mutex
	pending int
	failed  int
	err     error
	settled chan struct{}
}

func (c *call) settle(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		c.failed++
		if c.err == nil {
			c.err = err
		}
	}
	c.pending--
	if c.pending == 0 {
		close(c.settled)
	}
}

// NewBatchPublisher connects to Kafka; a message's keyField metadata, when
// set, becomes its Kafka key and is not sent as a header.
func NewBatchPublisher(c Config, keyField string) (*BatchPublisher, error) {
	sc := c.sarama()
	sc.Producer.Return.Successes = true
	sc.Producer.Return.Errors = true
	sc.Producer.Retry.Max = 5
	sc.ChannelBufferSize = 4096
	// Fill produce requests instead of sending whatever is ready the moment
	// a connection is free: a few large requests cost the broker far less
	// than many small ones. A partial batch waits at most 2 ms.
	sc.Producer.Flush.Bytes = 1 << 20
	sc.Producer.Flush.Frequency = 2 * time.Millisecond
	producer, err := sarama.NewAsyncProducer(c.Brokers, sc)
	if err != nil {
		return nil, &UnreachableError{Where: c.Where(), Err: err}
	}
	p := &BatchPublisher{producer: producer, keyField: keyField, maxBytes: sc.Producer.MaxMessageBytes, done: make(chan struct{})}
	go p.settle()
	return p, nil
}

// settle resolves each message's call as Kafka acknowledges or refuses it.
func (p *BatchPublisher) settle() {
	defer close(p.done)
	successes, errs := p.producer.Successes(), p.producer.Errors()
	for successes != nil || errs != nil {
		select {
		case m, ok := <-successes:
			if !ok {
				successes = nil
				continue
			}
			m.Metadata.(*call).settle(nil)
		case e, ok := <-errs:
			if !ok {
				errs = nil
				continue
			}
			e.Msg.Metadata.(*call).settle(e.Err)
		}
	}
}

// Publish implements message.Publisher. It refuses the whole call, sending
// nothing, when a message is too large; otherwise it returns nil only when
// Kafka acknowledged every message, and a *PublishError with the exact
// count of those it did otherwise.
func (p *BatchPublisher) Publish(topic string, msgs ...*message.Message) error {
	for _, m := range msgs {
		if size := len(m.Payload) + recordOverhead(m); size > p.maxBytes {
			return &MessageTooLargeError{Size: size, Max: p.maxBytes}
		}
	}
	if len(msgs) == 0 {
		return nil
	}
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.closed {
		return errors.New("publisher is closed")
	}
	c := &call{pending: len(msgs), settled: make(chan struct{})}
	for _, m := range msgs {
		p.producer.Input() <- p.record(topic, m, c)
	}
	<-c.settled
	if c.failed > 0 {
		return &PublishError{Acked: len(msgs) - c.failed, Failed: c.failed, Err: c.err}
	}
	return nil
}

func (p *BatchPublisher) record(topic string, m *message.Message, c *call) *sarama.ProducerMessage {
	headers := make([]sarama.RecordHeader, 0, len(m.Metadata)+1)
	headers = append(headers, sarama.RecordHeader{Key: []byte(wkafka.UUIDHeaderKey), Value: []byte(m.UUID)})
	var key sarama.Encoder
	for k, v := range m.Metadata {
		if k == p.keyField {
			key = sarama.StringEncoder(v)
			continue
		}
		headers = append(headers, sarama.RecordHeader{Key: []byte(k), Value: []byte(v)})
	}
	return &sarama.ProducerMessage{Topic: topic, Key: key, Value: sarama.ByteEncoder(m.Payload), Headers: headers, Metadata: c}
}

// recordOverhead estimates what a record adds to its value on the wire.
func recordOverhead(m *message.Message) int {
	n := 64 + len(m.UUID) + len(wkafka.UUIDHeaderKey)
	for k, v := range m.Metadata {
		n += len(k) + len(v) + 8
	}
	return n
}

// Close waits for messages in flight and closes the producer.
func (p *BatchPublisher) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	p.mu.Unlock()
	p.producer.AsyncClose()
	<-p.done
	return nil
}
