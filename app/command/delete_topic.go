package command

import (
	"context"
	"fmt"

	"github.com/kds-io/kds/app/topic"
)

// Delete deletes a deactivated generation from Kafka, once its consumers
// have detached, and records it deleted; nothing happens when the topic is
// no longer inactive at that generation. Deletions asked for while others
// are under way are carried out together next, and wait for the consumers
// of them all.
func (m TopicManager) Delete(ctx context.Context, name string, generation int) error {
	return m.deletions.do(ctx, target{name, generation})
}

// deleteAll deletes each of targets, those still inactive from Kafka in one
// call once their consumers have detached; it returns one error per
// target.
func (m TopicManager) deleteAll(ctx context.Context, targets []target) []error {
	var notes map[string]string // why a topic was deleted with consumers attached
	errs := carryOut(ctx, m.topics, work{
		cmdType: DeleteTopicType,
		from:    topic.Inactive,
		inKafka: func(ctx context.Context, due []*topic.Topic) []error {
			names := namesOf(due)
			// Nobody reads or writes a deactivated topic, whether or not
			// its consumers let go in time.
			if err := m.convergeAccess(ctx); err != nil {
				return failAll(len(due), err)
			}
			var err error
			if notes, err = m.awaitDetached(ctx, names); err != nil {
				return failAll(len(due), err)
			}
			return m.cluster.DeleteTopics(ctx, names)
		},
		transition: func(t *topic.Topic) error { return t.MarkDeleted(TopicManagerActor, notes[t.Name().String()]) },
	}, targets)
	// The subscriptions to a deleted generation ended with it. This runs
	// for a target deleted before too, so a retry after a failure here
	// ends them.
	deleted := map[string]int{}
	for i, tg := range targets {
		if errs[i] == nil {
			deleted[tg.topic] = max(deleted[tg.topic], tg.generation)
		}
	}
	if len(deleted) == 0 {
		return errs
	}
	if _, err := m.subs.EndAll(ctx, deleted, TopicManagerActor); err != nil {
		for i, tg := range targets {
			if _, ok := deleted[tg.topic]; ok {
				errs[i] = fmt.Errorf("end the subscriptions to %s: %w", tg.topic, err)
			}
		}
	}
	return errs
}

// failAll is err for each of n topics.
func failAll(n int, err error) []error {
	errs := make([]error, n)
	for i := range errs {
		errs[i] = err
	}
	return errs
}
