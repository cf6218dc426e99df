package command

import (
	"fmt"

	"github.com/kds-io/kds/app/auth"
	"github.com/kds-io/kds/app/topic"
)

// change is what a command does to the current generation of its topic
// (nil when the name is new); see TopicRepository.Update.
type change func(current *topic.Topic) (*topic.Topic, error)

// decision is a command users may issue: who may issue it and what it
// changes. The API checks a decision against the current state before it
// queues the command, and the lifecycle handler applies the same decision
// under a lock, so the two can only disagree when the topic moved in
// between.
type decision struct {
	permission auth.Permission
	decide     func(cmd Command, limits topic.Limits) change
}

var decisions = map[Type]decision{
	RequestTopicType:    {auth.RequestTopics, requestTopic},
	ApproveTopicType:    {auth.DecideTopics, approveTopic},
	RejectTopicType:     {auth.DecideTopics, rejectTopic},
	DeactivateTopicType: {auth.DecideTopics, deactivateTopic},
}

// existing wraps a transition of a topic that must already exist.
func existing(cmd Command, transition func(*topic.Topic) error) change {
	return func(current *topic.Topic) (*topic.Topic, error) {
		if current == nil {
			return nil, &topic.NotFoundError{Topic: cmd.Topic}
		}
		return current, transition(current)
	}
}

// UnknownTypeError is returned for a command type users cannot issue.
type UnknownTypeError struct {
	Type Type
}

func (e *UnknownTypeError) Error() string {
	return fmt.Sprintf("unknown command type %q (want RequestTopic, ApproveTopic, RejectTopic or DeactivateTopic)", e.Type)
}

func decisionFor(t Type) (decision, error) {
	d, ok := decisions[t]
	if !ok {
		return decision{}, &UnknownTypeError{Type: t}
	}
	return d, nil
}
