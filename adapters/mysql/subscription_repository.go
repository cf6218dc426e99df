package mysql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/kds-io/kds/app/command"
	"github.com/kds-io/kds/app/subscription"
	"github.com/kds-io/kds/app/topic"
)

// SubscriptionRepository implements command.SubscriptionRepository.
type SubscriptionRepository struct {
	db     *sql.DB
	outbox *Outbox
}

// NewSubscriptionRepository stores subscriptions in db and publishes their
// changes through outbox.
func NewSubscriptionRepository(db *sql.DB, outbox *Outbox) *SubscriptionRepository {
	return &SubscriptionRepository{db: db, outbox: outbox}
}

const subscriptionColumns = "consumer_id, topic, generation, consumer_group, from_beginning, created_by, created_at"

// Subscribe implements command.SubscriptionRepository.
func (r *SubscriptionRepository) Subscribe(ctx context.Context, sub subscription.Subscription) (subscription.Subscription, bool, error) {
	var (
		stored  subscription.Subscription
		created bool
	)
	err := inTx(ctx, r.db, func(tx *sql.Tx) error {
		existing, err := scanSubscription(tx.QueryRowContext(ctx, "SELECT "+subscriptionColumns+
			" FROM subscriptions WHERE consumer_id = ? AND topic = ? FOR UPDATE", sub.ConsumerID, sub.Topic))
		if err == nil && existing.Generation == sub.Generation {
			stored, created = existing, false
			return nil
		}
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("load subscription: %w", err)
		}
		// A subscription to an earlier generation ended with it; this one
		// takes its place, with a consumer group of its own.
		if _, err := tx.ExecContext(ctx, "REPLACE INTO subscriptions ("+subscriptionColumns+") VALUES (?, ?, ?, ?, ?, ?, ?)",
			sub.ConsumerID, sub.Topic, sub.Generation, sub.Group, sub.FromBeginning, sub.CreatedBy, sub.CreatedAt); err != nil {
			return fmt.Errorf("store subscription: %w", err)
		}
		stored, created = sub, true
		return r.changed(ctx, tx, sub.ConsumerID, sub.Topic, sub.Generation, topic.Subscribed, sub.CreatedBy, sub.CreatedAt)
	})
	if err == nil && created {
		r.outbox.committed()
	}
	return stored, created, err
}

// Unsubscribe implements command.SubscriptionRepository.
func (r *SubscriptionRepository) Unsubscribe(ctx context.Context, consumer subscription.ConsumerID, topicName, actor string) error {
	err := inTx(ctx, r.db, func(tx *sql.Tx) error {
		var generation int
		err := tx.QueryRowContext(ctx, "SELECT generation FROM subscriptions WHERE consumer_id = ? AND topic = ? FOR UPDATE", consumer, topicName).Scan(&generation)
		if errors.Is(err, sql.ErrNoRows) {
			return &command.NotSubscribedError{ConsumerID: consumer, Topic: topicName}
		}
		if err != nil {
			return fmt.Errorf("load subscription: %w", err)
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM subscriptions WHERE consumer_id = ? AND topic = ?", consumer, topicName); err != nil {
			return fmt.Errorf("delete subscription: %w", err)
		}
		return r.changed(ctx, tx, consumer, topicName, generation, topic.Unsubscribed, actor, time.Now().UTC())
	})
	if err == nil {
		r.outbox.committed()
	}
	return err
}

// EndAll implements command.SubscriptionRepository.
func (r *SubscriptionRepository) EndAll(ctx context.Context, deleted map[string]int, actor string) (int, error) {
	if len(deleted) == 0 {
		return 0, nil
	}
	// The subscriptions to each deleted generation and those before it.
	var clauses []string
	var args []any
	for _, t := range slices.Sorted(maps.Keys(deleted)) {
		clauses = append(clauses, "(topic = ? AND generation <= ?)")
		args = append(args, t, deleted[t])
	}
	where := " WHERE " + strings.Join(clauses, " OR ")
	var ended int
	err := inTx(ctx, r.db, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, "SELECT consumer_id, topic, generation FROM subscriptions"+where+" ORDER BY topic, consumer_id FOR UPDATE", args...)
		if err != nil {
			return fmt.Errorf("load subscriptions to %d topics: %w", len(deleted), err)
		}
		type endedSub struct {
			consumer   subscription.ConsumerID
			topic      string
			generation int
		}
		subs, err := collect(rows, func(r rowScanner) (endedSub, error) {
			var e endedSub
			return e, r.Scan(&e.consumer, &e.topic, &e.generation)
		})
		if err != nil || len(subs) == 0 {
			ended = 0
			return err
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM subscriptions"+where, args...); err != nil {
			return fmt.Errorf("end subscriptions to %d topics: %w", len(deleted), err)
		}
		at := time.Now().UTC()
		for _, e := range subs {
			if err := r.changed(ctx, tx, e.consumer, e.topic, e.generation, topic.Unsubscribed, actor, at); err != nil {
				return err
			}
		}
		ended = len(subs)
		return nil
	})
	if err == nil && ended > 0 {
		r.outbox.committed()
	}
	return ended, err
}

