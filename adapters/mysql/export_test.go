package mysql

import (
	"context"
	"database/sql"
	"math/rand/v2"
	"time"
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
