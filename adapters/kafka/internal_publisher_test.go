package kafka_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kds-io/kds/adapters/kafka"
	"github.com/kds-io/kds/adapters/kafka/kafkatest"
)

// TestInternalPublisherPlacesKeysAsSaramaDoes: a key's messages land on
// the same partition whether kds's Sarama publisher or its internal batch
// publisher wrote them, so that one topic's commands and events stay in
// order across both.
func TestInternalPublisherPlacesKeysAsSaramaDoes(t *testing.T) {
	t.Parallel()
	_, cfg := kafkatest.Start(t, kfake.SeedTopics(8, "placed"))
	sarama, err := kafka.NewPublisher(cfg, "partition_key", watermill.NopLogger{})
	if err != nil {
		t.Fatal(err)
	}
	defer sarama.Close()
	internal, err := kafka.NewInternalPublisher(cfg, "partition_key")
	if err != nil {
		t.Fatal(err)
	}
	defer internal.Close()
	const keys = 40
	for _, p := range []struct {
		name string
		pub  message.Publisher
	}{{"sarama", sarama}, {"internal", internal}} {
		msgs := make([]*message.Message, keys)
		for i := range msgs {
			msgs[i] = message.NewMessage(watermill.NewUUID(), []byte(p.name))
			msgs[i].Metadata.Set("partition_key", fmt.Sprintf("topic-%02d", i))
		}
		if err := p.pub.Publish("placed", msgs...); err != nil {
			t.Fatal(err)
		}
	}

	client, err := kgo.NewClient(kgo.SeedBrokers(cfg.Brokers...), kgo.ConsumeTopics("placed"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	placed := map[string]map[string]int32{"sarama": {}, "internal": {}}
	for n := 0; n < 2*keys; {
		fetches := client.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatalf("read %d of %d records", n, 2*keys)
		}
		fetches.EachRecord(func(r *kgo.Record) {
			placed[string(r.Value)][string(r.Key)] = r.Partition
			n++
		})
	}
	used := map[int32]bool{}
	var differ []string
	for key, p := range placed["sarama"] {
		used[p] = true
		if q, ok := placed["internal"][key]; !ok || q != p {
			differ = append(differ, fmt.Sprintf("%s: %d by Sarama, %d by the internal publisher", key, p, q))
		}
	}
	if len(differ) > 0 || len(placed["sarama"]) != keys {
		t.Fatalf("%d keys read; placed apart:\n%s", len(placed["sarama"]), strings.Join(differ, "\n"))
	}
	if len(used) < 4 {
		t.Fatalf("%d keys took only %d of 8 partitions", keys, len(used))
	}
}
