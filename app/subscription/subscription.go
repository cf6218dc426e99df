// Package subscription is who consumes what: a consumer (an id that one or
// more processes share) subscribes to active topics, each subscription with
// a Kafka consumer group of its own.
package subscription

import (
	"fmt"
	"time"
)

// MaxConsumerIDLength bounds a consumer id.
const MaxConsumerIDLength = 64

// ConsumerID names a consumer; processes started with the same id share
// its subscriptions and their work.
type ConsumerID string

// ParseConsumerID validates a consumer id: 1 to 64 letters, digits, '.',
// '_' or '-'.
func ParseConsumerID(s string) (ConsumerID, error) {
	if s == "" || len(s) > MaxConsumerIDLength {
		return "", &InvalidConsumerIDError{ID: s, Reason: fmt.Sprintf("use 1 to %d characters", MaxConsumerIDLength)}
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return "", &InvalidConsumerIDError{ID: s, Reason: fmt.Sprintf("character %+q is not allowed (letters, digits, '.', '_', '-')", r)}
		}
	}
	return ConsumerID(s), nil
}

// InvalidConsumerIDError is returned for a consumer id that cannot be used.
type InvalidConsumerIDError struct {
	ID     string
	Reason string
}

func (e *InvalidConsumerIDError) Error() string {
	return fmt.Sprintf("invalid consumer id %q: %s", e.ID, e.Reason)
}

// Subscription is a consumer's subscription to one generation of a topic.
// It lasts until the consumer unsubscribes or the topic leaves active.
type Subscription struct {
	ConsumerID ConsumerID `json:"consumer_id"`
	Topic      string     `json:"topic"`
	Generation int        `json:"generation"`
	// Group is the Kafka consumer group of this subscription alone, so
	// that subscribing or unsubscribing never rebalances the others.
	Group string `json:"group"`
	// FromBeginning starts a new subscription at the oldest retained
	// message instead of at new ones.
	FromBeginning bool      `json:"from_beginning"`
	CreatedBy     string    `json:"created_by"`
	CreatedAt     time.Time `json:"created_at"`
}

// Instance is one running process of a consumer.
type Instance struct {
	ID         string     `json:"id"`
	ConsumerID ConsumerID `json:"consumer_id"`
	Host       string     `json:"host"`
	PID        int        `json:"pid"`
	// Attached are the topics the process is consuming now.
	Attached  []string  `json:"attached"`
	StartedAt time.Time `json:"started_at"`
	LastSeen  time.Time `json:"last_seen"`
}

// Liveness: an instance reports every HeartbeatInterval and counts as gone
// once it has been silent for DeadAfter.
const (
	HeartbeatInterval = 2 * time.Second
	DeadAfter         = 5 * HeartbeatInterval
)

// IsAlive reports whether the instance reported recently enough.
func (i Instance) IsAlive(now time.Time) bool { return now.Sub(i.LastSeen) < DeadAfter }
