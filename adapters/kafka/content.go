package kafka

import (
	"time"

	wkafka "github.com/ThreeDotsLabs/watermill-kafka/v3/pkg/kafka"
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/kds-io/kds/app/content"
)

// DecodeContent turns a record that a Subscriber read from topicName into
// content: the subscriber puts the record's partition, offset, key and
// timestamp in the message's context. Records written by other clients
// lack kds's headers and show without producer and send time.
func DecodeContent(topicName string, msg *message.Message) content.Message {
	ctx := msg.Context()
	m := content.Message{Topic: topicName, Value: string(msg.Payload), UUID: msg.UUID, ReceivedAt: time.Now().UTC()}
	m.Partition, _ = wkafka.MessagePartitionFromCtx(ctx)
	m.Offset, _ = wkafka.MessagePartitionOffsetFromCtx(ctx)
	m.Timestamp, _ = wkafka.MessageTimestampFromCtx(ctx)
	if key, ok := wkafka.MessageKeyFromCtx(ctx); ok {
		m.Key = string(key)
	}
	for key, value := range msg.Metadata {
		readHeader(&m, key, value)
	}
	return m
}

// readHeader puts into m what a header kds writes on content says: who
// sent it, when, and its Watermill id; other headers are not kds's.
func readHeader(m *content.Message, key, value string) {
	switch key {
	case content.ProducerHeader:
		m.Producer = value
	case content.SentAtHeader:
		if sent, err := time.Parse(time.RFC3339Nano, value); err == nil {
			m.SentAt = sent
		}
	case uuidHeaderKey:
		m.UUID = value
	}
}
