package kafka

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"sync"
	"time"
	"unsafe"

	wkafka "github.com/ThreeDotsLabs/watermill-kafka/v3/pkg/kafka"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// uuidHeaderKey is the header a message's Watermill id travels in.
const uuidHeaderKey = wkafka.UUIDHeaderKey

// maxMessageBytes is the largest record kds sends, within Kafka's default
// message.max.bytes.
const maxMessageBytes = 1 << 20

// BatchPublisher is a Watermill publisher for bulk content. watermill-kafka's
// publisher waits for each message's acknowledgement before it sends the
// next one, and Sarama's async producer spends more per message on its
// internal hand-offs than Kafka does storing it. This one hands every
// message of a Publish call to franz-go's client, which batches per
// partition, and returns only once the broker has acknowledged every one of
// them, counting exactly those that were.
type BatchPublisher struct {
	client   *kgo.Client
	keyField string
	where    string

	mu     sync.RWMutex
	closed bool
}

// PublishError reports a Publish call that Kafka did not fully acknowledge:
// exactly Acked of its messages were written.
type PublishError struct {
	Acked, Failed int
	Topic         string
	// Where names the cluster, as Config.Where does.
	Where string
	Err   error
}

func (e *PublishError) Error() string {
	return fmt.Sprintf("%d of %d messages not acknowledged by %s: %v%s", e.Failed, e.Acked+e.Failed, e.Where, e.Err, securityHint(e.Err)+notGrantedHint(e.Topic, e.Err))
}

// notGrantedHint says what to ask for when Kafka refused writes for want
// of an ACL: kgo asks for a producer id first, which a user with no WRITE
// anywhere is refused on the cluster.
func notGrantedHint(topic string, err error) string {
	if !errors.Is(err, kerr.TopicAuthorizationFailed) && !errors.Is(err, kerr.ClusterAuthorizationFailed) {
		return ""
	}
	return fmt.Sprintf(" (no WRITE on topic %q for this login: only an admin can name your token among its producers "+
		"(kds topic update %s --producer NAME), or request a topic of your own with kds topic request)", topic, topic)
}

func (e *PublishError) Unwrap() error { return e.Err }

// MessageTooLargeError refuses a message bigger than Kafka takes.
type MessageTooLargeError struct {
	Size, Max int
}

func (e *MessageTooLargeError) Error() string {
	return fmt.Sprintf("a message of %d bytes is larger than the %d bytes Kafka takes", e.Size, e.Max)
}

// NewBatchPublisher connects to Kafka; a message's keyField metadata, when
// set, becomes its Kafka key and is not sent as a header.
func NewBatchPublisher(c Config, keyField string) (*BatchPublisher, error) {
	return newBatchPublisher(c, keyField)
}

// NewInternalPublisher is a BatchPublisher for kds's own topics: it places
// a record by its key exactly as kds's Sarama publishers do (fnv-1a, the
// way Sarama reduces it), so that a topic's commands and events stay on
// one partition whichever of kds's publishers wrote them (the outbox's
// forwarder, a requeue from kds.poison, a kds of an earlier version). It
// compresses nothing, as those do not: a message is refused by the size it
// has.
func NewInternalPublisher(c Config, keyField string) (*BatchPublisher, error) {
	return newBatchPublisher(c, keyField, kgo.RecordPartitioner(kgo.StickyKeyPartitioner(kgo.SaramaCompatHasher(fnv32a))),
		kgo.ProducerBatchCompression(kgo.NoCompression()))
}

func fnv32a(b []byte) uint32 {
	h := fnv.New32a()
	h.Write(b)
	return h.Sum32()
}

func newBatchPublisher(c Config, keyField string, extra ...kgo.Opt) (*BatchPublisher, error) {
	opts := append(c.kgo(),
		kgo.RequiredAcks(kgo.AllISRAcks()),
		// kgo compresses with snappy unless told, which not every client
		// reads as installed.
		kgo.ProducerBatchCompression(c.kgoCompression()),
		kgo.ProducerBatchMaxBytes(maxMessageBytes+64*1024),
		kgo.MaxBufferedRecords(100_000),
		kgo.ProduceRequestTimeout(c.RequestTimeout),
		kgo.RecordDeliveryTimeout(2*c.RequestTimeout),
	)
	opts = append(opts, extra...)
	client, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, &UnreachableError{Where: c.Where(), Err: err}
	}
	return &BatchPublisher{client: client, keyField: keyField, where: c.Where()}, nil
}

// Publish implements message.Publisher. It refuses the whole call, sending
// nothing, when a message is too large; otherwise it returns nil only when
// Kafka acknowledged every message, and a *PublishError with the exact
// count of those it did otherwise.
func (p *BatchPublisher) Publish(topic string, msgs ...*message.Message) error {
	return p.produce(topic, p.records(topic, msgs))
}

// produce sends records to topic once none is too large, and counts
// exactly those Kafka acknowledged.
func (p *BatchPublisher) produce(topic string, records []*kgo.Record) error {
	for _, r := range records {
		if size := recordSize(r); size > maxMessageBytes {
			return &MessageTooLargeError{Size: size, Max: maxMessageBytes}
		}
	}
	if len(records) == 0 {
		return nil
	}
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.closed {
		return errors.New("publisher is closed")
	}
	results := p.client.ProduceSync(context.Background(), records...)
	var (
		failed   int
		firstErr error
	)
	for _, r := range results {
		if r.Err != nil {
			failed++
			if firstErr == nil {
				firstErr = r.Err
			}
		}
	}
	if failed > 0 {
		return &PublishError{Acked: len(records) - failed, Failed: failed, Topic: topic, Where: p.where, Err: firstErr}
	}
	return nil
}

// records are msgs as Kafka records for topic. A bulk send makes hundreds
// of thousands a second, so the records and their headers take one
// allocation each for the whole call, and a header's value is its
// metadata string's bytes, not a copy: franz-go only reads them.
func (p *BatchPublisher) records(topic string, msgs []*message.Message) []*kgo.Record {
	headers := 0
	for _, m := range msgs {
		headers += len(m.Metadata) + 1
	}
	all := make([]kgo.Record, len(msgs))
	hs := make([]kgo.RecordHeader, 0, headers)
	out := make([]*kgo.Record, len(msgs))
	for i, m := range msgs {
		r := &all[i]
		r.Topic, r.Value = topic, m.Payload
		start := len(hs)
		hs = append(hs, kgo.RecordHeader{Key: uuidHeaderKey, Value: bytesOf(m.UUID)})
		for k, v := range m.Metadata {
			if k == p.keyField {
				r.Key = bytesOf(v)
				continue
			}
			hs = append(hs, kgo.RecordHeader{Key: k, Value: bytesOf(v)})
		}
		r.Headers = hs[start:len(hs):len(hs)]
		out[i] = r
	}
	return out
}

// bytesOf is s's bytes, shared with s: only for what nobody writes to.
func bytesOf(s string) []byte {
	return unsafe.Slice(unsafe.StringData(s), len(s))
}

// recordSize is a record's size on the wire, near enough to hold it to
// Kafka's limit.
func recordSize(r *kgo.Record) int {
	n := 32 + len(r.Key) + len(r.Value)
	for _, h := range r.Headers {
		n += 8 + len(h.Key) + len(h.Value)
	}
	return n
}

// Close waits for messages in flight and closes the client.
func (p *BatchPublisher) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil
	}
	p.closed = true
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := p.client.Flush(ctx)
	p.client.Close()
	return err
}
