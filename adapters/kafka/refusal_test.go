package kafka_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/kds-io/kds/adapters/kafka"
	"github.com/kds-io/kds/adapters/kafka/kafkatest"
	"github.com/kds-io/kds/app/command"
	"github.com/kds-io/kds/app/topic"
)

// TestWhatKafkaRefusesForGoodIsDiverted publishes, between small messages,
// one larger than the broker's message.max.bytes and one larger than
// Sarama's Producer.MaxMessageBytes: both are handed on with Kafka's
// reason instead of failing the publish, and the small ones arrive.
func TestWhatKafkaRefusesForGoodIsDiverted(t *testing.T) {
	t.Parallel()
	_, cfg := kafkatest.Start(t, kfake.SeedTopics(1, topic.CommandsTopic), kfake.BrokerConfigs(map[string]string{"message.max.bytes": "2000"}))
	pub, err := kafka.NewPublisher(cfg, "partition_key", watermill.NopLogger{})
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	var refused []command.Undeliverable
	out := kafka.DivertRefused(pub, "partition_key", func(_ context.Context, u command.Undeliverable) error {
		refused = append(refused, u)
		return nil
	})
	msg := func(key string, size int) *message.Message {
		m := message.NewMessage(watermill.NewUUID(), []byte(strings.Repeat(key[:1], size)))
		m.Metadata.Set("partition_key", key)
		return m
	}
	for _, m := range []*message.Message{msg("a", 10), msg("big", 3000), msg("b", 10), msg("huge", 2<<20), msg("c", 10)} {
		if err := out.Publish(topic.CommandsTopic, m); err != nil {
			t.Fatalf("publish %s: %v", m.Metadata.Get("partition_key"), err)
		}
	}
	if len(refused) != 2 || refused[0].Key != "big" || len(refused[0].Payload) != 3000 || !strings.Contains(refused[0].Reason, "too large") ||
		refused[1].Key != "huge" || !strings.Contains(refused[1].Reason, "larger than configured Producer.MaxMessageBytes") || refused[1].Topic != topic.CommandsTopic {
		t.Fatalf("refused %d: %+v", len(refused), refusedSummary(refused))
	}
	wantDelivered(t, cfg, strings.Repeat("a", 10), strings.Repeat("b", 10), strings.Repeat("c", 10))

	// What cannot be recorded is not lost: the publish fails, to be tried
	// again.
	unrecorded := errors.New("kds.poison is unreachable")
	out = kafka.DivertRefused(pub, "partition_key", func(context.Context, command.Undeliverable) error { return unrecorded })
	if err := out.Publish(topic.CommandsTopic, msg("big", 3000)); !errors.Is(err, unrecorded) {
		t.Fatalf("publish while the refusal cannot be recorded: %v", err)
	}
}

// TestARefusedMessageOfABatchIsDivertedAlone: the outbox's forwarder
// hands a batch to the internal publisher in one Publish; the messages
// Kafka refuses for good are diverted with the reason, the others arrive
// in order.
func TestARefusedMessageOfABatchIsDivertedAlone(t *testing.T) {
	t.Parallel()
	_, cfg := kafkatest.Start(t, kfake.SeedTopics(1, topic.CommandsTopic), kfake.BrokerConfigs(map[string]string{"message.max.bytes": "2000"}))
	pub, err := kafka.NewInternalPublisher(cfg, "partition_key")
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	var refused []command.Undeliverable
	out := kafka.DivertRefused(pub, "partition_key", func(_ context.Context, u command.Undeliverable) error {
		refused = append(refused, u)
		return nil
	})
	var batch []*message.Message
	for _, km := range []struct {
		key  string
		size int
	}{{"a", 10}, {"big", 3000}, {"b", 10}, {"huge", 2 << 20}, {"c", 10}} {
		m := message.NewMessage(watermill.NewUUID(), []byte(strings.Repeat(km.key[:1], km.size)))
		m.Metadata.Set("partition_key", km.key)
		batch = append(batch, m)
	}
	if err := out.Publish(topic.CommandsTopic, batch...); err != nil {
		t.Fatal(err)
	}
	if len(refused) != 2 || refused[0].Key != "big" || !strings.Contains(refused[0].Reason, "too large") ||
		refused[1].Key != "huge" || !strings.Contains(refused[1].Reason, "larger than the 1048576 bytes Kafka takes") {
		t.Fatalf("refused %d: %+v", len(refused), refusedSummary(refused))
	}
	wantDelivered(t, cfg, strings.Repeat("a", 10), strings.Repeat("b", 10), strings.Repeat("c", 10))
}

// wantDelivered reads kds.commands from the start and wants exactly want.
func wantDelivered(t *testing.T, cfg kafka.Config, want ...string) {
	t.Helper()
	sub, err := kafka.NewSubscriber(cfg, kafka.FromOldest, watermill.NopLogger{})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	msgs, err := sub.Subscribe(ctx, topic.CommandsTopic)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for len(got) < len(want) {
		select {
		case m := <-msgs:
			got = append(got, string(m.Payload))
			m.Ack()
		case <-ctx.Done():
			t.Fatalf("delivered %q", got)
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("delivered %q, want %q", got, want)
	}
}

func refusedSummary(us []command.Undeliverable) []string {
	var out []string
	for _, u := range us {
		out = append(out, u.Topic+" "+u.Key+": "+u.Reason)
	}
	return out
}
