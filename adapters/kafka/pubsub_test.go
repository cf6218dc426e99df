package kafka_test

import (
	"context"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/kds-io/kds/adapters/kafka"
	"github.com/kds-io/kds/app/topic"
)

func TestMessagesWithOneKeyStayInOrder(t *testing.T) {
	t.Parallel()
	c := startBroker(t, 1)
	ctx := context.Background()
	if err := newCluster(t, c).CreateTopic(ctx, topic.MustParseName("ordered"), topic.Spec{Partitions: 8, ReplicationFactor: 1}); err != nil {
		t.Fatal(err)
	}
	pub, err := kafka.NewPublisher(c, "partition_key", watermill.NopLogger{})
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	sub, err := kafka.NewSubscriber(c, "test-group", kafka.FromOldest, watermill.NopLogger{})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	const n = 50
	for i := range n {
		m := message.NewMessage(watermill.NewUUID(), []byte{byte(i)})
		m.Metadata.Set("partition_key", "news")
		if err := pub.Publish("ordered", m); err != nil {
			t.Fatal(err)
		}
	}
	subCtx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	msgs, err := sub.Subscribe(subCtx, "ordered")
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		select {
		case m := <-msgs:
			if int(m.Payload[0]) != i {
				t.Fatalf("message %d arrived as number %d", m.Payload[0], i)
			}
			if m.Metadata.Get("partition_key") != "news" {
				t.Fatalf("metadata lost: %v", m.Metadata)
			}
			m.Ack()
		case <-subCtx.Done():
			t.Fatalf("received %d of %d", i, n)
		}
	}
}
