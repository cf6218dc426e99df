package kafka

import (
	"context"
	"errors"
	"fmt"

	"github.com/IBM/sarama"
	"github.com/ThreeDotsLabs/watermill"
	wkafka "github.com/ThreeDotsLabs/watermill-kafka/v3/pkg/kafka"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
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

// StartAtNewest gives consumer group group a committed offset on every
// partition of topic that has none: the partition's newest offset, now.
//
// A group that starts FromNewest resolves "newest" only when it is first
// assigned a partition, and commits nothing for a partition it read
// nothing from. Without this, the messages sent between a subscription and
// its group's first assignment would be skipped, and so would those sent,
// while no process of the consumer ran, to a partition it had read nothing
// from before it stopped. Once every partition has an offset, a resumed
// subscription continues exactly where it left off.
//
// It asks through the membership's connections: a process subscribes
// many times.
func (m *Membership) StartAtNewest(ctx context.Context, group, topicName string) error {
	c := m.config
	if m.err != nil {
		return &UnreachableError{Where: c.Where(), Err: m.err}
	}
	ctx, cancel := context.WithTimeout(ctx, c.RequestTimeout)
	defer cancel()
	admin := kadm.NewClient(m.client)
	newest, err := admin.ListEndOffsets(ctx, topicName)
	if err != nil {
		return c.unreachable(ctx, err)
	}
	if err := newest.Error(); err != nil {
		return fmt.Errorf("newest offsets of %s: %w", topicName, err)
	}
	committed, err := admin.FetchOffsets(ctx, group)
	switch {
	case errors.Is(err, kerr.GroupIDNotFound):
		// A group nobody used yet (kfake says so; Kafka has no offsets).
	case err != nil:
		return fmt.Errorf("committed offsets of group %s: %w", group, c.unreachable(ctx, err))
	}
	start := kadm.Offsets{}
	var errs []error
	newest.Each(func(end kadm.ListedOffset) {
		o, ok := committed.Lookup(topicName, end.Partition)
		switch {
		case ok && o.Err != nil:
			errs = append(errs, fmt.Errorf("committed offset of group %s on %s/%d: %w", group, topicName, end.Partition, o.Err))
		case !ok || o.At < 0:
			start.Add(kadm.Offset{Topic: topicName, Partition: end.Partition, At: end.Offset, LeaderEpoch: -1})
		}
	})
	if len(errs) > 0 || len(start) == 0 {
		return errors.Join(errs...)
	}
	// Without a member or a generation, the commit comes from outside the
	// group.
	answers, err := admin.CommitOffsets(ctx, group, start)
	if err != nil {
		return fmt.Errorf("commit the start of group %s: %w", group, c.unreachable(ctx, err))
	}
	answers.Each(func(a kadm.OffsetResponse) {
		switch {
		case a.Err == nil:
		case errors.Is(a.Err, kerr.IllegalGeneration), errors.Is(a.Err, kerr.UnknownMemberID), errors.Is(a.Err, kerr.RebalanceInProgress):
			// The group has members: another process of the same
			// consumer runs it and has positions of its own.
		default:
			errs = append(errs, fmt.Errorf("commit the start of group %s on %s/%d: %w", group, topicName, a.Partition, a.Err))
		}
	})
	return errors.Join(errs...)
}
