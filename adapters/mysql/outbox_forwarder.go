package mysql

import (
	"context"
	stdsql "database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	wsql "github.com/ThreeDotsLabs/watermill-sql/v4/pkg/sql"
	"github.com/ThreeDotsLabs/watermill/message"
)

// Forward delivers the outbox to pub until ctx ends, a batch at a time:
// first it gives its consumer group an offsets row, as the outbox's
// subscriber does, and then it reads up to BatchSize committed rows in offset order (a locking read
// at READ COMMITTED, taking turns with other forwarders through the
// group's offsets row, as the outbox's subscriber does), hands each
// destination topic's messages of the batch to pub in one Publish, in
// order, and acknowledges the batch only once pub returned nil for all of
// them. A batch pub refuses is read and published again after a pause;
// after a crash, up to a batch is published again.
//
// Watermill's forwarder, on the outbox's subscriber, hands on one message
// at a time and waits for each to be acknowledged by Kafka before it
// reads the next: one Kafka round trip per message. This is the same
// delivery with one round trip per batch.
func (o *Outbox) Forward(ctx context.Context, db *stdsql.DB, c ForwarderConfig, pub message.Publisher) {
	f := batchForwarder{
		db:      db,
		pub:     pub,
		schema:  outboxSchema{wsql.DefaultMySQLSchema{SubscribeBatchSize: c.BatchSize}},
		backoff: wakeableBackoff{poll: c.PollInterval, retry: time.Second, wake: o.wake},
	}
	created := false
	for ctx.Err() == nil {
		var (
			n   int
			err error
		)
		if created {
			n, err = f.forwardBatch(ctx)
		} else if err = createOffsetsRow(ctx, db, f.offsets, ForwarderConsumerGroup, OutboxTopic); err == nil {
			created = true
			continue
		}
		wait := f.backoff.HandleError(o.logger, n == 0, err)
		select {
		case <-ctx.Done():
		case <-time.After(wait):
		}
	}
}

type batchForwarder struct {
	db      *stdsql.DB
	pub     message.Publisher
	schema  outboxSchema
	offsets wsql.DefaultMySQLOffsetsAdapter
	backoff wakeableBackoff
}

// forwardBatch publishes the next batch and acknowledges it; it returns
// how many messages it forwarded.
func (f batchForwarder) forwardBatch(ctx context.Context) (n int, err error) {
	tx, err := f.db.BeginTx(ctx, &stdsql.TxOptions{Isolation: f.schema.SubscribeIsolationLevel()})
	if err != nil {
		return 0, fmt.Errorf("read the outbox: %w", err)
	}
	defer func() {
		// What Kafka refuses is recorded by code of the application's,
		// on this goroutine: a panic there is this batch's error.
		if r := recover(); r != nil {
			n, err = 0, fmt.Errorf("forward the outbox: panic: %v", r)
		}
		if err != nil {
			err = errors.Join(err, ignoreDone(tx.Rollback()))
		}
	}()
	rows, err := f.read(ctx, tx)
	if err != nil || len(rows) == 0 {
		return 0, errors.Join(err, tx.Commit())
	}
	if err := f.publish(ctx, rows); err != nil {
		return 0, err
	}
	ack, err := f.offsets.AckMessageQuery(wsql.AckMessageQueryParams{Topic: OutboxTopic, LastRow: rows[len(rows)-1], Rows: rows, ConsumerGroup: ForwarderConsumerGroup})
	if err != nil {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, ack.Query, ack.Args...); err != nil {
		return 0, fmt.Errorf("acknowledge the outbox up to %d: %w", rows[len(rows)-1].Offset, err)
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("acknowledge the outbox up to %d: %w", rows[len(rows)-1].Offset, err)
	}
	return len(rows), nil
}

// read reads the next batch of rows within tx.
func (f batchForwarder) read(ctx context.Context, tx *stdsql.Tx) ([]wsql.Row, error) {
	q, err := f.schema.SelectQuery(wsql.SelectQueryParams{Topic: OutboxTopic, ConsumerGroup: ForwarderConsumerGroup, OffsetsAdapter: f.offsets})
	if err != nil {
		return nil, err
	}
	rs, err := tx.QueryContext(ctx, q.Query, q.Args...)
	if err != nil {
		return nil, fmt.Errorf("read the outbox: %w", err)
	}
	defer rs.Close()
	var rows []wsql.Row
	for rs.Next() {
		row, err := f.schema.UnmarshalMessage(wsql.UnmarshalMessageParams{Row: rs})
		if err != nil {
			return nil, fmt.Errorf("read the outbox: %w", err)
		}
		rows = append(rows, row)
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("read the outbox: %w", err)
	}
	return rows, nil
}

// envelope is how Watermill's forwarder publisher wraps a message in the
// outbox (watermill/components/forwarder).
type envelope struct {
	DestinationTopic string            `json:"destination_topic"`
	UUID             string            `json:"uuid"`
	Payload          []byte            `json:"payload"`
	Metadata         map[string]string `json:"metadata"`
}

// publish hands the messages of rows to pub, one Publish per destination
// topic, each topic's messages in the order of their rows.
func (f batchForwarder) publish(ctx context.Context, rows []wsql.Row) error {
	var (
		topics []string
		byDest = map[string][]*message.Message{}
	)
	for _, row := range rows {
		var e envelope
		if err := json.Unmarshal(row.Msg.Payload, &e); err != nil {
			return fmt.Errorf("outbox row %d is not a message for Kafka: %w", row.Offset, err)
		}
		if e.DestinationTopic == "" {
			return fmt.Errorf("outbox row %d has no destination topic", row.Offset)
		}
		msg := message.NewMessage(e.UUID, e.Payload)
		msg.Metadata = e.Metadata
		msg.SetContext(ctx)
		if _, seen := byDest[e.DestinationTopic]; !seen {
			topics = append(topics, e.DestinationTopic)
		}
		byDest[e.DestinationTopic] = append(byDest[e.DestinationTopic], msg)
	}
	for _, t := range topics {
		if err := f.pub.Publish(t, byDest[t]...); err != nil {
			return fmt.Errorf("forward the outbox to %s: %w", t, err)
		}
	}
	return nil
}
