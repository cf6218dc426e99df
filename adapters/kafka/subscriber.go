package kafka

import (
	"errors"
	"fmt"
	"time"

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

// NewSubscriber returns a Watermill subscriber in consumer group group, as
// a dynamic member (Membership makes static ones); with an empty group it
// reads every partition from start without committing.
func NewSubscriber(c Config, group string, start Start, logger watermill.LoggerAdapter) (message.Subscriber, error) {
	return newSubscriber(c, group, start, "", logger)
}

// newSubscriber is NewSubscriber, as static member instance when instance
// is not empty.
func newSubscriber(c Config, group string, start Start, instance string, logger watermill.LoggerAdapter) (message.Subscriber, error) {
	sc := c.sarama()
	sc.Consumer.Return.Errors = true
	sc.Consumer.Offsets.Initial = int64(start)
	sc.Consumer.Group.InstanceId = instance
	if group != "" {
		// A JoinGroup request waits up to the rebalance timeout for the
		// other members: a client that gave up sooner would join again,
		// and kfake takes each join for a new rebalance, so the group
		// would not settle while a member is missing (DESIGN.md §6).
		sc.Net.ReadTimeout = max(sc.Net.ReadTimeout, sc.Consumer.Group.Rebalance.Timeout+5*time.Second)
	}
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
func StartAtNewest(c Config, group, topicName string) error {
	sc := c.sarama()
	sc.Metadata.Full = false
	client, err := sarama.NewClient(c.Brokers, sc)
	if err != nil {
		return &UnreachableError{Where: c.Where(), Err: err}
	}
	defer client.Close()
	partitions, err := client.Partitions(topicName)
	if err != nil {
		return fmt.Errorf("partitions of %s: %w", topicName, err)
	}
	coordinator, err := client.Coordinator(group)
	if err != nil {
		return fmt.Errorf("coordinator of group %s: %w", group, err)
	}
	fetched, err := coordinator.FetchOffset(sarama.NewOffsetFetchRequest(sc.Version, group, map[string][]int32{topicName: partitions}))
	if err != nil {
		return fmt.Errorf("committed offsets of group %s: %w", group, err)
	}
	var missing []int32
	switch {
	case errors.Is(fetched.Err, sarama.ErrGroupIDNotFound):
		// A group nobody used yet (kfake says so; Kafka answers -1).
		missing = partitions
	case !errors.Is(fetched.Err, sarama.ErrNoError):
		return fmt.Errorf("committed offsets of group %s: %w", group, fetched.Err)
	default:
		for _, p := range partitions {
			b := fetched.GetBlock(topicName, p)
			switch {
			case b == nil || b.Offset < 0:
				missing = append(missing, p)
			case !errors.Is(b.Err, sarama.ErrNoError):
				return fmt.Errorf("committed offset of group %s on %s/%d: %w", group, topicName, p, b.Err)
			}
		}
	}
	if len(missing) == 0 {
		return nil
	}
	// Version 2 is understood from Kafka 0.9 to 4; no member and no
	// generation make it a commit from outside the group.
	commit := &sarama.OffsetCommitRequest{Version: 2, ConsumerGroup: group, ConsumerGroupGeneration: -1, RetentionTime: -1}
	for _, p := range missing {
		newest, err := client.GetOffset(topicName, p, sarama.OffsetNewest)
		if err != nil {
			return fmt.Errorf("newest offset of %s/%d: %w", topicName, p, err)
		}
		commit.AddBlock(topicName, p, newest, 0, "")
	}
	committed, err := coordinator.CommitOffset(commit)
	if err != nil {
		return fmt.Errorf("commit the start of group %s: %w", group, err)
	}
	var errs []error
	for _, p := range missing {
		switch kerr := committed.Errors[topicName][p]; kerr {
		case sarama.ErrNoError:
		case sarama.ErrIllegalGeneration, sarama.ErrUnknownMemberId, sarama.ErrRebalanceInProgress:
			// The group has members: another process of the same
			// consumer runs it and has positions of its own.
		default:
			errs = append(errs, fmt.Errorf("commit the start of group %s on %s/%d: %w", group, topicName, p, kerr))
		}
	}
	return errors.Join(errs...)
}
