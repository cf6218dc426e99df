package kafka_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/kds-io/kds/adapters/kafka"
	"github.com/kds-io/kds/adapters/kafka/kafkatest"
	"github.com/kds-io/kds/app/content"
)

// TestTailFollowsATopicFromNow: Follow delivers, as content, every message
// written after it returns and none written before, with what kds's
// headers and Kafka say of each; it joins no consumer group, and stop
// ends the read.
func TestTailFollowsATopicFromNow(t *testing.T) {
	t.Parallel()
	_, c := kafkatest.Start(t)
	ctx := context.Background()
	kafkatest.CreateTopics(t, c, 3, "followed")
	pub, err := kafka.NewPublisher(c, "partition_key", watermill.NopLogger{})
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	sentAt := time.Date(2030, 1, 2, 3, 4, 5, 6, time.UTC)
	uuids := map[string]string{}
	publish := func(value string) {
		t.Helper()
		m := message.NewMessage(watermill.NewUUID(), []byte(value))
		m.Metadata.Set("partition_key", "key-"+value)
		m.Metadata.Set(content.ProducerHeader, "ada")
		m.Metadata.Set(content.SentAtHeader, sentAt.Format(time.RFC3339Nano))
		uuids[value] = m.UUID
		if err := pub.Publish("followed", m); err != nil {
			t.Fatal(err)
		}
	}
	publish("before")

	msgs, stop, err := kafka.NewTail(c, watermill.NopLogger{}).Follow(ctx, "followed")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = stop() })
	const n = 10
	for i := range n {
		publish(fmt.Sprint(i))
	}
	got := map[string]content.Message{}
	deadline := time.After(20 * time.Second)
	for len(got) < n {
		select {
		case m := <-msgs:
			if m.Value == "before" {
				t.Fatalf("a message written before Follow returned was delivered: %+v", m)
			}
			got[m.Value] = m
		case <-deadline:
			t.Fatalf("received %d of %d messages", len(got), n)
		}
	}
	for i := range n {
		v := fmt.Sprint(i)
		m := got[v]
		if m.Topic != "followed" || m.Key != "key-"+v || m.Producer != "ada" || !m.SentAt.Equal(sentAt) || m.UUID != uuids[v] ||
			m.Partition < 0 || m.Partition > 2 || m.Offset < 0 || m.Timestamp.IsZero() || m.ReceivedAt.IsZero() {
			t.Errorf("message %s read as %+v", v, m)
		}
	}

	admin, err := sarama.NewClusterAdmin(c.Brokers, sarama.NewConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if groups, err := admin.ListConsumerGroups(); err != nil || len(groups) != 0 {
		t.Errorf("consumer groups %v (%v), want none", groups, err)
	}

	if err := stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	closed := time.After(10 * time.Second)
	for {
		select {
		case _, ok := <-msgs:
			if !ok {
				return
			}
		case <-closed:
			t.Fatal("the messages stayed open after stop")
		}
	}
}
