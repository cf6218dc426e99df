package kafka

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/IBM/sarama"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/kds-io/kds/app/command"
)

// refusal says why Kafka will never take a message as it is, or returns ""
// when trying again may help. Sarama checks Producer.MaxMessageBytes
// before it sends, and says so only in a ConfigurationError's text; the
// BatchPublisher checks its own limit, and franz-go returns the broker's
// answer as a kerr.Error.
func refusal(err error) string {
	var tooLarge *MessageTooLargeError
	if errors.As(err, &tooLarge) {
		return tooLarge.Error()
	}
	var broker *kerr.Error
	if errors.As(err, &broker) {
		switch broker {
		case kerr.MessageTooLarge, kerr.RecordListTooLarge, kerr.InvalidRecord, kerr.InvalidTimestamp:
			// MESSAGE_TOO_LARGE: ... reads as "message too large: ..."
			return strings.ToLower(strings.ReplaceAll(broker.Message, "_", " ")) + ": " + broker.Description
		}
	}
	var saramaErr sarama.KError
	if errors.As(err, &saramaErr) {
		switch saramaErr {
		case sarama.ErrMessageSizeTooLarge, sarama.ErrMessageSetSizeTooLarge, sarama.ErrInvalidRecord, sarama.ErrInvalidTimestamp:
			return saramaErr.Error()
		}
	}
	var config sarama.ConfigurationError
	if errors.As(err, &config) && strings.Contains(string(config), "Producer.MaxMessageBytes") {
		return config.Error()
	}
	return ""
}

// DivertRefused publishes through next and hands a message Kafka refuses
// for good to refused instead of failing: the outbox's forwarder would
// otherwise retry it forever, with every message behind it waiting. Several
// messages go to next in one Publish; when Kafka refuses one of them for
// good, they go again one at a time (those already written are written a
// second time), so that only the refused one is diverted. A publish fails
// when next fails for any other reason, or when refused does, so that the
// message is tried again.
func DivertRefused(next message.Publisher, keyMetadata string, refused func(context.Context, command.Undeliverable) error) message.Publisher {
	return diverter{Publisher: next, keyMetadata: keyMetadata, refused: refused}
}

type diverter struct {
	message.Publisher
	keyMetadata string
	refused     func(context.Context, command.Undeliverable) error
}

func (d diverter) Publish(topicName string, msgs ...*message.Message) error {
	if len(msgs) > 1 {
		if err := d.Publisher.Publish(topicName, msgs...); refusal(err) == "" {
			return err
		}
	}
	for _, m := range msgs {
		err := d.Publisher.Publish(topicName, m)
		reason := refusal(err)
		if reason == "" {
			if err != nil {
				return err
			}
			continue
		}
		u := command.Undeliverable{Topic: topicName, Key: m.Metadata.Get(d.keyMetadata), Payload: m.Payload, Reason: reason}
		if err := d.refused(m.Context(), u); err != nil {
			return fmt.Errorf("record the message %s Kafka refused (%s): %w", m.UUID, reason, err)
		}
	}
	return nil
}
