package mysql

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/kds-io/kds/app/query"
	"github.com/kds-io/kds/app/subscription"
	"github.com/kds-io/kds/app/topic"
)

// Consumers implements query.ReadModel.
func (m *ReadModel) Consumers(ctx context.Context, ids ...subscription.ConsumerID) ([]query.Consumer, error) {
	consumers := map[subscription.ConsumerID]*query.Consumer{}
	get := func(id subscription.ConsumerID) *query.Consumer {
		c, ok := consumers[id]
		if !ok {
			c = &query.Consumer{ID: id, Subscriptions: []query.Subscription{}, Instances: []query.Instance{}}
			consumers[id] = c
		}
		return c
	}
	subs, err := m.subscriptions(ctx, ids)
	if err != nil {
		return nil, err
	}
	for _, s := range subs {
		c := get(s.ConsumerID)
		c.Subscriptions = append(c.Subscriptions, s)
	}
	insts, err := m.instances(ctx, ids)
	if err != nil {
		return nil, err
	}
	for _, in := range insts {
		c := get(in.ConsumerID)
		c.Instances = append(c.Instances, in)
	}
	out := make([]query.Consumer, 0, len(consumers))
	for _, c := range consumers {
		out = append(out, *c)
	}
	slices.SortFunc(out, func(a, b query.Consumer) int { return strings.Compare(string(a.ID), string(b.ID)) })
	return out, nil
}

// ofConsumers is a WHERE clause keeping the rows whose column is one of
// ids, with its arguments; empty when ids is, to keep every row.
func ofConsumers(column string, ids []subscription.ConsumerID) (string, []any) {
	if len(ids) == 0 {
		return "", nil
	}
	in, args := inList(ids, func(id subscription.ConsumerID) any { return id })
	return " WHERE " + column + " IN " + in, args
}

func (m *ReadModel) subscriptions(ctx context.Context, ids []subscription.ConsumerID) ([]query.Subscription, error) {
	where, args := ofConsumers("s.consumer_id", ids)
	rows, err := m.db.QueryContext(ctx, "SELECT s.consumer_id, s.topic, s.generation, s.consumer_group, s.from_beginning, s.created_by, s.created_at, "+
		"COALESCE(t.status, ''), COALESCE(t.status = 'active' AND t.generation = s.generation, FALSE) "+
		"FROM subscriptions s LEFT JOIN topics t ON t.name = s.topic"+where+" ORDER BY s.consumer_id, s.topic", args...)
	if err != nil {
		return nil, fmt.Errorf("list subscriptions: %w", err)
	}
	return collect(rows, func(r rowScanner) (query.Subscription, error) {
		var (
			s      query.Subscription
			status string
		)
		err := r.Scan(&s.ConsumerID, &s.Topic, &s.Generation, &s.Group, &s.FromBeginning, &s.CreatedBy, &s.CreatedAt, &status, &s.Live)
		s.TopicStatus = topic.Status(status)
		return s, err
	})
}

func (m *ReadModel) instances(ctx context.Context, ids []subscription.ConsumerID) ([]query.Instance, error) {
	where, args := ofConsumers("consumer_id", ids)
	rows, err := m.db.QueryContext(ctx, "SELECT id, consumer_id, host, pid, started_at, last_seen FROM consumer_instances"+where+" ORDER BY started_at", args...)
	if err != nil {
		return nil, fmt.Errorf("list consumer instances: %w", err)
	}
	insts, err := collect(rows, scanInstance)
	if err != nil {
		return nil, err
	}
	attached, err := m.attachments(ctx, ids)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	out := make([]query.Instance, len(insts))
	for i, in := range insts {
		in.Attached = nonNilStrings(attached[in.ID])
		out[i] = query.Instance{Instance: in, Alive: in.IsAlive(now)}
	}
	return out, nil
}

// attachments are the topics each process of the consumers ids consumes,
// by process id.
func (m *ReadModel) attachments(ctx context.Context, ids []subscription.ConsumerID) (map[string][]string, error) {
	where, args := ofConsumers("i.consumer_id", ids)
	rows, err := m.db.QueryContext(ctx, "SELECT a.instance_id, a.topic FROM consumer_attachments a "+
		"JOIN consumer_instances i ON i.id = a.instance_id"+where+" ORDER BY a.instance_id, a.topic", args...)
	if err != nil {
		return nil, fmt.Errorf("list consumer attachments: %w", err)
	}
	type attachment struct{ instance, topic string }
	list, err := collect(rows, func(r rowScanner) (attachment, error) {
		var a attachment
		err := r.Scan(&a.instance, &a.topic)
		return a, err
	})
	if err != nil {
		return nil, err
	}
	out := map[string][]string{}
	for _, a := range list {
		out[a.instance] = append(out[a.instance], a.topic)
	}
	return out, nil
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
