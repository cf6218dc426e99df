// Package query holds kds's read side: the views the API, the CLI and the
// dashboard show.
package query

import (
	"context"
	"time"

	"github.com/kds-io/kds/app/command"
	"github.com/kds-io/kds/app/subscription"
	"github.com/kds-io/kds/app/topic"
)

// Topic is a topic as shown to people and scripts.
type Topic struct {
	Name              string            `json:"name"`
	Status            topic.Status      `json:"status"`
	Generation        int               `json:"generation"`
	Partitions        int32             `json:"partitions"`
	ReplicationFactor int16             `json:"replication_factor"`
	Configs           map[string]string `json:"configs"`
	RequestedBy       string            `json:"requested_by"`
	// Owner and Description are who the topic belongs to and what it is
	// for.
	Owner       string `json:"owner,omitempty"`
	Description string `json:"description,omitempty"`
	// Producers and Consumers are the token names and consumer ids the
	// request named.
	Producers []string `json:"producers,omitempty"`
	Consumers []string `json:"consumers,omitempty"`
	// RequestedAt is when the current generation was requested.
	RequestedAt time.Time `json:"requested_at"`
	UpdatedAt   time.Time `json:"updated_at"`
	// Error is why the topic manager could not carry out the last decision,
	// such as Kafka refusing to create the topic; empty when nothing failed.
	Error string `json:"error,omitempty"`
}

// Transition is one recorded move of a topic.
type Transition struct {
	Topic      string       `json:"topic"`
	Generation int          `json:"generation"`
	Action     topic.Action `json:"action"`
	From       topic.Status `json:"from,omitempty"`
	To         topic.Status `json:"to"`
	Actor      string       `json:"actor"`
	Reason     string       `json:"reason,omitempty"`
	CommandID  string       `json:"command_id"`
	At         time.Time    `json:"at"`
}

// Command is a logged command with its outcome.
type Command struct {
	command.Command
	Status    command.Status `json:"status"`
	Error     string         `json:"error,omitempty"`
	HandledAt *time.Time     `json:"handled_at,omitempty"`
}

// TopicFilter narrows a topic listing; the zero filter lists every topic
// in every status.
type TopicFilter struct {
	Status topic.Status
}

// CommandFilter narrows a command listing.
type CommandFilter struct {
	Topic  string
	Status command.Status
	Limit  int
}

// ReadModel answers queries from the stored state.
type ReadModel interface {
	Topics(ctx context.Context, f TopicFilter) ([]Topic, error)
	// Topic returns a *topic.NotFoundError for an unknown name.
	Topic(ctx context.Context, name string) (Topic, error)
	// History lists every transition of every generation, oldest first,
	// or a *topic.NotFoundError.
	History(ctx context.Context, name string) ([]Transition, error)
	// Command returns a *CommandNotFoundError for an unknown id.
	Command(ctx context.Context, id string) (Command, error)
	Commands(ctx context.Context, f CommandFilter) ([]Command, error)
	// Consumers lists the consumers with these ids, or all of them.
	Consumers(ctx context.Context, ids ...subscription.ConsumerID) ([]Consumer, error)
	// LatestReconciliation is what the last comparison of MySQL with Kafka
	// found; false when none has run.
	LatestReconciliation(ctx context.Context) (command.Reconciliation, bool, error)
}

// CommandNotFoundError is returned for an unknown command id.
type CommandNotFoundError struct {
	ID string
}

func (e *CommandNotFoundError) Error() string { return "command " + e.ID + " not found" }
