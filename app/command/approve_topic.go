package command

import "github.com/kds-io/kds/app/topic"

// approveTopic lets a pending topic be created in Kafka by the topic manager.
func approveTopic(cmd Command, _ topic.Limits) change {
	return existing(cmd, func(t *topic.Topic) error { return t.Approve(cmd.Actor, cmd.Reason) })
}
