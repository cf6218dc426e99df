package command

import (
	"context"

	"github.com/kds-io/kds/app/topic"
)

// Activate creates an approved generation in Kafka and records it active,
// unless the topic is no longer approved at that generation.
func (m TopicManager) Activate(ctx context.Context, name string, generation int) error {
	return carryOut(ctx, m.topics, work{
		cmdType:    ActivateTopicType,
		topic:      name,
		generation: generation,
		from:       topic.Approved,
		inKafka:    m.cluster.CreateTopic,
		transition: func(t *topic.Topic) error { return t.Activate(TopicManagerActor) },
	})
}
