package command

import (
	"context"

	"github.com/kds-io/kds/app/topic"
)

// Activate creates an approved generation in Kafka and records it active,
// unless the topic is no longer approved at that generation. Activations
// asked for while others are under way are carried out together next.
func (m TopicManager) Activate(ctx context.Context, name string, generation int) error {
	return m.activations.do(ctx, target{name, generation})
}

// activateAll activates each of targets, creating those still approved in
// Kafka in one call; it returns one error per target.
func (m TopicManager) activateAll(ctx context.Context, targets []target) []error {
	return carryOut(ctx, m.topics, work{
		cmdType: ActivateTopicType,
		from:    topic.Approved,
		inKafka: func(ctx context.Context, due []*topic.Topic) []error {
			// Its producers may write the moment the topic is active.
			if err := m.convergeAccess(ctx); err != nil {
				return failAll(len(due), err)
			}
			return m.cluster.CreateTopics(ctx, creations(due))
		},
		transition: func(t *topic.Topic) error { return t.Activate(TopicManagerActor) },
	}, targets)
}

// creations are the Kafka topics ts stand for.
func creations(ts []*topic.Topic) []Creation {
	out := make([]Creation, len(ts))
	for i, t := range ts {
		out[i] = Creation{Name: t.Name(), Spec: t.Spec()}
	}
	return out
}

// namesOf is the names of ts, in order.
func namesOf(ts []*topic.Topic) []topic.Name {
	out := make([]topic.Name, len(ts))
	for i, t := range ts {
		out[i] = t.Name()
	}
	return out
}
