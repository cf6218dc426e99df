package kafka

import (
	"github.com/ThreeDotsLabs/watermill"
	wkafka "github.com/ThreeDotsLabs/watermill-kafka/v3/pkg/kafka"
	"github.com/ThreeDotsLabs/watermill/message"
)

// NewPublisher returns a Watermill publisher that keys each message by its
// keyMetadata field, so that messages about one topic stay in order. A
// message without one that was read from Kafka, and is published again
// as the poison middleware does, keeps the key it was read with
// (messageKey).
func NewPublisher(c Config, keyMetadata string, logger watermill.LoggerAdapter) (message.Publisher, error) {
	sc := c.sarama()
	sc.Producer.Return.Successes = true
	sc.Producer.Retry.Max = 10
	pub, err := wkafka.NewPublisher(wkafka.PublisherConfig{
		Brokers: c.Brokers,
		Marshaler: wkafka.NewWithPartitioningMarshaler(func(_ string, msg *message.Message) (string, error) {
			if key := msg.Metadata.Get(keyMetadata); key != "" {
				return key, nil
			}
			return string(messageKey(msg.Context())), nil
		}),
		OverwriteSaramaConfig: sc,
	}, logger)
	if err != nil {
		return nil, &UnreachableError{Where: c.Where(), Err: err}
	}
	return pub, nil
}
