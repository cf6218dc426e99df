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
	"github.com/kds-io/kds/app/topic"
)

// UpdateAll implements command.TopicRepository. The changes are made in
// one transaction, with one statement for each kind of row and one outbox
// write, so that commands arriving together share a commit and its log
// flush. A change that fails other than by an outcome to record rolls the
// transaction back, and then each change is made alone, so that it fails
// alone.
func (r *TopicRepository) UpdateAll(ctx context.Context, changes []command.Change) []error {
	if len(changes) == 0 {
		return nil
	}
	outcomes, err := r.updateTogether(ctx, changes)
	if err == nil {
		r.outbox.committed()
		return outcomes
	}
	if len(changes) == 1 {
		return []error{err}
	}
	errs := make([]error, len(changes))
	for i, c := range changes {
		errs[i] = r.UpdateAll(ctx, []command.Change{c})[0]
	}
	return errs
}

// updateTogether makes changes in one transaction and returns each one's
// outcome, or the error that rolled them all back.
func (r *TopicRepository) updateTogether(ctx context.Context, changes []command.Change) ([]error, error) {
	var outcomes []error
	err := inTx(ctx, r.db, func(tx *sql.Tx) error {
		var err error
		outcomes, err = r.applyChanges(ctx, tx, changes)
		return err
	})
	return outcomes, err
}

// applyChanges makes changes within tx: it logs and locks their commands,
// locks their topics, runs each change in order on the topic as the
// changes before it left it, and writes what they did.
func (r *TopicRepository) applyChanges(ctx context.Context, tx *sql.Tx, changes []command.Change) ([]error, error) {
	now := time.Now().UTC()
	cmds := make([]command.Command, len(changes))
	for i, c := range changes {
		cmds[i] = c.Command
	}
	handled, err := lockCommands(ctx, tx, cmds)
	if err != nil {
		return nil, err
	}
	stored, err := lockTopics(ctx, tx, cmds)
	if err != nil {
		return nil, err
	}
	var w changeWrites
	// later are the topics whose rows take no live name key they did not
	// hold, by name: they are written together (saveTogether) at the end,
	// and before any row that may take a key one of them gives up.
	later := map[string]*topic.Topic{}
	saveLater := func() error {
		ts := make([]*topic.Topic, 0, len(later))
		for _, name := range slices.Sorted(maps.Keys(later)) {
			ts = append(ts, later[name])
		}
		clear(later)
		return saveTogether(ctx, tx, ts, now)
	}
	outcomes := make([]error, len(changes))
	for i, c := range changes {
		cmd := c.Command
		if handled[cmd.ID] {
			outcomes[i] = command.ErrAlreadyHandled
			continue
		}
		current, exists := stored[cmd.Topic]
		// A change may move current itself: what it was decides how the
		// result is written.
		var generation int
		var live bool
		if exists {
			current = reloaded(current)
			generation, live = current.Generation(), !current.Status().IsFinal()
		}
		t, err := c.Apply(current)
		switch {
		case err != nil:
		case exists && t.Generation() == generation && (live || t.Status().IsFinal()):
			later[cmd.Topic] = t
		default:
			// A new topic, or generation, may clash with another live one.
			if err := saveLater(); err != nil {
				return nil, err
			}
			err = r.save(ctx, tx, !exists, t, now)
		}
		if err != nil {
			st, settles := settlement(err)
			if !settles {
				return nil, fmt.Errorf("%s %q (command %s): %w", cmd.Type, cmd.Topic, cmd.ID, err)
			}
			outcomes[i] = err
			handled[cmd.ID] = st == command.Rejected
			if err := w.settle(cmd, st, err.Error(), now); err != nil {
				return nil, err
			}
			continue
		}
		stored[cmd.Topic] = t
		handled[cmd.ID] = true
		if err := w.transitions(cmd, t.Transitions(), now); err != nil {
			return nil, err
		}
		if err := w.settle(cmd, command.Applied, "", now); err != nil {
			return nil, err
		}
	}
	if err := saveLater(); err != nil {
		return nil, err
	}
	return outcomes, w.write(ctx, tx, r.outbox)
}

