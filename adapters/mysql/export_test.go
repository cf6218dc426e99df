package mysql

import (
	"context"
	"database/sql"
	"errors"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	wsql "github.com/ThreeDotsLabs/watermill-sql/v4/pkg/sql"
	"github.com/ThreeDotsLabs/watermill/message"
)

// WriteHeldOpen writes one message to the outbox in its own transaction
// and keeps that transaction open a little after the insert, where an
// unserialized writer would let a later offset commit first.
func WriteHeldOpen(ctx context.Context, db *sql.DB, o *Outbox, topic string, payload []byte) error {
	return inTx(ctx, db, func(tx *sql.Tx) error {
		if err := o.write(ctx, tx, outboxMessage{topic: topic, key: "k", payload: payload}); err != nil {
			return err
		}
		time.Sleep(time.Duration(rand.IntN(2000)) * time.Microsecond)
		return nil
	})
}

// BeginOutboxWrite writes one message to the outbox in a transaction that
// it leaves open for the caller to end.
func BeginOutboxWrite(ctx context.Context, db *sql.DB, o *Outbox, topic string, payload []byte) (*sql.Tx, error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	if err := o.write(ctx, tx, outboxMessage{topic: topic, key: "k", payload: payload}); err != nil {
		return nil, errors.Join(err, tx.Rollback())
	}
	return tx, nil
}

// GroupSubscriber is the forwarder's subscriber for consumer group group.
func (o *Outbox) GroupSubscriber(db *sql.DB, c ForwarderConfig, group string) (message.Subscriber, error) {
	return o.subscriber(db, c, group)
}

// OutboxInserts writes one message for each of topics in one outbox write
// and returns how many INSERT statements that took.
func OutboxInserts(ctx context.Context, db *sql.DB, o *Outbox, topics ...string) (int, error) {
	var inserts int
	err := inTx(ctx, db, func(tx *sql.Tx) error {
		before, err := sessionInserts(ctx, tx)
		if err != nil {
			return err
		}
		msgs := make([]outboxMessage, len(topics))
		for i, t := range topics {
			msgs[i] = outboxMessage{topic: t, key: "k", payload: []byte(`"m"`)}
		}
		if err := o.write(ctx, tx, msgs...); err != nil {
			return err
		}
		after, err := sessionInserts(ctx, tx)
		inserts = after - before
		return err
	})
	return inserts, err
}

func sessionInserts(ctx context.Context, tx *sql.Tx) (int, error) {
	var (
		name string
		n    int
	)
	err := tx.QueryRowContext(ctx, "SHOW SESSION STATUS LIKE 'Com_insert'").Scan(&name, &n)
	return n, err
}

// ForwarderRetryDelay is how long the forwarder waits to read the outbox
// again after a read failed with err.
func ForwarderRetryDelay(err error) time.Duration {
	return wakeableBackoff{retry: time.Second}.HandleError(watermill.NopLogger{}, false, err)
}

// UniversalPubSub is the outbox's schema, its subscriber and its
// serialized writers, on tables of any topic and for any consumer group,
// for Watermill's universal Pub/Sub tests. Payloads are bytes rather than
// JSON, as those tests send arbitrary bytes.
func UniversalPubSub(db *sql.DB, group string) (message.Publisher, message.Subscriber, error) {
	t := &universalTables{
		db: db,
		schema: outboxSchema{wsql.DefaultMySQLSchema{
			GenerateMessagesTableName: func(topic string) string { return "`universal_" + topic + "`" },
			GeneratePayloadType:       func(string) string { return "VARBINARY(255)" },
		}},
		offsets: wsql.DefaultMySQLOffsetsAdapter{
			GenerateMessagesOffsetsTableName: func(topic string) string { return "`universal_offsets_" + topic + "`" },
		},
		created: map[string]bool{},
	}
	sub, err := newGroupSubscriber(db, wsql.SubscriberConfig{
		ConsumerGroup:  group,
		SchemaAdapter:  t.schema,
		PollInterval:   time.Millisecond,
		ResendInterval: 5 * time.Millisecond,
	}, t.offsets, watermill.NopLogger{})
	if err != nil {
		return nil, nil, err
	}
	return serializedPublisher{t}, initializingSubscriber{sub, t}, nil
}

// universalTables creates a topic's tables outside any transaction, as
// kds's migrations create the outbox's: DDL would commit a transaction it
// ran in.
type universalTables struct {
	db      *sql.DB
	schema  wsql.SchemaAdapter
	offsets wsql.DefaultMySQLOffsetsAdapter

	mu      sync.Mutex
	created map[string]bool
}

func (t *universalTables) create(topic string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.created[topic] {
		return nil
	}
	queries, err := t.schema.SchemaInitializingQueries(wsql.SchemaInitializingQueriesParams{Topic: topic})
	if err != nil {
		return err
	}
	offsets, err := t.offsets.SchemaInitializingQueries(wsql.OffsetsSchemaInitializingQueriesParams{Topic: topic})
	if err != nil {
		return err
	}
	for _, q := range append(queries, offsets...) {
		if _, err := t.db.Exec(q.Query, q.Args...); err != nil {
			return err
		}
	}
	t.created[topic] = true
	return nil
}

// serializedPublisher writes each Publish in a transaction of its own that
// takes outbox_lock, as every kds outbox writer does.
type serializedPublisher struct{ tables *universalTables }

func (p serializedPublisher) Publish(topic string, msgs ...*message.Message) error {
	if err := p.tables.create(topic); err != nil {
		return err
	}
	return inTx(context.Background(), p.tables.db, func(tx *sql.Tx) error {
		pub, err := lockedPublisher(context.Background(), tx, p.tables.schema, watermill.NopLogger{})
		if err != nil {
			return err
		}
		return pub.Publish(topic, msgs...)
	})
}

func (serializedPublisher) Close() error { return nil }

// initializingSubscriber creates a topic's tables before subscribing.
type initializingSubscriber struct {
	message.Subscriber
	tables *universalTables
}

func (s initializingSubscriber) Subscribe(ctx context.Context, topic string) (<-chan *message.Message, error) {
	if err := s.tables.create(topic); err != nil {
		return nil, err
	}
	return s.Subscriber.Subscribe(ctx, topic)
}
