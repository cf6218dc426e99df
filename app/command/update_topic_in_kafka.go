package command

import (
	"context"
	"errors"

	"github.com/kds-io/kds/app/topic"
)

// UpdateInKafka makes Kafka match an active topic that was updated: its
// partitions grown to the recorded count and its own configs exactly the
// recorded ones. It works from the topic as recorded now, so that updates
// that came close together end as the last one says. It records an
// internal command for the update (its id fixed by the update's, so that a
// redelivered event finds it done), applied, or failed when Kafka refuses.
func (m TopicManager) UpdateInKafka(ctx context.Context, name string, generation int, updateID string) error {
	n, err := topic.ParseName(name)
	if err != nil {
		return &MalformedError{Err: err}
	}
	t, err := dueTopic(ctx, m.topics, n, generation, topic.Active)
	if errors.Is(err, errMovedOn) {
		return nil
	}
	if err != nil {
		return err
	}
	spec := t.Spec()
	// An update may name other producers and consumers.
	inKafka := m.convergeAccess(ctx)
	if inKafka == nil {
		inKafka = m.cluster.AddPartitions(ctx, n, spec.Partitions)
	}
	if inKafka == nil {
		inKafka = m.cluster.ReplaceConfigs(ctx, n, spec.Configs)
	}
	return record(ctx, m.topics, work{
		cmdType:    UpdateTopicInKafkaType,
		transition: func(*topic.Topic) error { return nil },
		about:      updateID,
	}, []*topic.Topic{t}, []error{inKafka})[0]
}
