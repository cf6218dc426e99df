package mysql_test

import (
	"context"
	"testing"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/pubsub/tests"

	"github.com/kds-io/kds/adapters/mysql"
	"github.com/kds-io/kds/adapters/mysql/mysqltest"
)

// TestOutboxPassesWatermillsUniversalTests runs Watermill's Pub/Sub test
// suite against the outbox's schema and offsets adapters, with writers
// serialized as kds serializes them: exactly once and in order, for any
// consumer group, however many subscribers read it at once.
func TestOutboxPassesWatermillsUniversalTests(t *testing.T) {
	t.Parallel()
	_, c := mysqltest.NewDatabase(t)
	// Every Pub/Sub the suite builds stands for a process of its own, with
	// a connection pool of its own. A subscriber waiting for its group's
	// turn holds a connection, and TestConcurrentSubscribe subscribes 50 of
	// them before it reads a message: in one shared pool they take every
	// connection, the rest of the subscribers wait for one, and the first
	// subscriber's message outlives its acknowledgement deadline and is
	// delivered again (DESIGN.md §6).
	c.MaxOpenConns = 4
	withGroup := func(t *testing.T, group string) (message.Publisher, message.Subscriber) {
		db, err := mysql.Open(context.Background(), c)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		pub, sub, err := mysql.UniversalPubSub(db, group)
		if err != nil {
			t.Fatal(err)
		}
		return pub, sub
	}
	tests.TestPubSub(t, tests.Features{
		ConsumerGroups:      true,
		ExactlyOnceDelivery: true,
		GuaranteedOrder:     true,
		Persistent:          true,
	}, func(t *testing.T) (message.Publisher, message.Subscriber) { return withGroup(t, "test") }, withGroup)
}
