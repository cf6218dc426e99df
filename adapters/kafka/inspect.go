package kafka

import (
	"context"
	"errors"
	"fmt"

	"github.com/IBM/sarama"
)

// TopicLayout is a topic's partitions and replication factor as the
// cluster reports them.
type TopicLayout struct {
	Partitions        int32
	ReplicationFactor int16
}

// Inspection is what kds doctor reads from the cluster.
type Inspection struct {
	Brokers int
	// Topics has the layout of each named topic that exists.
	Topics map[string]TopicLayout
}

// Inspect counts the brokers and describes the named topics, creating
// nothing.
func (c *Cluster) Inspect(ctx context.Context, names []string) (Inspection, error) {
	return withContext(ctx, func() (Inspection, error) {
		_, admin, err := c.connect()
		if err != nil {
			return Inspection{}, err
		}
		brokers, err := c.brokerCount(admin)
		if err != nil {
			return Inspection{}, err
		}
		metas, err := admin.DescribeTopics(names)
		if err != nil {
			return Inspection{}, &UnreachableError{Where: c.config.Where(), Err: err}
		}
		in := Inspection{Brokers: brokers, Topics: make(map[string]TopicLayout, len(metas))}
		for _, m := range metas {
			switch {
			case errors.Is(m.Err, sarama.ErrUnknownTopicOrPartition):
				continue
			case !errors.Is(m.Err, sarama.ErrNoError):
				return Inspection{}, fmt.Errorf("describe topic %q: %w", m.Name, m.Err)
			}
			in.Topics[m.Name] = layoutOf(m)
		}
		return in, nil
	})
}

// layoutOf reads a topic's layout from its metadata.
func layoutOf(m *sarama.TopicMetadata) TopicLayout {
	l := TopicLayout{Partitions: int32(len(m.Partitions))}
	if len(m.Partitions) > 0 {
		l.ReplicationFactor = int16(len(m.Partitions[0].Replicas))
	}
	return l
}