// reloaded is t as a fresh read would return it, without the transitions a
// change made to it: the next change of the topic starts from there.
func reloaded(t *topic.Topic) *topic.Topic {
	return topic.UnmarshalFromDatabase(t.Name(), t.Generation(), t.Status(), t.Spec(), t.Details(), t.RequestedBy())
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

// lockCommands logs cmds unless the API did already, locks their rows so
// that a redelivery waits for the first delivery's outcome, and says which
// were applied or rejected before.
func lockCommands(ctx context.Context, tx *sql.Tx, cmds []command.Command) (map[string]bool, error) {
	payloads := make([][]byte, len(cmds))
	for i, c := range cmds {
		p, err := c.Encode()
		if err != nil {
			return nil, err
		}
		payloads[i] = p
	}
	if err := insertCommands(ctx, tx, "INSERT INTO commands %s ON DUPLICATE KEY UPDATE id = id", cmds, payloads); err != nil {
		return nil, err
	}
	in, ids := inList(cmds, func(c command.Command) any { return c.ID })
	rows, err := tx.QueryContext(ctx, "SELECT id, status FROM commands WHERE id IN "+in+" FOR UPDATE", ids...)
	if err != nil {
		return nil, fmt.Errorf("lock commands: %w", err)
	}
	defer rows.Close()
	handled := make(map[string]bool, len(cmds))
	for rows.Next() {
		var id, status string
		if err := rows.Scan(&id, &status); err != nil {
			return nil, fmt.Errorf("lock commands: %w", err)
		}
		handled[id] = command.Status(status) == command.Applied || command.Status(status) == command.Rejected
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("lock commands: %w", err)
	}
	return handled, nil
}

// lockTopics locks the current generation of every topic cmds name and
// returns those that exist, by name.
func lockTopics(ctx context.Context, tx *sql.Tx, cmds []command.Command) (map[string]*topic.Topic, error) {
	var names []any
	seen := map[string]bool{}
	for _, c := range cmds {
		if !seen[c.Topic] {
			seen[c.Topic] = true
			names = append(names, c.Topic)
		}
	}
	rows, err := tx.QueryContext(ctx, "SELECT "+topicColumns+" FROM topics WHERE name IN ("+placeholders(len(names))+") FOR UPDATE", names...)
	if err != nil {
		return nil, fmt.Errorf("load topics: %w", err)
	}
	ts, err := collect(rows, scanTopic)
	if err != nil {
		return nil, fmt.Errorf("load topics: %w", err)
	}
	stored := make(map[string]*topic.Topic, len(ts))
	for _, t := range ts {
		stored[t.Name().String()] = t
	}
	return stored, nil
}

// changeWrites gathers the rows a transaction of changes writes besides
// the topics themselves, so that each kind is written with one statement.
type changeWrites struct {
	transitionRows []string
	transitionArgs []any
	// The outcomes: the commands' ids, and pairs of id and status, and of
	// id and error, for CASE id WHEN ? THEN ?.
	settledIDs              []any
	statusCases, errorCases []any
	settledAt               time.Time
	events                  []outboxMessage
}

// transitions records trs, caused by cmd, and publishes their events.
func (w *changeWrites) transitions(cmd command.Command, trs []topic.Transition, now time.Time) error {
	for _, tr := range trs {
		var from any
		if tr.From != "" {
			from = tr.From
		}
		w.transitionRows = append(w.transitionRows, "(?, ?, ?, ?, ?, ?, ?, ?, ?)")
		w.transitionArgs = append(w.transitionArgs, tr.Topic.String(), tr.Generation, tr.Action, from, tr.To, tr.Actor, tr.Reason, cmd.ID, now)
		payload, err := topic.MarshalMessage(topic.NewEvent(tr, cmd.ID, now))
		if err != nil {
			return err
		}
		w.events = append(w.events, outboxMessage{topic: topic.EventsTopic, key: tr.Topic.String(), payload: payload})
	}
	return nil
}

// settle records cmd's outcome, with why when it was refused or failed;
// such an outcome is also published so that clients waiting for the
// command hear of it.
func (w *changeWrites) settle(cmd command.Command, st command.Status, why string, now time.Time) error {
	var errText any
	if why != "" {
		errText = why
	}
	w.settledIDs = append(w.settledIDs, cmd.ID)
	w.statusCases = append(w.statusCases, cmd.ID, st)
	w.errorCases = append(w.errorCases, cmd.ID, errText)
	w.settledAt = now
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
	w.events = append(w.events, outboxMessage{topic: topic.EventsTopic, key: cmd.Topic, payload: payload})
	return nil
}

// write stores the gathered rows within tx and publishes the events in
// the order they were gathered.
func (w *changeWrites) write(ctx context.Context, tx *sql.Tx, outbox *Outbox) error {
	if len(w.transitionRows) > 0 {
		if _, err := tx.ExecContext(ctx, "INSERT INTO transitions (topic, generation, action, from_status, to_status, actor, reason, command_id, at) VALUES "+
			strings.Join(w.transitionRows, ", "), w.transitionArgs...); err != nil {
			return fmt.Errorf("record transitions: %w", err)
		}
	}
	if n := len(w.settledIDs); n > 0 {
		pairs := strings.Repeat(" WHEN ? THEN ?", n)
		args := append(append(append(append([]any{}, w.statusCases...), w.errorCases...), w.settledAt), w.settledIDs...)
		if _, err := tx.ExecContext(ctx, "UPDATE commands SET status = CASE id"+pairs+" END, error = CASE id"+pairs+" END, handled_at = ? WHERE id IN ("+
			placeholders(n)+")", args...); err != nil {
			return fmt.Errorf("settle commands: %w", err)
		}
	}
	return outbox.write(ctx, tx, w.events...)
}
