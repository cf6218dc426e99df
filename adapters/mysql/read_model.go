package mysql

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/kds-io/kds/app/command"
	"github.com/kds-io/kds/app/query"
	"github.com/kds-io/kds/app/topic"
)

// ReadModel implements query.ReadModel.
type ReadModel struct {
	db *sql.DB
}

// NewReadModel reads from db.
func NewReadModel(db *sql.DB) *ReadModel { return &ReadModel{db: db} }

// topicViewColumns include the error of a command that failed on the topic
// since its last transition.
const topicViewColumns = "name, status, generation, partitions, replication_factor, configs, requested_by, owner, COALESCE(description, ''), COALESCE(producers, ''), COALESCE(consumers, ''), requested_at, updated_at, " +
	"COALESCE((SELECT c.error FROM commands c WHERE c.topic = topics.name AND c.status = 'failed' AND c.issued_at >= topics.updated_at " +
	"ORDER BY c.issued_at DESC LIMIT 1), '')"

// Topics implements query.ReadModel.
func (m *ReadModel) Topics(ctx context.Context, f query.TopicFilter) ([]query.Topic, error) {
	q, args := "SELECT "+topicViewColumns+" FROM topics", []any{}
	if f.Status != "" {
		q, args = q+" WHERE status = ?", append(args, f.Status)
	}
	rows, err := m.db.QueryContext(ctx, q+" ORDER BY name", args...)
	if err != nil {
		return nil, fmt.Errorf("list topics: %w", err)
	}
	return collect(rows, scanTopicView)
}

// Topic implements query.ReadModel.
func (m *ReadModel) Topic(ctx context.Context, name string) (query.Topic, error) {
	t, err := scanTopicView(m.db.QueryRowContext(ctx, "SELECT "+topicViewColumns+" FROM topics WHERE name = ?", name))
	if errors.Is(err, sql.ErrNoRows) {
		return query.Topic{}, &topic.NotFoundError{Topic: name}
	}
	return t, err
}

// History implements query.ReadModel.
func (m *ReadModel) History(ctx context.Context, name string) ([]query.Transition, error) {
	rows, err := m.db.QueryContext(ctx, "SELECT topic, generation, action, COALESCE(from_status, ''), to_status, actor, COALESCE(reason, ''), command_id, at "+
		"FROM transitions WHERE topic = ? ORDER BY id", name)
	if err != nil {
		return nil, fmt.Errorf("history of %q: %w", name, err)
	}
	trs, err := collect(rows, func(r rowScanner) (query.Transition, error) {
		var t query.Transition
		err := r.Scan(&t.Topic, &t.Generation, &t.Action, &t.From, &t.To, &t.Actor, &t.Reason, &t.CommandID, &t.At)
		return t, err
	})
	if err == nil && len(trs) == 0 {
		return nil, &topic.NotFoundError{Topic: name}
	}
	return trs, err
}

const commandColumns = "payload, status, COALESCE(error, ''), handled_at"

// Command implements query.ReadModel.
func (m *ReadModel) Command(ctx context.Context, id string) (query.Command, error) {
	c, err := scanCommand(m.db.QueryRowContext(ctx, "SELECT "+commandColumns+" FROM commands WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return query.Command{}, &query.CommandNotFoundError{ID: id}
	}
	return c, err
}

// Commands implements query.ReadModel.
func (m *ReadModel) Commands(ctx context.Context, f query.CommandFilter) ([]query.Command, error) {
	q, args := "SELECT "+commandColumns+" FROM commands WHERE 1 = 1", []any{}
	if f.Topic != "" {
		q, args = q+" AND topic = ?", append(args, f.Topic)
	}
	if f.Status != "" {
		q, args = q+" AND status = ?", append(args, f.Status)
	}
	limit := f.Limit
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	rows, err := m.db.QueryContext(ctx, q+" ORDER BY issued_at DESC LIMIT ?", append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("list commands: %w", err)
	}
	return collect(rows, scanCommand)
}

func scanTopicView(r rowScanner) (query.Topic, error) {
	var (
		t                    query.Topic
		configs              []byte
		producers, consumers string
	)
	if err := r.Scan(&t.Name, &t.Status, &t.Generation, &t.Partitions, &t.ReplicationFactor, &configs, &t.RequestedBy, &t.Owner, &t.Description,
		&producers, &consumers, &t.RequestedAt, &t.UpdatedAt, &t.Error); err != nil {
		return query.Topic{}, err
	}
	t.Producers, t.Consumers = parseNameList(producers), parseNameList(consumers)
	if err := json.Unmarshal(configs, &t.Configs); err != nil {
		return query.Topic{}, fmt.Errorf("stored configs of %q: %w", t.Name, err)
	}
	return t, nil
}

func scanCommand(r rowScanner) (query.Command, error) {
	var (
		c       query.Command
		payload []byte
		status  string
		handled sql.NullTime
	)
	if err := r.Scan(&payload, &status, &c.Error, &handled); err != nil {
		return query.Command{}, err
	}
	if err := json.Unmarshal(payload, &c.Command); err != nil {
		return query.Command{}, fmt.Errorf("stored command: %w", err)
	}
	c.Status = command.Status(status)
	if handled.Valid {
		at := handled.Time.In(time.UTC)
		c.HandledAt = &at
	}
	return c, nil
}

func collect[T any](rows *sql.Rows, scan func(rowScanner) (T, error)) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
