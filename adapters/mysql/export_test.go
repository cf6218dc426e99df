package mysql

import (
	"context"
	"database/sql"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/ThreeDotsLabs/watermill"
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
