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

// dueTopic reads the topic again and returns it if it is still at
// generation and status, or errMovedOn.
func dueTopic(ctx context.Context, topics TopicRepository, name topic.Name, generation int, status topic.Status) (*topic.Topic, error) {
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

// work is what the topic manager makes true in Kafka and then records,
// for topics an event is about.
type work struct {
	cmdType Type
	// from is the status a topic must still have for the work to be due.
	from topic.Status
	// inKafka does the Kafka side for every topic it is given, at once,
	// and answers for each.
	inKafka    func(ctx context.Context, due []*topic.Topic) []error
	transition func(*topic.Topic) error
	// about, when set, is the command the work follows: it tells apart
	// internal commands of one type and generation, such as the Kafka side
	// of two updates.
	about string
}

// target is a topic at the generation an event was about.
type target struct {
	topic      string
	generation int
}

// carryOut does w for each target unless it is done or no longer due, so
// that redelivered and stale events are harmless: the Kafka side is
// idempotent, and the record is an internal command whose id is fixed by
// type, topic and generation. The Kafka side of every target still due
// goes to Kafka in one call. A broker refusal is recorded as the command's
// failure and answered with a *FailedError. It returns one error per
// target.
func carryOut(ctx context.Context, topics TopicRepository, w work, targets []target) []error {
	errs := make([]error, len(targets))
	names := make([]topic.Name, len(targets))
	var valid []topic.Name
	for i, tg := range targets {
		name, err := topic.ParseName(tg.topic)
		if err != nil {
			errs[i] = &MalformedError{Err: err}
			continue
		}
		names[i] = name
		valid = append(valid, name)
	}
	// The topics read again, all at once: work on one that is gone, or at
	// another generation or status, is no longer due.
	current, err := topics.GetAll(ctx, valid)
	var due dueTopics
	for i, tg := range targets {
		switch t := current[names[i]]; {
		case errs[i] != nil:
		case err != nil:
			errs[i] = fmt.Errorf("load topic %q: %w", tg.topic, err)
		case t != nil && t.Generation() == tg.generation && t.Status() == w.from:
			due.add(i, t)
		}
	}
	for j, err := range record(ctx, topics, w, due.topics, due.send(ctx, w.inKafka)) {
		errs[due.places[j]] = err
	}
	return errs
}

// dueTopics are the topics of a batch that are due for work, and their
// places in the batch.
type dueTopics struct {
	topics []*topic.Topic
	places []int
}

func (d *dueTopics) add(place int, t *topic.Topic) {
	d.topics, d.places = append(d.topics, t), append(d.places, place)
}

// send hands every due topic to inKafka in one call, unless there is none,
// and returns Kafka's answer for each.
func (d dueTopics) send(ctx context.Context, inKafka func(context.Context, []*topic.Topic) []error) []error {
	if len(d.topics) == 0 {
		return nil
	}
	return inKafka(ctx, d.topics)
}

// record records, in one UpdateAll, what w did in Kafka to each of ts,
// for which Kafka answered inKafka[i]; it returns one error per topic.
func record(ctx context.Context, topics TopicRepository, w work, ts []*topic.Topic, inKafka []error) []error {
	errs := make([]error, len(ts))
	changes := make([]Change, 0, len(ts))
	var places []int
	// refused are the places of the changes that record Kafka's refusal.
	refused := map[int]bool{}
	for i, t := range ts {
		name, generation := t.Name(), t.Generation()
		cmd := internalCommand(w.cmdType, name, generation, w.about, TopicManagerActor)
		var refusal *ClusterRefusedError
		switch {
		case inKafka[i] == nil:
			changes = append(changes, Change{Command: cmd, Apply: func(current *topic.Topic) (*topic.Topic, error) {
				if current == nil {
					return nil, &topic.NotFoundError{Topic: name.String()}
				}
				if current.Generation() != generation {
					return nil, &StaleGenerationError{Topic: name.String(), Current: current.Generation(), Requested: generation}
				}
				return current, w.transition(current)
			}})
		case errors.As(inKafka[i], &refusal):
			failure := &FailedError{Err: inKafka[i]}
			refused[len(changes)] = true
			changes = append(changes, Change{Command: cmd, Apply: func(*topic.Topic) (*topic.Topic, error) { return nil, failure }})
		default:
			errs[i] = fmt.Errorf("%s %q in kafka: %w", w.cmdType, name, inKafka[i])
			continue
		}
		places = append(places, i)
	}
	if len(changes) == 0 {
		return errs
	}
	for j, err := range topics.UpdateAll(ctx, changes) {
		if !refused[j] && (errors.Is(err, ErrAlreadyHandled) || IsRefusal(err)) {
			err = nil
		}
		errs[places[j]] = err
	}
	return errs
}
