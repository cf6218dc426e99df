package kafka

import (
	"github.com/IBM/sarama"
	"github.com/ThreeDotsLabs/watermill"
	wkafka "github.com/ThreeDotsLabs/watermill-kafka/v3/pkg/kafka"
	"github.com/ThreeDotsLabs/watermill/message"
)

// Start says where a consumer begins when it has no committed offset.
type Start int64

// Where to begin.
const (
	FromOldest = Start(sarama.OffsetOldest)
	FromNewest = Start(sarama.OffsetNewest)
)

// NewSubscriber returns a Watermill subscriber in consumer group group; with
// an empty group it reads every partition from start without committing.
func NewSubscriber(c Config, group string, start Start, logger watermill.LoggerAdapter) (message.Subscriber, error) {
	sc := c.sarama()
	sc.Consumer.Return.Errors = true
	sc.Consumer.Offsets.Initial = int64(start)
	// Only the topics in use, not the whole cluster: a consumer process may
	// hold hundreds of subscribers (DESIGN.md §6).
	sc.Metadata.Full = false
	return wkafka.NewSubscriber(wkafka.SubscriberConfig{
		Brokers:               c.Brokers,
		Unmarshaler:           wkafka.DefaultMarshaler{},
		OverwriteSaramaConfig: sc,
		ConsumerGroup:         group,
	}, logger)
}
