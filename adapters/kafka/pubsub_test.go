package kafka_test

import (
	"context"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	wkafka "github.com/ThreeDotsLabs/watermill-kafka/v3/pkg/kafka"
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/kds-io/kds/adapters/kafka"
	"github.com/kds-io/kds/adapters/kafka/kafkatest"
)

func TestMessagesWithOneKeyStayInOrder(t *testing.T) {
	t.Parallel()
	_, c := kafkatest.Start(t)
	ctx := context.Background()
	kafkatest.CreateTopics(t, c, 8, "ordered")
	pub, err := kafka.NewPublisher(c, "partition_key", watermill.NopLogger{})
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	sub, err := kafka.NewKeyedSubscriber(c, "test-group", kafka.FromOldest, kafka.DefaultInFlight, watermill.NopLogger{})
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

// TestMessageReadAndPublishedAgainKeepsItsKey: a record written by another
// client has a key but no key metadata; published again as it was read,
// as the poison middleware does, it keeps its key.
func TestMessageReadAndPublishedAgainKeepsItsKey(t *testing.T) {
	t.Parallel()
	_, c := kafkatest.Start(t)
	kafkatest.CreateTopics(t, c, 4, "first", "again")
	pub, err := kafka.NewPublisher(c, "partition_key", watermill.NopLogger{})
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	sub, err := kafka.NewSubscriber(c, kafka.FromOldest, watermill.NopLogger{})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	read := func(topicName string) *message.Message {
		t.Helper()
		msgs, err := sub.Subscribe(ctx, topicName)
		if err != nil {
			t.Fatal(err)
		}
		select {
		case m := <-msgs:
			m.Ack()
			return m
		case <-ctx.Done():
			t.Fatalf("nothing on %s", topicName)
			return nil
		}
	}
	keyed := message.NewMessage(watermill.NewUUID(), []byte("v"))
	keyed.Metadata.Set("partition_key", "the-key")
	if err := pub.Publish("first", keyed); err != nil {
		t.Fatal(err)
	}
	got := read("first")
	got.Metadata = message.Metadata{} // as a client that sets no kds metadata wrote it
	if err := pub.Publish("again", got); err != nil {
		t.Fatal(err)
	}
	if key, _ := wkafka.MessageKeyFromCtx(read("again").Context()); string(key) != "the-key" {
		t.Fatalf("published again with key %q", key)
	}
}
