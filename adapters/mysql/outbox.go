package mysql

import (
	"context"
	stdsql "database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	wsql "github.com/ThreeDotsLabs/watermill-sql/v4/pkg/sql"
	"github.com/ThreeDotsLabs/watermill/components/forwarder"
	"github.com/ThreeDotsLabs/watermill/message"
)

const (
	// OutboxTopic is the watermill-sql topic that holds messages on their
	// way to Kafka; its tables are created by the migrations.
	OutboxTopic = "kds_outbox"
	// ForwarderConsumerGroup is the outbox consumer group of the forwarder.
	ForwarderConsumerGroup = "kds-forwarder"
	// KeyMetadata is the metadata field that carries a forwarded
	// message's Kafka key.
	KeyMetadata = "partition_key"
)

// Outbox writes messages for Kafka inside business transactions, for
// Watermill's forwarder to deliver once they are committed.
type Outbox struct {
	logger watermill.LoggerAdapter
	// wake tells a forwarder in this process that rows were committed, so
	// it need not wait for its next poll.
	wake chan struct{}
}

// NewOutbox returns an outbox; logger may be nil.
func NewOutbox(logger watermill.LoggerAdapter) *Outbox {
	if logger == nil {
		logger = watermill.NopLogger{}
	}
	return &Outbox{logger: logger, wake: make(chan struct{}, 1)}
}

// outboxSchema is watermill's MySQL schema read with a locking read at READ
// COMMITTED instead of a plain read at SERIALIZABLE.
//
// Under SERIALIZABLE the forwarder's read takes next-key locks up to the end
// of the table and holds them for its whole transaction, which lasts as
// long as Kafka refuses the batch: every outbox writer, and so the API,
// stalls while Kafka is down. A snapshot read (REPEATABLE READ) avoids that
// but is not safe: on MariaDB it was seen to skip a committed row that a
// later row's snapshot already showed, and the forwarder then acknowledged
// past it. A locking read at READ COMMITTED takes no gap locks, so writers
// never wait for the forwarder, and it reads the latest committed rows,
// waiting for any row still being written; with writers serialized by
// outbox_lock, offsets become readable in order (DESIGN.md §6).
type outboxSchema struct {
	wsql.DefaultMySQLSchema
}

func (outboxSchema) SubscribeIsolationLevel() stdsql.IsolationLevel {
	return stdsql.LevelReadCommitted
}

func (s outboxSchema) SelectQuery(params wsql.SelectQueryParams) (wsql.Query, error) {
	q, err := s.DefaultMySQLSchema.SelectQuery(params)
	q.Query += " LOCK IN SHARE MODE"
	return q, err
}

// outboxMessage is one message for Kafka.
type outboxMessage struct {
	topic   string
	key     string
	payload []byte
}

// write adds msgs to the outbox within tx, in order, with one INSERT for
// each run of messages for the same topic. It locks outbox_lock first, so
// outbox writers commit one after another (DESIGN.md §6).
func (o *Outbox) write(ctx context.Context, tx *stdsql.Tx, msgs ...outboxMessage) error {
	if len(msgs) == 0 {
		return nil
	}
	pub, err := lockedPublisher(ctx, tx, outboxSchema{}, o.logger)
	if err != nil {
		return err
	}
	fwd := forwarder.NewPublisher(pub, forwarder.PublisherConfig{ForwarderTopic: OutboxTopic})
	run := make([]*message.Message, 0, len(msgs))
	for i, m := range msgs {
		msg := message.NewMessage(watermill.NewUUID(), m.payload)
		msg.Metadata.Set(KeyMetadata, m.key)
		msg.SetContext(ctx)
		run = append(run, msg)
		if i+1 < len(msgs) && msgs[i+1].topic == m.topic {
			continue
		}
		if err := fwd.Publish(m.topic, run...); err != nil {
			return fmt.Errorf("write outbox: %w", err)
		}
		run = run[:0]
	}
	return nil
}

