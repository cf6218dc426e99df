package mysql

import (
	"context"
	"database/sql"

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
