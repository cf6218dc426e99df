package kafka

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/IBM/sarama"
	"github.com/ThreeDotsLabs/watermill"
	wkafka "github.com/ThreeDotsLabs/watermill-kafka/v3/pkg/kafka"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"

	"github.com/kds-io/kds/app/command"
	"github.com/kds-io/kds/app/topic"
)

// maxPoisonListed bounds how many of the newest poison messages are read.
const maxPoisonListed = 1000

// PoisonQueue implements command.PoisonQueue on kds.poison.
type PoisonQueue struct {
	config    Config
	publisher message.Publisher
}

// NewPoisonQueue reads kds.poison and requeues through publisher.
func NewPoisonQueue(c Config, publisher message.Publisher) *PoisonQueue {
	return &PoisonQueue{config: c, publisher: publisher}
}

// List implements command.PoisonQueue.
func (q *PoisonQueue) List(ctx context.Context) ([]command.PoisonMessage, error) {
	records, err := q.read(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]command.PoisonMessage, len(records))
	for i, r := range records {
		out[i] = poisonMessage(r)
	}
	return out, nil
}

// Requeue implements command.PoisonQueue.
func (q *PoisonQueue) Requeue(ctx context.Context, id string) (command.PoisonMessage, error) {
	records, err := q.read(ctx)
	if err != nil {
		return command.PoisonMessage{}, err
	}
	for _, r := range records {
		m := poisonMessage(r)
		if m.ID != id {
			continue
		}
		if m.Topic != topic.CommandsTopic && m.Topic != topic.EventsTopic {
			return m, fmt.Errorf("poison message %s came from %q: only kds.commands and kds.events are requeued", id, m.Topic)
		}
		// A new message, with an id of its own: should it fail again, its
		// poison record must be told apart from this one, which stays on
		// kds.poison.
		msg := message.NewMessage(watermill.NewUUID(), r.Value)
		for _, h := range r.Headers {
			k := string(h.Key)
			if k == wkafka.UUIDHeaderKey || strings.HasSuffix(k, "_poisoned") {
				continue
			}
			msg.Metadata.Set(k, string(h.Value))
		}
		if err := q.publisher.Publish(m.Topic, msg); err != nil {
			return m, fmt.Errorf("publish on %s: %w", m.Topic, err)
		}
		return m, nil
	}
	return command.PoisonMessage{}, &command.PoisonNotFoundError{ID: id}
}

// read returns the newest records of kds.poison, oldest first.
func (q *PoisonQueue) read(ctx context.Context) ([]*sarama.ConsumerMessage, error) {
	out, err := withContext(ctx, func() ([]*sarama.ConsumerMessage, error) {
		sc := q.config.sarama()
		// kds.poison's metadata only, not every topic's.
		sc.Metadata.Full = false
		client, err := sarama.NewClient(q.config.Brokers, sc)
		if err != nil {
			return nil, &UnreachableError{Where: q.config.Where(), Err: err}
		}
		defer client.Close()
		consumer, err := sarama.NewConsumerFromClient(client)
		if err != nil {
			return nil, err
		}
		defer consumer.Close()
		partitions, err := client.Partitions(topic.PoisonTopic)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", topic.PoisonTopic, err)
		}
		var out []*sarama.ConsumerMessage
		for _, p := range partitions {
			records, err := readPartition(client, consumer, p)
			if err != nil {
				return nil, err
			}
			out = append(out, records...)
		}
		return out, nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Timestamp.Before(out[j].Timestamp) })
	if len(out) > maxPoisonListed {
		out = out[len(out)-maxPoisonListed:]
	}
	return out, err
}

// readPartition reads a partition's newest records up to its end.
func readPartition(client sarama.Client, consumer sarama.Consumer, partition int32) ([]*sarama.ConsumerMessage, error) {
	end, err := client.GetOffset(topic.PoisonTopic, partition, sarama.OffsetNewest)
	if err != nil {
		return nil, err
	}
	start, err := client.GetOffset(topic.PoisonTopic, partition, sarama.OffsetOldest)
	if err != nil {
		return nil, err
	}
	start = max(start, end-maxPoisonListed)
	if start >= end {
		return nil, nil
	}
	pc, err := consumer.ConsumePartition(topic.PoisonTopic, partition, start)
	if err != nil {
		return nil, err
	}
	defer pc.Close()
	var out []*sarama.ConsumerMessage
	timeout := time.After(10 * time.Second)
	for {
		select {
		case m := <-pc.Messages():
			out = append(out, m)
			if m.Offset >= end-1 {
				return out, nil
			}
		case err := <-pc.Errors():
			return nil, err
		case <-timeout:
			return nil, fmt.Errorf("read %s partition %d: timed out", topic.PoisonTopic, partition)
		}
	}
}

func poisonMessage(r *sarama.ConsumerMessage) command.PoisonMessage {
	m := command.PoisonMessage{Key: string(r.Key), Payload: string(r.Value), At: r.Timestamp}
	for _, h := range r.Headers {
		v := string(h.Value)
		switch string(h.Key) {
		case wkafka.UUIDHeaderKey:
			m.ID = v
		case middleware.PoisonedTopicKey:
			m.Topic = v
		case middleware.PoisonedHandlerKey:
			m.Handler = v
		case middleware.ReasonForPoisonedKey:
			m.Reason = v
		}
	}
	return m
}