// lockedPublisher locks outbox_lock for tx, so that outbox writers commit
// one after another (DESIGN.md §6), and returns a publisher that writes
// within tx.
func lockedPublisher(ctx context.Context, tx *stdsql.Tx, schema wsql.SchemaAdapter, logger watermill.LoggerAdapter) (message.Publisher, error) {
	var id int
	if err := tx.QueryRowContext(ctx, "SELECT id FROM outbox_lock WHERE id = 1 FOR UPDATE").Scan(&id); err != nil {
		return nil, fmt.Errorf("lock outbox: %w", err)
	}
	return wsql.NewPublisher(wsql.TxFromStdSQL(tx), wsql.PublisherConfig{SchemaAdapter: schema}, logger)
}

// committed wakes a waiting forwarder in this process.
func (o *Outbox) committed() {
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// ForwarderConfig tunes how the forwarder reads the outbox.
type ForwarderConfig struct {
	// PollInterval is how often the outbox is read when nothing in this
	// process has written to it.
	PollInterval time.Duration
	// BatchSize is how many rows are read at once; after a crash up to a
	// batch is delivered again.
	BatchSize int
}

// subscriber drains the outbox for consumer group group a message at a
// time, as a Watermill subscriber. kds's forwarder reads the outbox in
// batches instead (Forward), with the same query, offsets and wake-ups:
// Watermill's universal Pub/Sub tests and the tests of taking turns run
// that query through this subscriber.
func (o *Outbox) subscriber(db *stdsql.DB, c ForwarderConfig, group string) (message.Subscriber, error) {
	return newGroupSubscriber(db, wsql.SubscriberConfig{
		ConsumerGroup:  group,
		SchemaAdapter:  outboxSchema{wsql.DefaultMySQLSchema{SubscribeBatchSize: c.BatchSize}},
		PollInterval:   c.PollInterval,
		BackoffManager: wakeableBackoff{poll: c.PollInterval, retry: time.Second, wake: o.wake},
	}, wsql.DefaultMySQLOffsetsAdapter{}, o.logger)
}

// groupSubscriber is a watermill-sql subscriber that gives its consumer
// group an offsets row for a topic before it first reads the topic.
// Subscribers of one group take turns through a locking read of that row,
// and at READ COMMITTED a locking read of a missing row locks nothing: the
// subscribers of a new group that read at once would all read from the
// start and deliver the same rows (DESIGN.md §6).
//
// It also hands messages on through channels of its own, which Close
// closes before it returns, as Watermill's Subscriber promises:
// watermill-sql's Close returns just before it closes its channels.
type groupSubscriber struct {
	sub     *wsql.Subscriber
	db      *stdsql.DB
	offsets wsql.DefaultMySQLOffsetsAdapter
	group   string

	mu      sync.Mutex
	closed  bool
	closing chan struct{}
	relays  sync.WaitGroup
}

// newGroupSubscriber returns a subscriber configured by c that keeps its
// offsets with offsets.
func newGroupSubscriber(db *stdsql.DB, c wsql.SubscriberConfig, offsets wsql.DefaultMySQLOffsetsAdapter, logger watermill.LoggerAdapter) (message.Subscriber, error) {
	c.OffsetsAdapter = offsets
	sub, err := wsql.NewSubscriber(wsql.BeginnerFromStdSQL(db), c, logger)
	if err != nil {
		return nil, err
	}
	return &groupSubscriber{sub: sub, db: db, offsets: offsets, group: c.ConsumerGroup, closing: make(chan struct{})}, nil
}

func (s *groupSubscriber) Subscribe(ctx context.Context, topic string) (<-chan *message.Message, error) {
	if err := createOffsetsRow(ctx, s.db, s.offsets, s.group, topic); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, wsql.ErrSubscriberClosed
	}
	in, err := s.sub.Subscribe(ctx, topic)
	if err != nil {
		return nil, err
	}
	out := make(chan *message.Message)
	s.relays.Add(1)
	go func() {
		defer s.relays.Done()
		defer close(out)
		for msg := range in {
			select {
			case out <- msg:
			case <-s.closing: // unacknowledged, so read again later
			}
		}
	}()
	return out, nil
}

func (s *groupSubscriber) Close() error {
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		close(s.closing)
	}
	s.mu.Unlock()
	err := s.sub.Close()
	s.relays.Wait()
	return err
}

