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

// NewSubscriber returns a Watermill subscriber that reads every partition
// of a topic from start, without a consumer group and committing nothing:
// what reads kds.events to follow it, and the dashboard's tail. kds's group
// members are BatchSubscriber and KeyedSubscriber, on franz-go.
func NewSubscriber(c Config, start Start, logger watermill.LoggerAdapter) (message.Subscriber, error) {
	sc := c.sarama()
	sc.Consumer.Return.Errors = true
	sc.Consumer.Offsets.Initial = int64(start)
	// Only the topics in use, not the whole cluster (DESIGN.md §6).
	sc.Metadata.Full = false
	return wkafka.NewSubscriber(wkafka.SubscriberConfig{
		Brokers:               c.Brokers,
		Unmarshaler:           wkafka.DefaultMarshaler{},
		OverwriteSaramaConfig: sc,
	}, logger)
}
