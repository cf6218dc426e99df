package handlers

import (
	"encoding/json"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/kds-io/kds/app/command"
	"github.com/kds-io/kds/app/topic"
)

// TopicManager makes decisions real in Kafka: it creates approved topics,
// changes updated ones and deletes deactivated ones.
type TopicManager struct {
	manager command.TopicManager
}

// AddTopicManager adds the topic manager to r, reading kds.events from
// sub; it handles only what origin verifies.
func AddTopicManager(r *message.Router, sub message.Subscriber, origin OriginVerifier, manager command.TopicManager) {
	h := TopicManager{manager: manager}
	r.AddConsumerHandler(TopicManagerHandler, topic.EventsTopic, sub, h.Handle).AddMiddleware(verified(origin))
}

// Handle acts on approvals, updates and deactivations and ignores other
// events.
func (h TopicManager) Handle(msg *message.Message) error {
	ev, err := decodeEvent(msg)
	if err != nil {
		return err
	}
	switch ev.Type {
	case topic.TopicApproved:
		return h.manager.Activate(msg.Context(), ev.Topic, ev.Generation)
	case topic.TopicUpdated:
		return h.manager.UpdateInKafka(msg.Context(), ev.Topic, ev.Generation, ev.CommandID)
	case topic.TopicDeactivated:
		return h.manager.Delete(msg.Context(), ev.Topic, ev.Generation)
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
