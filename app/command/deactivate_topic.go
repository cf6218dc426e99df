package command

import "github.com/kds-io/kds/app/topic"

// deactivateTopic closes an active topic; the topic manager then deletes it
// from Kafka.
func deactivateTopic(cmd Command, _ topic.Limits) change {
	return existing(cmd, func(t *topic.Topic) error { return t.Deactivate(cmd.Actor, cmd.Reason) })
}
