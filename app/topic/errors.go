package topic

import (
	"errors"
	"fmt"
)

// InvalidNameError is returned for a name Kafka or kds would refuse.
type InvalidNameError struct {
	Name   string
	Reason string
}

func (e *InvalidNameError) Error() string {
	return fmt.Sprintf("invalid topic name %q: %s", truncate(e.Name, 80), e.Reason)
}

// InvalidSpecError is returned for partitions, replication factor or
// configs out of range.
type InvalidSpecError struct {
	Err error
}

func (e *InvalidSpecError) Error() string { return "invalid topic spec: " + e.Err.Error() }

func (e *InvalidSpecError) Unwrap() error { return e.Err }

// IllegalTransitionError is returned when an action does not apply to the
// topic's current status, such as approving an active topic.
type IllegalTransitionError struct {
	Topic  string
	From   Status
	Action Action
}

func (e *IllegalTransitionError) Error() string {
	m := moves[e.Action]
	already := ""
	if rank[e.From] > rank[m.from] {
		already = "already "
	}
	return fmt.Sprintf("cannot %s topic %q: it is %s%s (only %s topics can be %s)",
		e.Action, e.Topic, already, e.From, m.from, pastTense[e.Action])
}

// AlreadyExistsError is returned when a name is requested while a topic of
// that name is still in its lifecycle.
type AlreadyExistsError struct {
	Topic  string
	Status Status
}

func (e *AlreadyExistsError) Error() string {
	return fmt.Sprintf("topic %q already exists and is %s", e.Topic, e.Status)
}

// CollisionError is returned when a requested name differs from a live
// topic's only by '.' versus '_', which Kafka's metrics cannot tell apart.
type CollisionError struct {
	Topic    string
	Existing string
}

func (e *CollisionError) Error() string {
	return fmt.Sprintf("topic %q collides with existing topic %q: Kafka treats '.' and '_' as the same in metric names", e.Topic, e.Existing)
}

// UnchangeableError refuses a change Kafka cannot make to a topic, such
// as fewer partitions.
type UnchangeableError struct {
	Topic string
	Err   error
}

func (e *UnchangeableError) Error() string {
	return fmt.Sprintf("cannot update topic %q: %v", e.Topic, e.Err)
}

func (e *UnchangeableError) Unwrap() error { return e.Err }

// UnchangedError refuses an update that changes nothing: the topic is
// already as asked.
type UnchangedError struct {
	Topic string
}

func (e *UnchangedError) Error() string {
	return fmt.Sprintf("topic %q is already as asked: nothing to update", e.Topic)
}

// NotFoundError is returned for a topic kds does not know.
type NotFoundError struct {
	Topic string
}

func (e *NotFoundError) Error() string { return fmt.Sprintf("topic %q not found", e.Topic) }

// IsRefusal reports whether err means the request itself cannot be
// honoured (bad input or a move the lifecycle forbids), as opposed to a
// failure that may pass when retried.
func IsRefusal(err error) bool {
	var (
		name      *InvalidNameError
		spec      *InvalidSpecError
		illegal   *IllegalTransitionError
		exists    *AlreadyExistsError
		collision *CollisionError
		notFound  *NotFoundError
		fixed     *UnchangeableError
		unchanged *UnchangedError
	)
	return errors.As(err, &name) || errors.As(err, &spec) || errors.As(err, &illegal) ||
		errors.As(err, &exists) || errors.As(err, &collision) || errors.As(err, &notFound) ||
		errors.As(err, &fixed) || errors.As(err, &unchanged)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
