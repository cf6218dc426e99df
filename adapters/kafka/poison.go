package kafka

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/ThreeDotsLabs/watermill"
	wkafka "github.com/ThreeDotsLabs/watermill-kafka/v3/pkg/kafka"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

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
			if h.Key == wkafka.UUIDHeaderKey || strings.HasSuffix(h.Key, "_poisoned") {
				continue
			}
			msg.Metadata.Set(h.Key, string(h.Value))
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

// read returns the newest records of kds.poison, oldest first, reading
// each partition from up to maxPoisonListed records before its end, all
// within the request timeout. It connects afresh each time and asks about
// kds.poison only, not every topic in the cluster.
func (q *PoisonQueue) read(ctx context.Context) ([]*kgo.Record, error) {
	ctx, cancel := context.WithTimeout(ctx, q.config.RequestTimeout)
	defer cancel()
	client, err := kgo.NewClient(q.config.kgo()...)
	if err != nil {
		return nil, &UnreachableError{Where: q.config.Where(), Err: err}
	}
	defer client.Close()
	admin := kadm.NewClient(client)
	starts, err := admin.ListStartOffsets(ctx, topic.PoisonTopic)
	if err != nil {
		return nil, q.config.unreachable(ctx, err)
	}
	ends, err := admin.ListEndOffsets(ctx, topic.PoisonTopic)
	if err != nil {
		return nil, q.config.unreachable(ctx, err)
	}
	if err := errors.Join(starts.Error(), ends.Error()); err != nil {
		return nil, fmt.Errorf("read %s: %w", topic.PoisonTopic, err)
	}
	from := map[int32]kgo.Offset{}
	left := map[int32]int64{} // the end of each partition still to read
	ends.Each(func(end kadm.ListedOffset) {
		start, _ := starts.Lookup(end.Topic, end.Partition)
		if first := max(start.Offset, end.Offset-maxPoisonListed); first < end.Offset {
			from[end.Partition], left[end.Partition] = kgo.NewOffset().At(first), end.Offset
		}
	})
	client.AddConsumePartitions(map[string]map[int32]kgo.Offset{topic.PoisonTopic: from})
	var out []*kgo.Record
	for len(left) > 0 {
		fetches := client.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("read %s: %w", topic.PoisonTopic, err)
		}
		if err := fetches.Err(); err != nil {
			return nil, fmt.Errorf("read %s: %w", topic.PoisonTopic, err)
		}
		fetches.EachRecord(func(r *kgo.Record) {
			end, ok := left[r.Partition]
			if !ok || r.Offset >= end {
				return
			}
			out = append(out, r)
			if r.Offset >= end-1 {
				delete(left, r.Partition)
			}
		})
	}
	slices.SortStableFunc(out, func(a, b *kgo.Record) int { return a.Timestamp.Compare(b.Timestamp) })
	if len(out) > maxPoisonListed {
		out = out[len(out)-maxPoisonListed:]
	}
	return out, nil
}

// verify checks that kds wrote the message a poison record holds, as it
// was on topic.
func (q *PoisonQueue) verify(r *kgo.Record, topicName string) error {
	var signature string
	for _, h := range r.Headers {
		if h.Key == SignatureHeader {
			signature = string(h.Value)
		}
	}
	return q.signer.Check(topicName, string(r.Key), r.Value, signature)
}

func (q *PoisonQueue) poisonMessage(r *kgo.Record) command.PoisonMessage {
	m := command.PoisonMessage{Key: string(r.Key), Payload: string(r.Value), At: r.Timestamp}
	for _, h := range r.Headers {
		v := string(h.Value)
		switch h.Key {
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
