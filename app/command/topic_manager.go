package command

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/kds-io/kds/app/subscription"
)

// TopicManager makes the lifecycle real in Kafka: it creates approved
// topics and deletes deactivated ones, then records that it did.
type TopicManager struct {
	topics  TopicRepository
	cluster KafkaCluster
	subs    SubscriptionRepository
	log     ReconciliationLog
	// detachTimeout bounds how long deletion waits for consumers to let go
	// of a deactivated topic.
	detachTimeout time.Duration
}

// NewTopicManager changes cluster and records it in topics; before it
// deletes a topic it waits up to detachTimeout for the consumers in subs to
// detach from it. Reconciliations are kept in log.
func NewTopicManager(topics TopicRepository, cluster KafkaCluster, subs SubscriptionRepository, log ReconciliationLog, detachTimeout time.Duration) TopicManager {
	return TopicManager{topics: topics, cluster: cluster, subs: subs, log: log, detachTimeout: detachTimeout}
}

// detachPoll is how often deletion looks again for consumers still attached.
const detachPoll = 25 * time.Millisecond

// awaitDetached waits until no live consumer process consumes the topic,
// or the timeout passes; it describes the processes still attached then.
// Deleting a topic does not end Kafka subscriptions to it, so consumers are
// given the chance to leave first.
func (m TopicManager) awaitDetached(ctx context.Context, name string) (string, error) {
	deadline := time.Now().Add(m.detachTimeout)
	for {
		insts, err := m.subs.AttachedTo(ctx, name, time.Now().Add(-subscription.DeadAfter))
		if err != nil {
			return "", fmt.Errorf("look for consumers of %q: %w", name, err)
		}
		if len(insts) == 0 {
			return "", nil
		}
		if time.Now().After(deadline) {
			still := make([]string, len(insts))
			for i, in := range insts {
				still[i] = fmt.Sprintf("%s (%s pid %d)", in.ConsumerID, in.Host, in.PID)
			}
			return fmt.Sprintf("consumers still attached after %s were cut off: %s", m.detachTimeout, strings.Join(still, ", ")), nil
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(detachPoll):
		}
	}
}
