package command

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/kds-io/kds/app/subscription"
	"github.com/kds-io/kds/app/topic"
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
	// access, when set, makes Kafka's ACLs follow the lifecycle.
	access AccessKeeper
	// activations and deletions carry out together the events that arrive
	// together: one request to Kafka and one transaction for them all.
	activations, deletions *coalescer[target]
}

// NewTopicManager changes cluster and records it in topics; before it
// deletes a topic it waits up to detachTimeout for the consumers in subs to
// detach from it. Reconciliations are kept in log.
func NewTopicManager(topics TopicRepository, cluster KafkaCluster, subs SubscriptionRepository, log ReconciliationLog, detachTimeout time.Duration) TopicManager {
	return TopicManager{topics: topics, cluster: cluster, subs: subs, log: log, detachTimeout: detachTimeout}.coalescing()
}

// coalescing gives m coalescers of its own: they carry out the work of
// the TopicManager they were made with, so every copy that changes m's
// fields makes them anew.
func (m TopicManager) coalescing() TopicManager {
	m.activations, m.deletions = newCoalescer(m.activateAll), newCoalescer(m.deleteAll)
	return m
}

// WithAccess makes the topic manager grant a topic's ACLs before it
// creates the topic, and revoke them before it deletes it.
func (m TopicManager) WithAccess(k AccessKeeper) TopicManager {
	m.access = k
	return m.coalescing()
}

// convergeAccess brings Kafka's ACLs in line with kds, when it manages
// them.
func (m TopicManager) convergeAccess(ctx context.Context) error {
	if m.access == nil {
		return nil
	}
	if _, err := m.access.Converge(ctx, TopicManagerActor); err != nil {
		return fmt.Errorf("converge Kafka's ACLs: %w", err)
	}
	return nil
}

// detachPoll is how often deletion looks again for consumers still attached.
const detachPoll = 25 * time.Millisecond

// awaitDetached waits until no live consumer process consumes any of
// names, or the timeout passes; it describes, by topic, the processes
// still attached then. Deleting a topic does not end Kafka subscriptions
// to it, so consumers are given the chance to leave first.
func (m TopicManager) awaitDetached(ctx context.Context, names []topic.Name) (map[string]string, error) {
	deadline := time.Now().Add(m.detachTimeout)
	waiting := make([]string, len(names))
	for i, n := range names {
		waiting[i] = n.String()
	}
	notes := map[string]string{}
	for {
		attached, err := m.subs.AttachedTo(ctx, waiting, time.Now().Add(-subscription.DeadAfter))
		if err != nil {
			return nil, fmt.Errorf("look for consumers of %d topics: %w", len(waiting), err)
		}
		var still []string
		for _, name := range waiting {
			insts := attached[name]
			if len(insts) == 0 {
				continue
			}
			still = append(still, name)
			if time.Now().After(deadline) {
				who := make([]string, len(insts))
				for i, in := range insts {
					who[i] = fmt.Sprintf("%s (%s pid %d)", in.ConsumerID, in.Host, in.PID)
				}
				notes[name] = fmt.Sprintf("consumers still attached after %s were cut off: %s", m.detachTimeout, strings.Join(who, ", "))
			}
		}
		if len(still) == 0 || time.Now().After(deadline) {
			return notes, nil
		}
		waiting = still
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(detachPoll):
		}
	}
}
