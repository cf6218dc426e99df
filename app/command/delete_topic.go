package command

import (
	"context"

	"github.com/kds-io/kds/app/topic"
)

// DeleteTopic asks the topic manager to delete a deactivated generation
// from Kafka and record it deleted.
type DeleteTopic struct {
	Topic      string
	Generation int
}

// DeleteTopicHandler deletes deactivated topics from Kafka.
type DeleteTopicHandler struct {
	topics  TopicRepository
	cluster KafkaCluster
}

// NewDeleteTopicHandler deletes topics from cluster and records it in topics.
func NewDeleteTopicHandler(topics TopicRepository, cluster KafkaCluster) DeleteTopicHandler {
	return DeleteTopicHandler{topics: topics, cluster: cluster}
}

// Handle deletes the topic unless it is no longer inactive at that generation.
func (h DeleteTopicHandler) Handle(ctx context.Context, d DeleteTopic) error {
	return carryOut(ctx, h.topics, work{
		cmdType:    DeleteTopicType,
		topic:      d.Topic,
		generation: d.Generation,
		from:       topic.Inactive,
		inKafka: func(ctx context.Context, name topic.Name, _ topic.Spec) error {
			return h.cluster.DeleteTopic(ctx, name)
		},
		transition: func(t *topic.Topic) error { return t.MarkDeleted(TopicManagerActor) },
	})
}
