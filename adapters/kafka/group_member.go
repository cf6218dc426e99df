package kafka

import (
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

const (
	// commitInterval is how often kds's group members on franz-go commit
	// the offsets they marked, as Sarama commits them.
	commitInterval = time.Second
	// redeliverAfter is how long a nacked message waits before it is
	// handed out again, as Watermill's Kafka subscriber waits.
	redeliverAfter = 100 * time.Millisecond
)

// memberOptions are the franz-go options of a member of group that reads
// topicName, starting at start where the group has no offset, as static
// member instance unless instance is empty. It commits the offsets it is
// told to mark, and rebalances wait while a poll's records are being
// taken in (AllowRebalance), so that a revocation sees every record of its
// partitions.
func (c Config) memberOptions(group, topicName string, start Start, instance string) []kgo.Opt {
	timeouts := c.Groups.timeouts()
	reset := kgo.NewOffset().AtStart()
	if start == FromNewest {
		reset = kgo.NewOffset().AtEnd()
	}
	opts := append(c.kgo(),
		kgo.ConsumerGroup(group),
		kgo.ConsumeTopics(topicName),
		kgo.ConsumeResetOffset(reset),
		// Sarama's strategy, so that a group keeps working while its
		// members move from one subscriber to the other.
		kgo.Balancers(kgo.RangeBalancer()),
		kgo.SessionTimeout(timeouts.session),
		kgo.HeartbeatInterval(timeouts.heartbeat),
		kgo.RebalanceTimeout(timeouts.rebalance),
		kgo.BlockRebalanceOnPoll(),
		kgo.AutoCommitMarks(),
		kgo.AutoCommitInterval(commitInterval),
		// A consumer process may hold a thousand of these clients: none
		// pushes metrics to the broker, and none has a producer's
		// partitioner.
		kgo.DisableClientMetrics(),
		kgo.RecordPartitioner(kgo.ManualPartitioner()),
	)
	if instance != "" {
		opts = append(opts, kgo.InstanceID(instance))
	}
	return opts
}
