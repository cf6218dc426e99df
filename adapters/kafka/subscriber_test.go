package kafka_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"

	"github.com/kds-io/kds/adapters/kafka"
	"github.com/kds-io/kds/adapters/kafka/kafkatest"
)

// TestStartAtNewestCommitsWhereANewGroupBegins: a new subscription's group
// starts at the newest offsets of the moment it subscribed, so what is
// sent before its subscriber first joins is read, and what was sent
// before it subscribed is not; a group with offsets keeps them.
func TestStartAtNewestCommitsWhereANewGroupBegins(t *testing.T) {
	t.Parallel()
	_, c := kafkatest.Start(t)
	const partitions = 3
	kafkatest.CreateTopics(t, c, partitions, "news")
	ctx := context.Background()
	produce(t, c, "news", partitions, "before")
	members := kafka.NewMembership(c)
	defer members.Close()
	if err := members.StartAtNewest(ctx, "reader", "news"); err != nil {
		t.Fatal(err)
	}
	produce(t, c, "news", partitions, "after")
	// Again, as a second process of the same consumer would: the offsets
	// committed stay.
	if err := members.StartAtNewest(ctx, "reader", "news"); err != nil {
		t.Fatal(err)
	}
	sub, err := kafka.NewBatchSubscriber(c, "reader", kafka.FromNewest, watermill.NopLogger{})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	msgs, err := sub.Subscribe(ctx, "news")
	if err != nil {
		t.Fatal(err)
	}
	got := collect(msgs)
	got.wait(t, "every message sent after the start", 20*time.Second, func(got map[string]bool) bool {
		return countPrefix(got, "after") == partitions
	})
	if n := got.count("before"); n != 0 {
		t.Fatalf("%d messages sent before the subscription were read", n)
	}

	done, cancel := context.WithCancel(ctx)
	cancel()
	if err := members.StartAtNewest(done, "other", "news"); !errors.Is(err, context.Canceled) {
		t.Fatalf("with its context ended: %v", err)
	}
}
