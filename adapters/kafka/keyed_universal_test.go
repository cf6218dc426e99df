package kafka_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/pubsub/tests"
	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/kds-io/kds/adapters/kafka"
	"github.com/kds-io/kds/adapters/kafka/kafkatest"
)

// TestKeyedSubscriberPassesWatermillsUniversalTests runs Watermill's
// Pub/Sub test suite against the keyed subscriber: at least once, in any
// order across keys (the suite's messages have none), for any consumer
// group. A new subscriber of a group resumes where the group left off, so
// it does not read the group's old messages again.
func TestKeyedSubscriberPassesWatermillsUniversalTests(t *testing.T) {
	t.Parallel()
	_, c := kafkatest.Start(t)
	// Many members join and leave the suite's groups: let them notice
	// rebalances quickly.
	c.Groups = kafka.GroupConfig{SessionTimeout: 6 * time.Second, HeartbeatInterval: 200 * time.Millisecond, RebalanceTimeout: 3 * time.Second}
	withGroup := func(t *testing.T, group string) (message.Publisher, message.Subscriber) {
		pub, err := kafka.NewPublisher(c, "partition_key", watermill.NopLogger{})
		if err != nil {
			t.Fatal(err)
		}
		sub, err := kafka.NewKeyedSubscriber(c, group, kafka.FromOldest, kafka.DefaultInFlight, watermill.NopLogger{})
		if err != nil {
			t.Fatal(err)
		}
		return &creatingPublisher{Publisher: pub, t: t, c: c}, sub
	}
	tests.TestPubSub(t, tests.Features{
		ConsumerGroups: true,
		Persistent:     true,
	}, func(t *testing.T) (message.Publisher, message.Subscriber) { return withGroup(t, "test") }, withGroup)
}

// creatingPublisher creates each topic, with 4 partitions, before it first
// publishes to it, as an operator would: kds's clients create no topic.
type creatingPublisher struct {
	message.Publisher
	t       *testing.T
	c       kafka.Config
	mu      sync.Mutex
	created map[string]bool
}

func (p *creatingPublisher) Publish(topicName string, msgs ...*message.Message) error {
	p.mu.Lock()
	if !p.created[topicName] {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		resp, err := kafkatest.Admin(p.t, p.c).CreateTopics(ctx, 4, 1, nil, topicName)
		cancel()
		if err == nil {
			err = resp.Error()
		}
		if err != nil && !errors.Is(err, kerr.TopicAlreadyExists) {
			p.mu.Unlock()
			return err
		}
		if p.created == nil {
			p.created = map[string]bool{}
		}
		p.created[topicName] = true
	}
	p.mu.Unlock()
	return p.Publisher.Publish(topicName, msgs...)
}
