package apiv1

import (
	"github.com/kds-io/kds/app/command"
	"github.com/kds-io/kds/app/query"
)

// TopicRequest asks for a new topic; zero partitions or replication factor
// take the server's defaults.
type TopicRequest struct {
	Name              string            `json:"name"`
	Partitions        int32             `json:"partitions,omitempty"`
	ReplicationFactor int16             `json:"replication_factor,omitempty"`
	Configs           map[string]string `json:"configs,omitempty"`
	// Owner is who the topic belongs to (the caller's name when empty) and
	// Description what it is for.
	Owner       string `json:"owner,omitempty"`
	Description string `json:"description,omitempty"`
	// Producers are token names that may write besides the owner, and
	// Consumers consumer ids that may read: provisioned at approval.
	Producers []string `json:"producers,omitempty"`
	Consumers []string `json:"consumers,omitempty"`
	Reason    string   `json:"reason,omitempty"`
	// DryRun checks the request, the broker included, and queues nothing.
	DryRun bool `json:"dry_run,omitempty"`
}

// TopicUpdate is what an active topic is to become: the whole spec and
// details, not a difference. Kafka can add partitions and change configs;
// fewer partitions and another replication factor are refused.
type TopicUpdate struct {
	Partitions        int32             `json:"partitions"`
	ReplicationFactor int16             `json:"replication_factor"`
	Configs           map[string]string `json:"configs,omitempty"`
	Owner             string            `json:"owner,omitempty"`
	Description       string            `json:"description,omitempty"`
	Producers         []string          `json:"producers,omitempty"`
	Consumers         []string          `json:"consumers,omitempty"`
	Reason            string            `json:"reason,omitempty"`
}

// Decision carries the reason for an approve, reject or deactivate.
type Decision struct {
	Reason string `json:"reason,omitempty"`
}

// CommandResponse answers a command: queued, or only checked on a dry run.
type CommandResponse struct {
	Command query.Command `json:"command"`
	DryRun  bool          `json:"dry_run,omitempty"`
}

// BatchRequest issues several commands at once: all are queued, or none.
type BatchRequest struct {
	Commands []BatchCommand `json:"commands"`
}

// BatchCommand is one command of a batch.
type BatchCommand struct {
	Type              command.Type      `json:"type"`
	Topic             string            `json:"topic"`
	Reason            string            `json:"reason,omitempty"`
	Partitions        int32             `json:"partitions,omitempty"`
	ReplicationFactor int16             `json:"replication_factor,omitempty"`
	Configs           map[string]string `json:"configs,omitempty"`
	Owner             string            `json:"owner,omitempty"`
	Description       string            `json:"description,omitempty"`
	Producers         []string          `json:"producers,omitempty"`
	Consumers         []string          `json:"consumers,omitempty"`
}

// BatchResponse lists the queued commands in the order asked.
type BatchResponse struct {
	Commands []query.Command `json:"commands"`
}
