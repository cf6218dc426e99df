package kafka

import (
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kds-io/kds/app/content"
)

// Batch is what a message of a BatchSubscriber carries: records of one
// partition, in offset order.
type Batch struct {
	Topic     string
	Partition int32
	records   []*kgo.Record
	// took is how many records the handler handed over, set before it
	// nacks the message: BatchSubscriber.hand reads it after the nack.
	took int
}

type batchKey struct{}

// BatchOf is the batch msg carries, if a BatchSubscriber made it.
func BatchOf(msg *message.Message) (*Batch, bool) {
	b, ok := msg.Context().Value(batchKey{}).(*Batch)
	return b, ok
}

// Took says the handler handed over the first n messages of the batch even
// though it nacks it: they are committed, and only the rest comes again.
func (b *Batch) Took(n int) { b.took = min(max(n, 0), len(b.records)) }

// Content is the batch as content received at once. Records written by
// other clients lack kds's headers and show without producer and send
// time.
func (b *Batch) Content() []content.Message {
	received := time.Now().UTC()
	msgs := make([]content.Message, len(b.records))
	for i, r := range b.records {
		m := &msgs[i]
		*m = content.Message{Topic: r.Topic, Partition: r.Partition, Offset: r.Offset, Value: string(r.Value), Timestamp: r.Timestamp, ReceivedAt: received}
		if r.Key != nil {
			m.Key = string(r.Key)
		}
		for _, h := range r.Headers {
			readHeader(m, h.Key, string(h.Value))
		}
	}
	return msgs
}
