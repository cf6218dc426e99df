package command

import (
	"context"

	"github.com/kds-io/kds/app/topic"
)

// Delete deletes a deactivated generation from Kafka, once its consumers
// have detached, and records it deleted; nothing happens when the topic is
// no longer inactive at that generation.
func (m TopicManager) Delete(ctx context.Context, name string, generation int) error {
	var note string
	return carryOut(ctx, m.topics, work{
		cmdType:    DeleteTopicType,
		topic:      name,
		generation: generation,
		from:       topic.Inactive,
		inKafka: func(ctx context.Context, name topic.Name, _ topic.Spec) error {
			var err error
			if note, err = m.awaitDetached(ctx, name.String()); err != nil {
				return err
			}
			return m.cluster.DeleteTopic(ctx, name)
		},
		transition: func(t *topic.Topic) error { return t.MarkDeleted(TopicManagerActor, note) },
	})
}
