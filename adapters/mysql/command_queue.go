package mysql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/kds-io/kds/app/command"
	"github.com/kds-io/kds/app/topic"
)

// CommandQueue implements command.Queue: commands are logged and written to
// the outbox in one transaction, and the forwarder publishes them on
// kds.commands.
type CommandQueue struct {
	db     *sql.DB
	outbox *Outbox
}

// NewCommandQueue queues commands in db.
func NewCommandQueue(db *sql.DB, outbox *Outbox) *CommandQueue {
	return &CommandQueue{db: db, outbox: outbox}
}

// Enqueue implements command.Queue.
func (q *CommandQueue) Enqueue(ctx context.Context, cmds ...command.Command) error {
	if len(cmds) == 0 {
		return nil
	}
	payloads := make([][]byte, len(cmds))
	msgs := make([]outboxMessage, len(cmds))
	for i, c := range cmds {
		payload, err := c.Encode()
		if err != nil {
			return err
		}
		payloads[i] = payload
		msgs[i] = outboxMessage{topic: topic.CommandsTopic, key: c.Topic, payload: payload}
	}
	err := inTx(ctx, q.db, func(tx *sql.Tx) error {
		if err := insertCommands(ctx, tx, "INSERT INTO commands %s", cmds, payloads); err != nil {
			return err
		}
		return q.outbox.write(ctx, tx, msgs...)
	})
	if err != nil {
		return err
	}
	q.outbox.committed()
	return nil
}

// Fail implements command.Queue.
func (q *CommandQueue) Fail(ctx context.Context, cmd command.Command, reason string) error {
	err := inTx(ctx, q.db, func(tx *sql.Tx) error {
		var status string
		err := tx.QueryRowContext(ctx, "SELECT status FROM commands WHERE id = ? FOR UPDATE", cmd.ID).Scan(&status)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && command.Status(status) != command.Queued) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("lock command %s: %w", cmd.ID, err)
		}
		var w changeWrites
		if err := w.settle(cmd, command.Failed, reason, time.Now().UTC()); err != nil {
			return err
		}
		return w.write(ctx, tx, q.outbox)
	})
	if err != nil {
		return err
	}
	q.outbox.committed()
	return nil
}
