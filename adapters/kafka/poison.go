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
	signer    *Signer
}

// NewPoisonQueue reads kds.poison, tells with signer which messages kds
// wrote, and requeues those through publisher, signed anew.
func NewPoisonQueue(c Config, publisher message.Publisher, signer *Signer) *PoisonQueue {
	return &PoisonQueue{config: c, publisher: publisher, signer: signer}
}

// List implements command.PoisonQueue.
func (q *PoisonQueue) List(ctx context.Context) ([]command.PoisonMessage, error) {
	records, err := q.read(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]command.PoisonMessage, len(records))
	for i, r := range records {
		out[i] = q.poisonMessage(r)
	}
	return out, nil
}

// Record implements command.PoisonQueue, with the headers Watermill's
// poison middleware writes.
func (q *PoisonQueue) Record(_ context.Context, m command.PoisonMessage) error {
	msg := message.NewMessage(watermill.NewUUID(), []byte(m.Payload))
	msg.Metadata.Set(q.signer.keyMetadata, m.Key)
	msg.Metadata.Set(middleware.PoisonedTopicKey, m.Topic)
	msg.Metadata.Set(middleware.PoisonedHandlerKey, m.Handler)
	msg.Metadata.Set(middleware.ReasonForPoisonedKey, m.Reason)
	if err := q.publisher.Publish(topic.PoisonTopic, msg); err != nil {
		return fmt.Errorf("publish on %s: %w", topic.PoisonTopic, err)
	}
	return nil
}

// Requeue implements command.PoisonQueue.
func (q *PoisonQueue) Requeue(ctx context.Context, id string) (command.PoisonMessage, error) {
	records, err := q.read(ctx)
	if err != nil {
		return command.PoisonMessage{}, err
	}
	for _, r := range records {
		m := q.poisonMessage(r)
		if m.ID != id {
			continue
		}
		if m.Topic != topic.CommandsTopic && m.Topic != topic.EventsTopic {
			return m, fmt.Errorf("poison message %s came from %q: only kds.commands and kds.events are requeued", id, m.Topic)
		}
		if err := q.verify(r, m.Topic); err != nil {
			return m, &command.UnverifiedPoisonError{ID: id, Reason: err.Error()}
		}
		// A new message, with an id of its own: should it fail again, its
		// poison record must be told apart from this one, which stays on
		// kds.poison. It is signed with today's key, as the key that
		// signed it may be on its way out.
		msg := message.NewMessage(watermill.NewUUID(), r.Value)
		for _, h := range r.Headers {
			k := string(h.Key)
			if k == wkafka.UUIDHeaderKey || strings.HasSuffix(k, "_poisoned") {
				continue
			}
			msg.Metadata.Set(k, string(h.Value))
		}
		msg.Metadata.Set(q.signer.keyMetadata, string(r.Key))
		q.signer.Sign(m.Topic, msg)
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

// verify checks that kds wrote the message a poison record holds, as it
// was on topic.
func (q *PoisonQueue) verify(r *sarama.ConsumerMessage, topicName string) error {
	var signature string
	for _, h := range r.Headers {
		if string(h.Key) == SignatureHeader {
			signature = string(h.Value)
		}
	}
	return q.signer.Check(topicName, string(r.Key), r.Value, signature)
}

func (q *PoisonQueue) poisonMessage(r *sarama.ConsumerMessage) command.PoisonMessage {
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
	if m.ID == "" {
		// Written by a client that sets no Watermill id, such as kcat.
		m.ID = fmt.Sprintf("%s-%d-%d", topic.PoisonTopic, r.Partition, r.Offset)
	}
	m.Signed = q.verify(r, m.Topic) == nil
	return m
}
