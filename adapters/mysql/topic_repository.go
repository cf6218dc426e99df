package mysql

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kds-io/kds/app/command"
	"github.com/kds-io/kds/app/topic"
)

// TopicRepository implements command.TopicRepository.
type TopicRepository struct {
	db     *sql.DB
	outbox *Outbox
}

// NewTopicRepository stores topics in db and publishes their events through outbox.
func NewTopicRepository(db *sql.DB, outbox *Outbox) *TopicRepository {
	return &TopicRepository{db: db, outbox: outbox}
}

const topicColumns = "name, generation, status, partitions, replication_factor, configs, requested_by, owner, description, COALESCE(producers, ''), COALESCE(consumers, '')"

// Get implements command.TopicRepository.
func (r *TopicRepository) Get(ctx context.Context, name topic.Name) (*topic.Topic, error) {
	t, err := scanTopic(r.db.QueryRowContext(ctx, "SELECT "+topicColumns+" FROM topics WHERE name = ?", name.String()))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, &topic.NotFoundError{Topic: name.String()}
	}
	return t, err
}

// GetAll implements command.TopicRepository.
func (r *TopicRepository) GetAll(ctx context.Context, names []topic.Name) (map[topic.Name]*topic.Topic, error) {
	got := make(map[topic.Name]*topic.Topic, len(names))
	if len(names) == 0 {
		return got, nil
	}
	in, args := inList(names, func(n topic.Name) any { return n.String() })
	rows, err := r.db.QueryContext(ctx, "SELECT "+topicColumns+" FROM topics WHERE name IN "+in, args...)
	if err != nil {
		return nil, fmt.Errorf("read %d topics: %w", len(names), err)
	}
	ts, err := collect(rows, scanTopic)
	if err != nil {
		return nil, fmt.Errorf("read %d topics: %w", len(names), err)
	}
	for _, t := range ts {
		got[t.Name()] = t
	}
	return got, nil
}

// All implements command.TopicRepository.
func (r *TopicRepository) All(ctx context.Context) ([]*topic.Topic, error) {
	rows, err := r.db.QueryContext(ctx, "SELECT "+topicColumns+" FROM topics ORDER BY name")
	if err != nil {
		return nil, fmt.Errorf("list topics: %w", err)
	}
	return collect(rows, scanTopic)
}

// Update implements command.TopicRepository.
func (r *TopicRepository) Update(ctx context.Context, cmd command.Command, change func(*topic.Topic) (*topic.Topic, error)) error {
	return r.UpdateAll(ctx, []command.Change{{Command: cmd, Apply: change}})[0]
}

// LiveCollision implements command.TopicRepository.
func (r *TopicRepository) LiveCollision(ctx context.Context, name topic.Name) (string, error) {
	var existing string
	err := r.db.QueryRowContext(ctx, "SELECT name FROM topics WHERE live_key = ? AND name <> ?", name.CollisionKey(), name.String()).Scan(&existing)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("find topics colliding with %q: %w", name.String(), err)
	}
	return existing, nil
}

// insertCommands logs cmds as queued, payloads[i] being cmds[i] as JSON;
// query has a %s for the column list and values.
func insertCommands(ctx context.Context, tx *sql.Tx, query string, cmds []command.Command, payloads [][]byte) error {
	values := make([]string, 0, len(cmds))
	args := make([]any, 0, 8*len(cmds))
	for i, c := range cmds {
		values = append(values, "(?, ?, ?, ?, ?, ?, ?, ?)")
		args = append(args, c.ID, c.Type, c.Topic, c.Actor, c.Reason, payloads[i], command.Queued, c.IssuedAt)
	}
	q := fmt.Sprintf(query, "(id, type, topic, actor, reason, payload, status, issued_at) VALUES "+strings.Join(values, ", "))
	if _, err := tx.ExecContext(ctx, q, args...); err != nil {
		return fmt.Errorf("log commands: %w", err)
	}
	return nil
}

