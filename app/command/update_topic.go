package command

import "github.com/kds-io/kds/app/topic"

// updateTopic changes an active topic to the spec and details the command
// carries, as far as Kafka can change a topic; the topic manager then
// makes Kafka match.
func updateTopic(cmd Command, limits topic.Limits) change {
	return existing(cmd, func(t *topic.Topic) error {
		return t.Update(cmd.Spec(), cmd.Details(), limits, cmd.Actor, cmd.Reason)
	})
}
