package command

import (
	"context"
	"errors"
	"fmt"

	"github.com/kds-io/kds/app/auth"
	"github.com/kds-io/kds/app/topic"
)

// TopicManagerActor is recorded as the actor of what the topic manager
// does; no token may have its name.
const TopicManagerActor = auth.TopicManagerName

// StaleGenerationError is returned when an internal command arrives for a
// generation that is no longer current.
type StaleGenerationError struct {
	Topic              string
	Current, Requested int
}

func (e *StaleGenerationError) Error() string {
	return fmt.Sprintf("topic %q is at generation %d, not %d", e.Topic, e.Current, e.Requested)
}

// errMovedOn says that work planned on an earlier read of a topic is no
// longer due: the topic is gone, or at another generation or status.
var errMovedOn = errors.New("the topic moved on since it was read")

// due reads the topic again and returns it if it is still at generation
// and status, or errMovedOn.
func due(ctx context.Context, topics TopicRepository, name topic.Name, generation int, status topic.Status) (*topic.Topic, error) {
	t, err := topics.Get(ctx, name)
	var notFound *topic.NotFoundError
	if errors.As(err, &notFound) {
		return nil, errMovedOn
	}
	if err != nil {
		return nil, fmt.Errorf("load topic %q: %w", name, err)
	}
	if t.Generation() != generation || t.Status() != status {
		return nil, errMovedOn
	}
	return t, nil
}

// work is one thing the topic manager makes true in Kafka and then records.
type work struct {
	cmdType Type
	topic   string
	// generation is the generation the triggering event was about.
	generation int
	// from is the status the topic must still have for the work to be due.
	from       topic.Status
	inKafka    func(ctx context.Context, name topic.Name, spec topic.Spec) error
	transition func(*topic.Topic) error
}

// carryOut does w unless it is done or no longer due, so that redelivered
// and stale events are harmless: the Kafka side is idempotent, and the
// record is an internal command whose id is fixed by type, topic and
// generation. A broker refusal is recorded as the command's failure and
// returned as a *FailedError.
func carryOut(ctx context.Context, topics TopicRepository, w work) error {
	name, err := topic.ParseName(w.topic)
	if err != nil {
		return &MalformedError{Err: err}
	}
	t, err := due(ctx, topics, name, w.generation, w.from)
	if errors.Is(err, errMovedOn) {
		return nil
	}
	if err != nil {
		return err
	}
	cmd := internalCommand(w.cmdType, name, w.generation, TopicManagerActor)
	if err := w.inKafka(ctx, name, t.Spec()); err != nil {
		var refused *ClusterRefusedError
		if !errors.As(err, &refused) {
			return fmt.Errorf("%s %q in kafka: %w", w.cmdType, name, err)
		}
		failure := &FailedError{Err: err}
		return topics.Update(ctx, cmd, func(*topic.Topic) (*topic.Topic, error) { return nil, failure })
	}
	err = topics.Update(ctx, cmd, func(current *topic.Topic) (*topic.Topic, error) {
		if current == nil {
			return nil, &topic.NotFoundError{Topic: w.topic}
		}
		if current.Generation() != w.generation {
			return nil, &StaleGenerationError{Topic: w.topic, Current: current.Generation(), Requested: w.generation}
		}
		return current, w.transition(current)
	})
	if errors.Is(err, ErrAlreadyHandled) || IsRefusal(err) {
		return nil
	}
	return err
}
