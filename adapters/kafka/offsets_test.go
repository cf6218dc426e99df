package kafka_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/kds-io/kds/adapters/kafka"
	"github.com/kds-io/kds/adapters/kafka/kafkatest"
)

// TestProducedSumsHighWaterMarks writes known counts to topics spread over
// the partitions of two brokers: Produced sums each topic's partitions,
// leaves out topics Kafka does not know, and follows a topic created again
// with fewer partitions.
func TestProducedSumsHighWaterMarks(t *testing.T) {
	t.Parallel()
	_, c := kafkatest.Start(t, kfake.NumBrokers(2))
	ctx := context.Background()
	want := map[string]int64{"wide": 500, "narrow": 7, "empty": 0}
	parts := map[string]int32{"wide": 6, "narrow": 1, "empty": 2}
	for name, p := range parts {
		kafkatest.CreateTopics(t, c, p, name)
	}
	write := func(name string, n int64) {
		t.Helper()
		// A publisher of its own each time: one that knew a deleted topic
		// would write to its old partitions.
		pub, err := kafka.NewBatchPublisher(c, "key")
		if err != nil {
			t.Fatal(err)
		}
		defer pub.Close()
		var msgs []*message.Message
		for i := range n {
			m := message.NewMessage(watermill.NewUUID(), []byte(fmt.Sprint(i)))
			m.Metadata.Set("key", fmt.Sprint(i)) // spread over the partitions
			msgs = append(msgs, m)
		}
		if err := pub.Publish(name, msgs...); err != nil {
			t.Fatal(err)
		}
	}
	for name, n := range want {
		if n > 0 {
			write(name, n)
		}
	}

	offsets := kafka.NewOffsets(c)
	defer offsets.Close()
	got, err := offsets.Produced(ctx, []string{"wide", "narrow", "empty", "missing"})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("Produced = %v, want %v (missing left out)", got, want)
	}

	// Deleted and created again with one partition: the old partitions'
	// marks must not linger.
	kafkatest.DeleteTopics(t, c, "wide")
	kafkatest.CreateTopics(t, c, 1, "wide")
	write("wide", 3)
	// The first call may still see the old partitions and leave the topic
	// out while it learns the new ones; the next one counts it.
	for range 2 {
		if got, err = offsets.Produced(ctx, []string{"wide"}); err != nil {
			t.Fatal(err)
		}
		if n, ok := got["wide"]; ok && n != 3 && n != 500 {
			t.Fatalf("wide after its re-creation: %d", n)
		}
	}
	if got["wide"] != 3 {
		t.Fatalf("wide after its re-creation: %v, want 3", got)
	}
}
