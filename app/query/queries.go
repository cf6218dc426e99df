package query

import (
	"context"

	"github.com/kds-io/kds/app/auth"
	"github.com/kds-io/kds/app/command"
)

// Queries answers the read side for an authenticated caller.
type Queries struct {
	read ReadModel
}

// NewQueries reads from read.
func NewQueries(read ReadModel) Queries { return Queries{read: read} }

// Topics lists topics.
func (q Queries) Topics(ctx context.Context, by auth.Principal, f TopicFilter) ([]Topic, error) {
	return readAs(by, func() ([]Topic, error) { return q.read.Topics(ctx, f) })
}

// Topic shows one topic.
func (q Queries) Topic(ctx context.Context, by auth.Principal, name string) (Topic, error) {
	return readAs(by, func() (Topic, error) { return q.read.Topic(ctx, name) })
}

// History lists a topic's transitions across generations.
func (q Queries) History(ctx context.Context, by auth.Principal, name string) ([]Transition, error) {
	return readAs(by, func() ([]Transition, error) { return q.read.History(ctx, name) })
}

// Command shows a command and its outcome.
func (q Queries) Command(ctx context.Context, by auth.Principal, id string) (Command, error) {
	return readAs(by, func() (Command, error) { return q.read.Command(ctx, id) })
}

// Commands lists logged commands, newest first.
func (q Queries) Commands(ctx context.Context, by auth.Principal, f CommandFilter) ([]Command, error) {
	return readAs(by, func() ([]Command, error) { return q.read.Commands(ctx, f) })
}

// NoReconciliationError is returned when no reconciliation has run yet.
type NoReconciliationError struct{}

func (NoReconciliationError) Error() string {
	return "no reconciliation has run yet: the topic manager runs one on start and every topic_manager.reconcile_interval"
}

// Drift is what the last comparison of MySQL with Kafka found.
func (q Queries) Drift(ctx context.Context, by auth.Principal) (command.Reconciliation, error) {
	return readAs(by, func() (command.Reconciliation, error) {
		r, ok, err := q.read.LatestReconciliation(ctx)
		if err == nil && !ok {
			err = NoReconciliationError{}
		}
		return r, err
	})
}

// readAs runs read when by may read topics.
func readAs[T any](by auth.Principal, read func() (T, error)) (T, error) {
	if err := auth.Authorize(by, auth.ReadTopics); err != nil {
		var zero T
		return zero, err
	}
	return read()
}
