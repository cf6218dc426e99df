package apiv1

// Cluster tells clients where Kafka is.
type Cluster struct {
	KafkaBrokers []string `json:"kafka_brokers"`
	// ManagedCredentials says that kds hands each token its own Kafka
	// credentials (GET /api/v1/kafka/credentials), with kafka.manage_acls.
	ManagedCredentials bool `json:"managed_credentials,omitempty"`
}

// SubscribeRequest subscribes a consumer to a topic.
type SubscribeRequest struct {
	FromBeginning bool `json:"from_beginning,omitempty"`
}

// InstanceReport is a consumer process's heartbeat.
type InstanceReport struct {
	Host     string   `json:"host"`
	PID      int      `json:"pid"`
	Attached []string `json:"attached"`
	// Consumed counts, per topic, the messages the process delivered
	// since it started (kds_messages_consumed_total).
	Consumed map[string]int64 `json:"consumed,omitempty"`
}
