package command

import "github.com/kds-io/kds/app/topic"

// requestTopic starts a generation: the first one of a new name, or the
// next one of a name that was rejected or deleted.
func requestTopic(cmd Command, limits topic.Limits) change {
	return func(current *topic.Topic) (*topic.Topic, error) {
		if current == nil {
			name, err := topic.ParseName(cmd.Topic)
			if err != nil {
				return nil, err
			}
			return topic.New(name, cmd.Spec(), cmd.Details(), limits, cmd.Actor, cmd.Reason)
		}
		return current, current.RequestAgain(cmd.Spec(), cmd.Details(), limits, cmd.Actor, cmd.Reason)
	}
}
