package handlers

import (
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/kds-io/kds/app/topic"
)

// EventSink receives every lifecycle event this process reads.
type EventSink interface {
	Publish(topic.Event)
}

// AddEventFeed adds a handler that passes the events of kds.events that
// origin verifies to sink; sub must read without a consumer group, so that
// every process sees every event.
func AddEventFeed(r *message.Router, sub message.Subscriber, origin OriginVerifier, sink EventSink) {
	r.AddConsumerHandler(EventFeedHandler, topic.EventsTopic, sub, func(msg *message.Message) error {
		// The topic manager sends an event kds did not write, or a
		// malformed one, to kds.poison; here it is only skipped, so that it
		// is not poisoned once per process.
		if err := origin.Verify(msg); err != nil {
			noteUnverified(msg.Context())
			return nil
		}
		if ev, err := decodeEvent(msg); err == nil {
			sink.Publish(ev)
		}
		return nil
	})
}
