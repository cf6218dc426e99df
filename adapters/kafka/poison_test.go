package kafka_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kds-io/kds/adapters/kafka"
	"github.com/kds-io/kds/adapters/kafka/kafkatest"
	"github.com/kds-io/kds/app/command"
	"github.com/kds-io/kds/app/topic"
)

// TestPoisonListAsksAboutItsTopicOnly: each listing of kds.poison connects
// afresh; it must learn that topic's metadata, not every topic's in a
// cluster that may hold thousands.
func TestPoisonListAsksAboutItsTopicOnly(t *testing.T) {
	t.Parallel()
	c, cfg := kafkatest.Start(t, kfake.SeedTopics(1, topic.PoisonTopic, "orders", "payments"))
	var everyTopic atomic.Int32
	c.ControlKey(int16(kmsg.Metadata), func(req kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		if req.(*kmsg.MetadataRequest).Topics == nil {
			everyTopic.Add(1)
		}
		return nil, nil, false
	})
	poison := kafka.NewPoisonQueue(cfg, nil, newSigner(t, "k1:"+secret('a', 32)))
	if _, err := poison.List(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := everyTopic.Load(); n > 0 {
		t.Fatalf("%d metadata requests for every topic", n)
	}
}

// TestRecordedMessagesAreListedAndNeverRequeued: what the forwarder records
// of a message Kafka refused is listed with its reason, and is not kds's
// signed message, so it is never replayed.
func TestRecordedMessagesAreListedAndNeverRequeued(t *testing.T) {
	t.Parallel()
	_, cfg := kafkatest.Start(t, kfake.SeedTopics(1, topic.PoisonTopic, topic.CommandsTopic))
	pub, err := kafka.NewPublisher(cfg, "partition_key", watermill.NopLogger{})
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	poison := kafka.NewPoisonQueue(cfg, pub, newSigner(t, "k1:"+secret('a', 32)))
	want := command.PoisonMessage{Topic: topic.CommandsTopic, Key: "huge", Handler: command.ForwarderHandler,
		Reason: "Kafka refused the command for good: too large", Payload: `{"type":"RequestTopic"`}
	if err := poison.Record(context.Background(), want); err != nil {
		t.Fatal(err)
	}
	listed, err := poison.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(listed) != 1 {
		t.Fatalf("listed %+v", listed)
	}
	got := listed[0]
	if got.ID == "" || got.Topic != want.Topic || got.Key != want.Key || got.Handler != want.Handler || got.Reason != want.Reason || got.Payload != want.Payload || got.Signed {
		t.Fatalf("listed %+v, want %+v", got, want)
	}
	var refused *command.UnverifiedPoisonError
	if _, err := poison.Requeue(context.Background(), got.ID); !errors.As(err, &refused) {
		t.Fatalf("requeue: %v", err)
	}
}
