package command

import (
	"context"

	"github.com/kds-io/kds/app/topic"
)

// GroupCommit is a TopicRepository whose Update joins the calls made while
// another is under way into one UpdateAll: commands and events arriving
// together, on several partitions of kds.commands and kds.events, are
// stored in one transaction with one commit. Each caller still gets its own
// change's outcome; changes of one topic arrive on one partition, one at a
// time, so they keep their order.
type GroupCommit struct {
	TopicRepository
	changes *coalescer[Change]
}

// NewGroupCommit groups the updates of topics.
func NewGroupCommit(topics TopicRepository) GroupCommit {
	return GroupCommit{TopicRepository: topics, changes: newCoalescer(topics.UpdateAll)}
}

// Update implements TopicRepository.
func (g GroupCommit) Update(ctx context.Context, cmd Command, change func(current *topic.Topic) (*topic.Topic, error)) error {
	return g.changes.do(ctx, Change{Command: cmd, Apply: change})
}
