package kafka

import (
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// ValueBatch is values sent as records that carry the same metadata but
// for their ids and one field that changes now and then, as a time stamp
// does: what a bulk send makes of its lines, without a Watermill message
// (a map and two channels) for each.
type ValueBatch struct {
	// Values are the records' values; IDs[i] is Values[i]'s message id,
	// sent as Watermill's id header.
	Values [][]byte
	IDs    [][]byte
	// Metadata is every record's; its key field becomes the Kafka key.
	Metadata map[string]string
	// Varying[i] is Values[i]'s value of the metadata field VaryingField.
	VaryingField string
	Varying      []string
}

// PublishValues sends b to topic as Publish sends messages: it refuses
// the whole batch, sending nothing, when a record is too large, and
// returns nil only when Kafka acknowledged every record, a *PublishError
// with the exact count of those it did otherwise.
func (p *BatchPublisher) PublishValues(topic string, b ValueBatch) error {
	return p.produce(topic, p.valueRecords(topic, b))
}

// valueRecords are b's values as records for topic, in one allocation for
// the records and one for their headers; the shared headers' values are
// the metadata strings' bytes, not copies. Their Kafka timestamp is read
// from the clock once for the batch, as franz-go would for each record.
func (p *BatchPublisher) valueRecords(topic string, b ValueBatch) []*kgo.Record {
	var key []byte
	shared := make([]kgo.RecordHeader, 0, len(b.Metadata))
	for k, v := range b.Metadata {
		if k == p.keyField {
			key = bytesOf(v)
			continue
		}
		shared = append(shared, kgo.RecordHeader{Key: k, Value: bytesOf(v)})
	}
	perRecord, now := 2+len(shared), time.Now()
	all := make([]kgo.Record, len(b.Values))
	hs := make([]kgo.RecordHeader, len(b.Values)*perRecord)
	out := make([]*kgo.Record, len(b.Values))
	for i, v := range b.Values {
		r := &all[i]
		r.Topic, r.Key, r.Value, r.Timestamp = topic, key, v, now
		h := hs[i*perRecord : (i+1)*perRecord : (i+1)*perRecord]
		h[0] = kgo.RecordHeader{Key: uuidHeaderKey, Value: b.IDs[i]}
		h[1] = kgo.RecordHeader{Key: b.VaryingField, Value: bytesOf(b.Varying[i])}
		copy(h[2:], shared)
		r.Headers = h
		out[i] = r
	}
	return out
}
