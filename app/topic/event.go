package topic

import (
	"bytes"
	"encoding/json"
	"time"
)

// EventType names an event on kds.events.
type EventType string

// Event types published on kds.events.
const (
	TopicRequested   EventType = "TopicRequested"
	TopicApproved    EventType = "TopicApproved"
	TopicRejected    EventType = "TopicRejected"
	TopicActivated   EventType = "TopicActivated"
	TopicDeactivated EventType = "TopicDeactivated"
	TopicDeleted     EventType = "TopicDeleted"
	// TopicDriftRepaired tells that Kafka had drifted from an active topic
	// and was repaired; the reason says how.
	TopicDriftRepaired EventType = "TopicDriftRepaired"
	// TopicImported tells that a topic found in Kafka is now kept by kds.
	TopicImported EventType = "TopicImported"
	// TopicUpdated tells that an active topic was changed; the topic
	// manager makes Kafka match.
	TopicUpdated EventType = "TopicUpdated"
	// TopicAccessChanged tells that ACLs were granted or revoked in Kafka
	// for the topic; the reason says which, to whom.
	TopicAccessChanged EventType = "TopicAccessChanged"
	// SubscriptionChanged tells that a consumer subscribed to a topic or
	// unsubscribed from it.
	SubscriptionChanged EventType = "SubscriptionChanged"
	// CommandRejected and CommandFailed tell waiting clients that a
	// command was refused or could not be carried out.
	CommandRejected EventType = "CommandRejected"
	CommandFailed   EventType = "CommandFailed"
)

var eventTypes = map[Action]EventType{
	Request:    TopicRequested,
	Approve:    TopicApproved,
	Reject:     TopicRejected,
	Activate:   TopicActivated,
	Deactivate: TopicDeactivated,
	Delete:     TopicDeleted,
	Repair:     TopicDriftRepaired,
	Import:     TopicImported,
	Update:     TopicUpdated,
	Access:     TopicAccessChanged,
}

// Action is the lifecycle action a transition event reports; false for
// events that report no transition.
func (t EventType) Action() (Action, bool) {
	for a, et := range eventTypes {
		if et == t {
			return a, true
		}
	}
	return "", false
}

// The changes a SubscriptionChanged event tells of.
const (
	Subscribed   = "subscribed"
	Unsubscribed = "unsubscribed"
)

// Event is the JSON document published on kds.events, keyed by topic name.
type Event struct {
	Type              EventType         `json:"type"`
	Topic             string            `json:"topic"`
	Status            Status            `json:"status,omitempty"`
	Generation        int               `json:"generation,omitempty"`
	CommandID         string            `json:"command_id,omitempty"`
	Actor             string            `json:"actor,omitempty"`
	Reason            string            `json:"reason,omitempty"`
	At                time.Time         `json:"at"`
	Partitions        int32             `json:"partitions,omitempty"`
	ReplicationFactor int16             `json:"replication_factor,omitempty"`
	Configs           map[string]string `json:"configs,omitempty"`
	// Error is set on CommandRejected and CommandFailed.
	Error string `json:"error,omitempty"`
	// ConsumerID and Subscription (Subscribed or Unsubscribed) are set on
	// SubscriptionChanged.
	ConsumerID   string `json:"consumer_id,omitempty"`
	Subscription string `json:"subscription,omitempty"`
}

// NewEvent describes transition tr, caused by command commandID at time at.
func NewEvent(tr Transition, commandID string, at time.Time) Event {
	return Event{
		Type:              tr.EventType(),
		Topic:             tr.Topic.String(),
		Status:            tr.To,
		Generation:        tr.Generation,
		CommandID:         commandID,
		Actor:             tr.Actor,
		Reason:            tr.Reason,
		At:                at,
		Partitions:        tr.Spec.Partitions,
		ReplicationFactor: tr.Spec.ReplicationFactor,
		Configs:           tr.Spec.Configs,
	}
}

// MarshalMessage encodes a command or an event as it travels on Kafka:
// JSON, with <, > and & as they are rather than six bytes each, as the
// messages are never embedded in HTML, and no newline at the end.
func MarshalMessage(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}
