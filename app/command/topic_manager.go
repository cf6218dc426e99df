package command

// TopicManager makes the lifecycle real in Kafka: it creates approved
// topics and deletes deactivated ones, then records that it did.
type TopicManager struct {
	topics  TopicRepository
	cluster KafkaCluster
}

// NewTopicManager changes cluster and records it in topics.
func NewTopicManager(topics TopicRepository, cluster KafkaCluster) TopicManager {
	return TopicManager{topics: topics, cluster: cluster}
}