// createOffsetsRow inserts group's offsets row for topic unless a plain
// read finds it. Both statements run on their own: a locking read or an
// INSERT of an existing row would wait for another subscriber or forwarder
// of the group that holds the row while it forwards a batch, which lasts
// as long as Kafka is down.
func createOffsetsRow(ctx context.Context, db *stdsql.DB, offsets wsql.DefaultMySQLOffsetsAdapter, group, topic string) error {
	table := offsets.MessagesOffsetsTable(topic)
	var n int
	if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+table+" WHERE consumer_group = ?", group).Scan(&n); err != nil {
		return fmt.Errorf("offsets of outbox group %s: %w", group, err)
	}
	if n > 0 {
		return nil
	}
	if _, err := db.ExecContext(ctx, "INSERT IGNORE INTO "+table+" (consumer_group, offset_acked, offset_consumed) VALUES (?, 0, 0)", group); err != nil {
		return fmt.Errorf("create the offsets of outbox group %s: %w", group, err)
	}
	return nil
}

// wakeableBackoff polls the outbox every poll interval, or at once when this
// process has committed to it.
type wakeableBackoff struct {
	poll, retry time.Duration
	wake        <-chan struct{}
}

func (b wakeableBackoff) HandleError(logger watermill.LoggerAdapter, noMsg bool, err error) time.Duration {
	if err != nil {
		if isMySQLError(err, errDeadlock, errLockWaitTimeout) || errors.Is(err, context.Canceled) {
			return 0 // a lost lock contest is tried again at once; a cancel is the shutdown
		}
		logger.Error("Cannot read the outbox", err, watermill.LogFields{"retry_in": b.retry})
		return b.retry
	}
	if !noMsg {
		return 0
	}
	t := time.NewTimer(b.poll)
	defer t.Stop()
	select {
	case <-b.wake:
	case <-t.C:
	}
	return 0
}

// Prune deletes forwarded rows older than retention, keeping the newest
// forwarded row so the offset sequence never restarts.
func (o *Outbox) Prune(ctx context.Context, db *stdsql.DB, retention time.Duration) (int64, error) {
	const batch = 5000
	var total int64
	for {
		res, err := db.ExecContext(ctx, "DELETE FROM watermill_kds_outbox WHERE `offset` < "+
			"(SELECT COALESCE(MIN(offset_acked), 0) FROM watermill_offsets_kds_outbox WHERE consumer_group = ?) "+
			"AND created_at < ? ORDER BY `offset` LIMIT ?",
			ForwarderConsumerGroup, time.Now().UTC().Add(-retention), batch)
		if err != nil {
			return total, fmt.Errorf("prune outbox: %w", err)
		}
		n, _ := res.RowsAffected()
		total += n
		if n < batch {
			return total, nil
		}
	}
}

// Lag is how many committed outbox rows the forwarder has not yet delivered.
func (o *Outbox) Lag(ctx context.Context, db *stdsql.DB) (int64, error) {
	var lag int64
	err := db.QueryRowContext(ctx, "SELECT COALESCE(MAX(`offset`), 0) - "+
		"COALESCE((SELECT offset_acked FROM watermill_offsets_kds_outbox WHERE consumer_group = ?), 0) FROM watermill_kds_outbox",
		ForwarderConsumerGroup).Scan(&lag)
	if err != nil {
		return 0, fmt.Errorf("outbox lag: %w", err)
	}
	return max(lag, 0), nil
}

// Oldest is how long the oldest row the forwarder has not yet delivered
// has waited, to the second; 0 when none waits.
func (o *Outbox) Oldest(ctx context.Context, db *stdsql.DB) (time.Duration, error) {
	var seconds int64
	err := db.QueryRowContext(ctx, "SELECT COALESCE(MAX(TIMESTAMPDIFF(SECOND, created_at, NOW())), 0) FROM "+
		"(SELECT created_at FROM watermill_kds_outbox WHERE `offset` > "+
		"COALESCE((SELECT offset_acked FROM watermill_offsets_kds_outbox WHERE consumer_group = ?), 0) ORDER BY `offset` LIMIT 1) oldest",
		ForwarderConsumerGroup).Scan(&seconds)
	if err != nil {
		return 0, fmt.Errorf("outbox's oldest message: %w", err)
	}
	return time.Duration(max(seconds, 0)) * time.Second, nil
}
