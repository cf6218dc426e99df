// Package handlers holds kds's Watermill handlers: each decodes a message,
// calls one use case and returns. Handler names double as Kafka consumer
// groups, so they are constants that never change.
package handlers

// Handler names; the consumer groups of the handlers that have one.
const (
	// LifecycleHandler applies commands from kds.commands.
	LifecycleHandler = "kds-lifecycle"
	// TopicManagerHandler creates and deletes topics on kds.events.
	TopicManagerHandler = "kds-topic-manager"
	// EventFeedHandler passes kds.events to this process's listeners; it
	// has no consumer group: every process reads every event.
	EventFeedHandler = "kds-event-feed"
)
