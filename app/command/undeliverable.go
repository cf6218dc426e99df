package command

import (
	"context"
	"encoding/json"
	"time"

	"github.com/kds-io/kds/app/topic"
)

// ForwarderHandler names the outbox's forwarder on kds.poison.
const ForwarderHandler = "kds-forwarder"

// MaxUndeliverableExcerpt is how much of a message Kafka refused is kept
// on kds.poison: Kafka would refuse all of it again.
const MaxUndeliverableExcerpt = 4 << 10

// Undeliverable is a message that Kafka refused for good on its way out of
// the outbox, such as one larger than the broker takes.
type Undeliverable struct {
	Topic   string
	Key     string
	Payload []byte
	// Reason is Kafka's.
	Reason string
}

// UndeliverableHandler records what Kafka will never take, so that the
// messages behind it can flow on: on kds.poison, the start of it with the
// reason, and for a command, as its failure, which whoever waits for the
// command then hears.
type UndeliverableHandler struct {
	queue  Queue
	poison PoisonQueue
}

// NewUndeliverableHandler fails commands in queue and records on poison.
func NewUndeliverableHandler(queue Queue, poison PoisonQueue) UndeliverableHandler {
	return UndeliverableHandler{queue: queue, poison: poison}
}

// Handle records u. It may be called again for the same message, as the
// outbox delivers at least once: a failed command stays failed.
func (h UndeliverableHandler) Handle(ctx context.Context, u Undeliverable) error {
	what := "event"
	if u.Topic == topic.CommandsTopic {
		what = "command"
	}
	reason := "Kafka refused the " + what + " for good: " + u.Reason
	// kds wrote the message to its outbox itself: it is a command as kds
	// encodes them, and one without an id is not one.
	var cmd Command
	if u.Topic == topic.CommandsTopic && json.Unmarshal(u.Payload, &cmd) == nil && cmd.ID != "" {
		if err := h.queue.Fail(ctx, cmd, reason); err != nil {
			return err
		}
	}
	excerpt := string(u.Payload)
	if len(excerpt) > MaxUndeliverableExcerpt {
		excerpt = excerpt[:MaxUndeliverableExcerpt] + "…"
	}
	return h.poison.Record(ctx, PoisonMessage{Topic: u.Topic, Key: u.Key, Handler: ForwarderHandler, Reason: reason, Payload: excerpt, At: time.Now().UTC()})
}