// changed publishes SubscriptionChanged.
func (r *SubscriptionRepository) changed(ctx context.Context, tx *sql.Tx, consumer subscription.ConsumerID, topicName string, generation int, change, actor string, at time.Time) error {
	payload, err := topic.MarshalMessage(topic.Event{Type: topic.SubscriptionChanged, Topic: topicName, Generation: generation,
		ConsumerID: string(consumer), Subscription: change, Actor: actor, At: at})
	if err != nil {
		return err
	}
	return r.outbox.write(ctx, tx, outboxMessage{topic: topic.EventsTopic, key: topicName, payload: payload})
}

// Report implements command.SubscriptionRepository.
func (r *SubscriptionRepository) Report(ctx context.Context, inst subscription.Instance) error {
	return inTx(ctx, r.db, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "INSERT INTO consumer_instances (id, consumer_id, host, pid, started_at, last_seen) VALUES (?, ?, ?, ?, ?, ?) "+
			"ON DUPLICATE KEY UPDATE host = VALUES(host), pid = VALUES(pid), last_seen = VALUES(last_seen)",
			inst.ID, inst.ConsumerID, inst.Host, inst.PID, inst.LastSeen, inst.LastSeen); err != nil {
			return fmt.Errorf("record consumer instance: %w", err)
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM consumer_attachments WHERE instance_id = ?", inst.ID); err != nil {
			return fmt.Errorf("record consumer attachments: %w", err)
		}
		if len(inst.Attached) == 0 {
			return nil
		}
		values := strings.TrimSuffix(strings.Repeat("(?, ?), ", len(inst.Attached)), ", ")
		args := make([]any, 0, 2*len(inst.Attached))
		for _, t := range inst.Attached {
			args = append(args, inst.ID, t)
		}
		if _, err := tx.ExecContext(ctx, "INSERT IGNORE INTO consumer_attachments (instance_id, topic) VALUES "+values, args...); err != nil {
			return fmt.Errorf("record consumer attachments: %w", err)
		}
		return nil
	})
}

// Leave implements command.SubscriptionRepository.
func (r *SubscriptionRepository) Leave(ctx context.Context, consumer subscription.ConsumerID, instanceID string) error {
	return inTx(ctx, r.db, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "DELETE FROM consumer_instances WHERE id = ? AND consumer_id = ?", instanceID, consumer)
		if err != nil {
			return fmt.Errorf("forget consumer instance: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		_, err = tx.ExecContext(ctx, "DELETE FROM consumer_attachments WHERE instance_id = ?", instanceID)
		return err
	})
}

// AttachedTo implements command.SubscriptionRepository.
func (r *SubscriptionRepository) AttachedTo(ctx context.Context, topics []string, aliveSince time.Time) (map[string][]subscription.Instance, error) {
	attached := map[string][]subscription.Instance{}
	if len(topics) == 0 {
		return attached, nil
	}
	in, args := inList(topics, func(t string) any { return t })
	rows, err := r.db.QueryContext(ctx, "SELECT a.topic, i.id, i.consumer_id, i.host, i.pid, i.started_at, i.last_seen FROM consumer_instances i "+
		"JOIN consumer_attachments a ON a.instance_id = i.id WHERE a.topic IN "+in+" AND i.last_seen > ? ORDER BY a.topic, i.id",
		append(args, aliveSince)...)
	if err != nil {
		return nil, fmt.Errorf("consumers attached to %d topics: %w", len(topics), err)
	}
	type attachment struct {
		topic    string
		instance subscription.Instance
	}
	found, err := collect(rows, func(r rowScanner) (attachment, error) {
		var a attachment
		in, err := scanInstance(topicFirst{r, &a.topic})
		a.instance = in
		return a, err
	})
	if err != nil {
		return nil, fmt.Errorf("consumers attached to %d topics: %w", len(topics), err)
	}
	for _, a := range found {
		attached[a.topic] = append(attached[a.topic], a.instance)
	}
	return attached, nil
}

// PruneInstances forgets processes silent for longer than age: they
// stopped without saying so.
func (r *SubscriptionRepository) PruneInstances(ctx context.Context, age time.Duration) (int64, error) {
	res, err := r.db.ExecContext(ctx, "DELETE i, a FROM consumer_instances i LEFT JOIN consumer_attachments a ON a.instance_id = i.id WHERE i.last_seen < ?",
		time.Now().UTC().Add(-age))
	if err != nil {
		return 0, fmt.Errorf("prune consumer instances: %w", err)
	}
	return res.RowsAffected()
}

func scanSubscription(r rowScanner) (subscription.Subscription, error) {
	var s subscription.Subscription
	err := r.Scan(&s.ConsumerID, &s.Topic, &s.Generation, &s.Group, &s.FromBeginning, &s.CreatedBy, &s.CreatedAt)
	return s, err
}

// topicFirst scans a row's first column, a topic name, into topic, and
// the rest as the scanner it wraps is asked to.
type topicFirst struct {
	rowScanner
	topic *string
}

func (s topicFirst) Scan(dest ...any) error {
	return s.rowScanner.Scan(append([]any{s.topic}, dest...)...)
}

func scanInstance(r rowScanner) (subscription.Instance, error) {
	var in subscription.Instance
	err := r.Scan(&in.ID, &in.ConsumerID, &in.Host, &in.PID, &in.StartedAt, &in.LastSeen)
	return in, err
}
