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
	where, args := "", []any{}
	if len(ids) > 0 {
		where = " WHERE consumer_id IN (" + strings.TrimSuffix(strings.Repeat("?, ", len(ids)), ", ") + ")"
		for _, id := range ids {
			args = append(args, id)
		}
	}
	consumers := map[subscription.ConsumerID]*query.Consumer{}
	get := func(id subscription.ConsumerID) *query.Consumer {
		c, ok := consumers[id]
		if !ok {
			c = &query.Consumer{ID: id, Subscriptions: []query.Subscription{}, Instances: []query.Instance{}}
			consumers[id] = c
		}
		return c
	}
	subs, err := m.subscriptions(ctx, where, args)
	if err != nil {
		return nil, err
	}
	for _, s := range subs {
		c := get(s.ConsumerID)
		c.Subscriptions = append(c.Subscriptions, s)
	}
	insts, err := m.instances(ctx, where, args)
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

func (m *ReadModel) subscriptions(ctx context.Context, where string, args []any) ([]query.Subscription, error) {
	rows, err := m.db.QueryContext(ctx, "SELECT s.consumer_id, s.topic, s.generation, s.consumer_group, s.from_beginning, s.created_by, s.created_at, "+
		"COALESCE(t.status, ''), COALESCE(t.status = 'active' AND t.generation = s.generation, FALSE) "+
		"FROM subscriptions s LEFT JOIN topics t ON t.name = s.topic"+strings.ReplaceAll(where, "consumer_id", "s.consumer_id")+
		" ORDER BY s.consumer_id, s.topic", args...)
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

func (m *ReadModel) instances(ctx context.Context, where string, args []any) ([]query.Instance, error) {
	rows, err := m.db.QueryContext(ctx, "SELECT id, consumer_id, host, pid, started_at, last_seen FROM consumer_instances"+where+" ORDER BY started_at", args...)
	if err != nil {
		return nil, fmt.Errorf("list consumer instances: %w", err)
	}
	insts, err := collect(rows, scanInstance)
	if err != nil {
		return nil, err
	}
	attached, err := m.attachments(ctx)
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

func (m *ReadModel) attachments(ctx context.Context) (map[string][]string, error) {
	rows, err := m.db.QueryContext(ctx, "SELECT instance_id, topic FROM consumer_attachments ORDER BY instance_id, topic")
	if err != nil {
		return nil, fmt.Errorf("list consumer attachments: %w", err)
	}
	defer rows.Close()
	out := map[string][]string{}
	for rows.Next() {
		var id, t string
		if err := rows.Scan(&id, &t); err != nil {
			return nil, err
		}
		out[id] = append(out[id], t)
	}
	return out, rows.Err()
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
