package command

import (
	"context"

	"github.com/kds-io/kds/app/topic"
)

// ActivateTopic asks the topic manager to create an approved generation in
// Kafka and record it active.
type ActivateTopic struct {
	Topic      string
	Generation int
}

// ActivateTopicHandler creates approved topics in Kafka.
type ActivateTopicHandler struct {
	topics  TopicRepository
	cluster KafkaCluster
}

// NewActivateTopicHandler creates topics in cluster and records them in topics.
func NewActivateTopicHandler(topics TopicRepository, cluster KafkaCluster) ActivateTopicHandler {
	return ActivateTopicHandler{topics: topics, cluster: cluster}
}

// Handle creates the topic unless it is no longer approved at that generation.
func (h ActivateTopicHandler) Handle(ctx context.Context, a ActivateTopic) error {
	return carryOut(ctx, h.topics, work{
		cmdType:    ActivateTopicType,
		topic:      a.Topic,
		generation: a.Generation,
		from:       topic.Approved,
		inKafka:    h.cluster.CreateTopic,
		transition: func(t *topic.Topic) error { return t.Activate(TopicManagerActor) },
	})
}
