package kafka

import (
	"context"

	"github.com/IBM/sarama"

	"github.com/kds-io/kds/app/command"
	"github.com/kds-io/kds/app/topic"
)

// Topics implements command.KafkaCluster, in two requests whatever the
// number of topics: metadata, then every topic's configs at once.
func (c *Cluster) Topics(ctx context.Context) (map[string]command.KafkaTopic, error) {
	return withContext(ctx, func() (map[string]command.KafkaTopic, error) {
		_, admin, err := c.connect()
		if err != nil {
			return nil, err
		}
		details, err := admin.ListTopics()
		if err != nil {
			return nil, &UnreachableError{Where: c.config.Where(), Err: err}
		}
		out := make(map[string]command.KafkaTopic, len(details))
		for name, d := range details {
			configs := make(map[string]string, len(d.ConfigEntries))
			for k, v := range d.ConfigEntries {
				if v != nil {
					configs[k] = *v
				}
			}
			out[name] = command.KafkaTopic{Partitions: d.NumPartitions, ReplicationFactor: d.ReplicationFactor, Configs: configs}
		}
		return out, nil
	})
}

// AddPartitions implements command.KafkaCluster.
func (c *Cluster) AddPartitions(ctx context.Context, name topic.Name, count int32) error {
	return withContextErr(ctx, func() error {
		_, admin, err := c.connect()
		if err != nil {
			return err
		}
		return classify("add partitions to", name.String(), admin.CreatePartitions(name.String(), count, nil, false))
	})
}

// SetConfigs implements command.KafkaCluster.
func (c *Cluster) SetConfigs(ctx context.Context, name topic.Name, configs map[string]string) error {
	return withContextErr(ctx, func() error {
		_, admin, err := c.connect()
		if err != nil {
			return err
		}
		entries := make(map[string]sarama.IncrementalAlterConfigsEntry, len(configs))
		for k, v := range configs {
			entries[k] = sarama.IncrementalAlterConfigsEntry{Operation: sarama.IncrementalAlterConfigsOperationSet, Value: &v}
		}
		return classify("configure", name.String(), admin.IncrementalAlterConfig(sarama.TopicResource, name.String(), entries, false))
	})
}
