package command

import (
	"fmt"

	"github.com/kds-io/kds/app/auth"
	"github.com/kds-io/kds/app/topic"
)

// change is what a command does to the current generation of its topic
// (nil when the name is new); see TopicRepository.Update.
type change func(current *topic.Topic) (*topic.Topic, error)

// rule is how a command users may issue works: who may issue it and what
// it changes. The API checks a command against the current state by its
// rule before it queues the command, and the lifecycle handler applies the
// same rule under a lock, so the two can only disagree when the topic
// moved in between.
type rule struct {
	permission auth.Permission
	decide     func(cmd Command, limits topic.Limits) change
}

var rules = map[Type]rule{
	RequestTopicType:    {auth.RequestTopics, requestTopic},
	ApproveTopicType:    {auth.DecideTopics, approveTopic},
	RejectTopicType:     {auth.DecideTopics, rejectTopic},
	DeactivateTopicType: {auth.DecideTopics, deactivateTopic},
	UpdateTopicType:     {auth.DecideTopics, updateTopic},
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
	return fmt.Sprintf("unknown command type %q (want RequestTopic, ApproveTopic, RejectTopic, DeactivateTopic or UpdateTopic)", e.Type)
}

func ruleFor(t Type) (rule, error) {
	r, ok := rules[t]
	if !ok {
		return rule{}, &UnknownTypeError{Type: t}
	}
	return r, nil
}
