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
	var outcome error
	err := inTx(ctx, r.db, func(tx *sql.Tx) error {
		outcome = nil
		status, err := lockCommand(ctx, tx, cmd)
		if err != nil {
			return err
		}
		if status == command.Applied || status == command.Rejected {
			return command.ErrAlreadyHandled
		}
		current, err := scanTopic(tx.QueryRowContext(ctx, "SELECT "+topicColumns+" FROM topics WHERE name = ? FOR UPDATE", cmd.Topic))
		if errors.Is(err, sql.ErrNoRows) {
			current = nil
		} else if err != nil {
			return fmt.Errorf("load topic %q: %w", cmd.Topic, err)
		}
		now := time.Now().UTC()
		t, err := change(current)
		if err == nil {
			err = r.save(ctx, tx, current == nil, t, now)
		}
		if err != nil {
			st, settles := settlement(err)
			if !settles {
				return err
			}
			outcome = err
			return settle(ctx, tx, r.outbox, cmd, st, err.Error(), now)
		}
		if err := r.record(ctx, tx, cmd, t.Transitions(), now); err != nil {
			return err
		}
		return settle(ctx, tx, r.outbox, cmd, command.Applied, "", now)
	})
	if err != nil {
		return err
	}
	r.outbox.committed()
	return outcome
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

// settlement says how an error from a change is recorded, if at all.
func settlement(err error) (command.Status, bool) {
	// A failure may wrap a refusal (Kafka refusing a topic): it is a failure.
	var failed *command.FailedError
	switch {
	case errors.As(err, &failed):
		return command.Failed, true
	case command.IsRefusal(err):
		return command.Rejected, true
	}
	return "", false
}

// lockCommand logs cmd unless the API did already, and locks its row so
// that a redelivery waits for the first delivery's outcome.
func lockCommand(ctx context.Context, tx *sql.Tx, cmd command.Command) (command.Status, error) {
	payload, err := cmd.Encode()
	if err != nil {
		return "", err
	}
	if err := insertCommands(ctx, tx, "INSERT INTO commands %s ON DUPLICATE KEY UPDATE id = id", []command.Command{cmd}, [][]byte{payload}); err != nil {
		return "", err
	}
	var status string
	if err := tx.QueryRowContext(ctx, "SELECT status FROM commands WHERE id = ? FOR UPDATE", cmd.ID).Scan(&status); err != nil {
		return "", fmt.Errorf("lock command %s: %w", cmd.ID, err)
	}
	return command.Status(status), nil
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
	spec := t.Spec()
	configs, err := json.Marshal(nonNil(spec.Configs))
	if err != nil {
		return err
	}
	var liveKey any
	if !t.Status().IsFinal() {
		liveKey = t.Name().CollisionKey()
	}
	d := t.Details()
	if isNew {
		_, err = tx.ExecContext(ctx, "INSERT INTO topics (name, generation, status, partitions, replication_factor, configs, requested_by, owner, description, producers, consumers, "+
			"requested_at, updated_at, live_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
			t.Name().String(), t.Generation(), t.Status(), spec.Partitions, spec.ReplicationFactor, configs, t.RequestedBy(), d.Owner, d.Description,
			nameList(d.Producers), nameList(d.Consumers), now, now, liveKey)
	} else {
		// MySQL assigns left to right: requested_at still sees the old generation.
		_, err = tx.ExecContext(ctx, "UPDATE topics SET requested_at = IF(generation = ?, requested_at, ?), generation = ?, status = ?, "+
			"partitions = ?, replication_factor = ?, configs = ?, requested_by = ?, owner = ?, description = ?, producers = ?, consumers = ?, updated_at = ?, live_key = ? WHERE name = ?",
			t.Generation(), now, t.Generation(), t.Status(), spec.Partitions, spec.ReplicationFactor, configs, t.RequestedBy(), d.Owner, d.Description,
			nameList(d.Producers), nameList(d.Consumers), now, liveKey, t.Name().String())
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

// record writes the transitions and publishes their events.
func (r *TopicRepository) record(ctx context.Context, tx *sql.Tx, cmd command.Command, trs []topic.Transition, now time.Time) error {
	if len(trs) == 0 {
		return nil
	}
	values := make([]string, 0, len(trs))
	args := make([]any, 0, 9*len(trs))
	msgs := make([]outboxMessage, 0, len(trs))
	for _, tr := range trs {
		var from any
		if tr.From != "" {
			from = tr.From
		}
		values = append(values, "(?, ?, ?, ?, ?, ?, ?, ?, ?)")
		args = append(args, tr.Topic.String(), tr.Generation, tr.Action, from, tr.To, tr.Actor, tr.Reason, cmd.ID, now)
		payload, err := topic.MarshalMessage(topic.NewEvent(tr, cmd.ID, now))
		if err != nil {
			return err
		}
		msgs = append(msgs, outboxMessage{topic: topic.EventsTopic, key: tr.Topic.String(), payload: payload})
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO transitions (topic, generation, action, from_status, to_status, actor, reason, command_id, at) VALUES "+
		strings.Join(values, ", "), args...); err != nil {
		return fmt.Errorf("record transitions: %w", err)
	}
	return r.outbox.write(ctx, tx, msgs...)
}

// settle records cmd's outcome, with why when it was refused or failed;
// such an outcome is also published so that clients waiting for the
// command hear of it.
func settle(ctx context.Context, tx *sql.Tx, outbox *Outbox, cmd command.Command, st command.Status, why string, now time.Time) error {
	var errText any
	if why != "" {
		errText = why
	}
	if _, err := tx.ExecContext(ctx, "UPDATE commands SET status = ?, error = ?, handled_at = ? WHERE id = ?", st, errText, now, cmd.ID); err != nil {
		return fmt.Errorf("settle command %s: %w", cmd.ID, err)
	}
	if why == "" {
		return nil
	}
	eventType := topic.CommandRejected
	if st == command.Failed {
		eventType = topic.CommandFailed
	}
	payload, err := topic.MarshalMessage(topic.Event{Type: eventType, Topic: cmd.Topic, CommandID: cmd.ID, Actor: cmd.Actor, At: now, Error: why})
	if err != nil {
		return err
	}
	return outbox.write(ctx, tx, outboxMessage{topic: topic.EventsTopic, key: cmd.Topic, payload: payload})
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
