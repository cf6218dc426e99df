package handlers

import (
	"encoding/json"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/kds-io/kds/app/command"
	"github.com/kds-io/kds/app/topic"
)

// TopicManager makes decisions real in Kafka: it creates approved topics
// and deletes deactivated ones.
type TopicManager struct {
	activate command.ActivateTopicHandler
	del      command.DeleteTopicHandler
}

// AddTopicManager adds the topic manager to r, reading kds.events from sub.
func AddTopicManager(r *message.Router, sub message.Subscriber, activate command.ActivateTopicHandler, del command.DeleteTopicHandler) {
	h := TopicManager{activate: activate, del: del}
	r.AddConsumerHandler(TopicManagerHandler, topic.EventsTopic, sub, h.Handle)
}

// Handle acts on approvals and deactivations and ignores other events.
func (h TopicManager) Handle(msg *message.Message) error {
	ev, err := decodeEvent(msg)
	if err != nil {
		return err
	}
	switch ev.Type {
	case topic.TopicApproved:
		return h.activate.Handle(msg.Context(), command.ActivateTopic{Topic: ev.Topic, Generation: ev.Generation})
	case topic.TopicDeactivated:
		return h.del.Handle(msg.Context(), command.DeleteTopic{Topic: ev.Topic, Generation: ev.Generation})
	}
	return nil
}

func decodeEvent(msg *message.Message) (topic.Event, error) {
	var ev topic.Event
	if err := json.Unmarshal(msg.Payload, &ev); err != nil {
		return ev, &command.MalformedError{Err: err}
	}
	return ev, nil
}