// save writes the topic's state. A clash on the live name key means
// another live topic has the same metric name.
func (r *TopicRepository) save(ctx context.Context, tx *sql.Tx, isNew bool, t *topic.Topic, now time.Time) error {
	row, err := topicRow(t, now)
	if err != nil {
		return err
	}
	liveKey := row[len(row)-1]
	if isNew {
		_, err = tx.ExecContext(ctx, "INSERT INTO topics ("+topicWriteColumns+") VALUES ("+placeholders(len(row))+")", row...)
	} else {
		// MySQL assigns left to right: requested_at still sees the old
		// generation. row is name, generation … consumers, requested_at,
		// updated_at, live_key.
		_, err = tx.ExecContext(ctx, "UPDATE topics SET requested_at = IF(generation = ?, requested_at, ?), generation = ?, status = ?, "+
			"partitions = ?, replication_factor = ?, configs = ?, requested_by = ?, owner = ?, description = ?, producers = ?, consumers = ?, updated_at = ?, live_key = ? WHERE name = ?",
			append(append([]any{t.Generation(), now}, row[1:11]...), now, liveKey, row[0])...)
	}
	if isMySQLError(err, errDuplicateKey) && liveKey != nil {
		var existing string
		if qerr := tx.QueryRowContext(ctx, "SELECT name FROM topics WHERE live_key = ?", liveKey).Scan(&existing); qerr != nil {
			return fmt.Errorf("find the topic %q collides with: %w", t.Name(), qerr)
		}
		return &topic.CollisionError{Topic: t.Name().String(), Existing: existing}
	}
	if err != nil {
		return fmt.Errorf("save topic %q: %w", t.Name(), err)
	}
	return nil
}

// topicWriteColumns are the columns a topic's row is written with.
const topicWriteColumns = "name, generation, status, partitions, replication_factor, configs, requested_by, owner, description, producers, consumers, requested_at, updated_at, live_key"

// topicRow is t's row, as topicWriteColumns lists its columns, written at
// now. The live name key is last: none for a topic in a final status.
func topicRow(t *topic.Topic, now time.Time) ([]any, error) {
	spec := t.Spec()
	configs, err := json.Marshal(nonNil(spec.Configs))
	if err != nil {
		return nil, err
	}
	var liveKey any
	if !t.Status().IsFinal() {
		liveKey = t.Name().CollisionKey()
	}
	d := t.Details()
	return []any{t.Name().String(), t.Generation(), t.Status(), spec.Partitions, spec.ReplicationFactor, configs, t.RequestedBy(), d.Owner, d.Description,
		nameList(d.Producers), nameList(d.Consumers), now, now, liveKey}, nil
}

// saveTogether writes ts, topics stored before that keep their generation
// and their live name key or give it up, with one statement per thousand:
// none of them takes a key another live topic may hold. Every row exists,
// so only the statement's update part runs.
func saveTogether(ctx context.Context, tx *sql.Tx, ts []*topic.Topic, now time.Time) error {
	for len(ts) > 0 {
		// At most 14,000 placeholders of the 65,535 a statement may have.
		chunk := ts[:min(len(ts), 1000)]
		ts = ts[len(chunk):]
		rows := make([]string, len(chunk))
		var args []any
		for i, t := range chunk {
			row, err := topicRow(t, now)
			if err != nil {
				return err
			}
			rows[i] = "(" + placeholders(len(row)) + ")"
			args = append(args, row...)
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO topics ("+topicWriteColumns+") VALUES "+strings.Join(rows, ", ")+" ON DUPLICATE KEY UPDATE "+
			"status = VALUES(status), partitions = VALUES(partitions), replication_factor = VALUES(replication_factor), configs = VALUES(configs), "+
			"requested_by = VALUES(requested_by), owner = VALUES(owner), description = VALUES(description), producers = VALUES(producers), "+
			"consumers = VALUES(consumers), updated_at = VALUES(updated_at), live_key = VALUES(live_key)", args...); err != nil {
			return fmt.Errorf("save %d topics: %w", len(chunk), err)
		}
	}
	return nil
}

type rowScanner interface {
	Scan(dest ...any) error
}

func scanTopic(row rowScanner) (*topic.Topic, error) {
	var (
		name, status, requestedBy string
		generation                int
		spec                      topic.Spec
		configs                   []byte
		details                   topic.Details
		description               sql.NullString
		producers, consumers      string
	)
	if err := row.Scan(&name, &generation, &status, &spec.Partitions, &spec.ReplicationFactor, &configs, &requestedBy, &details.Owner, &description, &producers, &consumers); err != nil {
		return nil, err
	}
	n, err := topic.ParseName(name)
	if err != nil {
		return nil, fmt.Errorf("stored topic: %w", err)
	}
	st, err := topic.ParseStatus(status)
	if err != nil {
		return nil, fmt.Errorf("stored topic %q: %w", name, err)
	}
	if err := json.Unmarshal(configs, &spec.Configs); err != nil {
		return nil, fmt.Errorf("stored topic %q configs: %w", name, err)
	}
	details.Description = description.String
	details.Producers, details.Consumers = parseNameList(producers), parseNameList(consumers)
	return topic.UnmarshalFromDatabase(n, generation, st, spec, details, requestedBy), nil
}

func nonNil(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}
