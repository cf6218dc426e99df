package command

import "github.com/kds-io/kds/app/topic"

// rejectTopic refuses a pending topic, ending its generation.
func rejectTopic(cmd Command, _ topic.Limits) change {
	return existing(cmd, func(t *topic.Topic) error { return t.Reject(cmd.Actor, cmd.Reason) })
}
