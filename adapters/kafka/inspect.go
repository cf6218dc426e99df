package kafka

import (
	"context"
	"errors"
	"fmt"

	"github.com/twmb/franz-go/pkg/kerr"
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

// Inspect counts the brokers and describes the named topics in one
// metadata request, creating nothing.
func (c *Cluster) Inspect(ctx context.Context, names []string) (Inspection, error) {
	m, err := c.metadata(ctx, names)
	if err != nil {
		return Inspection{}, err
	}
	in := Inspection{Brokers: len(m.Brokers), Topics: make(map[string]TopicLayout, len(m.Topics))}
	for name, t := range topicsIn(m) {
		switch {
		case errors.Is(t.err, kerr.UnknownTopicOrPartition):
			continue
		case t.err != nil:
			return Inspection{}, fmt.Errorf("describe topic %q: %w", name, t.err)
		}
		in.Topics[name] = t.TopicLayout
	}
	return in, nil
}
