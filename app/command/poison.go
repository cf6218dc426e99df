package command

import (
	"context"
	"fmt"
	"time"

	"github.com/kds-io/kds/app/auth"
)

// PoisonMessage is a message that a handler could never process, kept on
// kds.poison with the reason.
type PoisonMessage struct {
	ID string `json:"id"`
	// Topic is where the message came from, such as kds.events.
	Topic   string    `json:"topic"`
	Key     string    `json:"key,omitempty"`
	Handler string    `json:"handler"`
	Reason  string    `json:"reason"`
	Payload string    `json:"payload"`
	At      time.Time `json:"at"`
	// Signed says that kds wrote the message as it is: only such a
	// message is requeued.
	Signed bool `json:"signed"`
}

// PoisonQueue is kds.poison.
type PoisonQueue interface {
	// List returns the poison messages, oldest first.
	List(ctx context.Context) ([]PoisonMessage, error)
	// Record keeps a message that never reached its topic, with the reason.
	Record(ctx context.Context, m PoisonMessage) error
	// Requeue publishes the poison message with this id again on the topic
	// it came from, signed anew; a *PoisonNotFoundError when there is none,
	// an *UnverifiedPoisonError when it is not signed by kds.
	Requeue(ctx context.Context, id string) (PoisonMessage, error)
}

// PoisonNotFoundError is returned for an unknown poison message id.
type PoisonNotFoundError struct {
	ID string
}

func (e *PoisonNotFoundError) Error() string {
	return fmt.Sprintf("no poison message %q", e.ID)
}

// UnverifiedPoisonError refuses to requeue a poison message that is not
// signed by kds: one kds did not write, or what the forwarder kept of a
// message Kafka refused. Replaying it would lend it kds's signature.
type UnverifiedPoisonError struct {
	ID     string
	Reason string
}

func (e *UnverifiedPoisonError) Error() string {
	return fmt.Sprintf("poison message %s is not signed by kds (%s): it is never requeued", e.ID, e.Reason)
}

// Poison shows poison messages and replays them once their cause is fixed.
type Poison struct {
	queue PoisonQueue
}

// NewPoison works on queue.
func NewPoison(queue PoisonQueue) Poison { return Poison{queue: queue} }

// List returns the poison messages.
func (p Poison) List(ctx context.Context, by auth.Principal) ([]PoisonMessage, error) {
	if err := auth.Authorize(by, auth.ReadTopics); err != nil {
		return nil, err
	}
	return p.queue.List(ctx)
}

// Requeue replays a poison message on the topic it came from, where its
// handler takes it again; an admin does this once the cause is fixed.
func (p Poison) Requeue(ctx context.Context, by auth.Principal, id string) (PoisonMessage, error) {
	if err := auth.Authorize(by, auth.DecideTopics); err != nil {
		return PoisonMessage{}, err
	}
	return p.queue.Requeue(ctx, id)
}
