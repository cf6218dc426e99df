// Package command holds kds's use cases that change state: issuing
// lifecycle commands from the API and carrying them out in the lifecycle
// handlers and the topic manager.
package command

import (
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/kds-io/kds/app/topic"
)

// Type names a command on kds.commands and in the command log.
type Type string

// Commands users issue through the API, and the internal ones the topic
// manager records when it carries out a decision in Kafka.
const (
	RequestTopicType    Type = "RequestTopic"
	ApproveTopicType    Type = "ApproveTopic"
	RejectTopicType     Type = "RejectTopic"
	DeactivateTopicType Type = "DeactivateTopic"
	ActivateTopicType   Type = "ActivateTopic"
	DeleteTopicType     Type = "DeleteTopic"
	RepairTopicType     Type = "RepairTopic"
	ImportTopicType     Type = "ImportTopic"
	// UpdateTopicType changes an active topic to the spec and details it
	// carries; UpdateTopicInKafkaType records the topic manager making
	// Kafka match.
	UpdateTopicType        Type = "UpdateTopic"
	UpdateTopicInKafkaType Type = "UpdateTopicInKafka"
	// RecordAccessType records ACLs granted or revoked in Kafka for a
	// topic.
	RecordAccessType Type = "RecordAccess"
)

// Status is where a command is in the command log.
type Status string

// A command is queued until a handler settles it as applied, rejected (the
// lifecycle forbids it, or the input is bad) or failed (it could not be
// carried out, such as Kafka refusing a topic config).
const (
	Queued   Status = "queued"
	Applied  Status = "applied"
	Rejected Status = "rejected"
	Failed   Status = "failed"
)

// IsSettled reports whether the command has an outcome.
func (s Status) IsSettled() bool { return s != Queued }

// Command is a lifecycle command as logged in MySQL and published on
// kds.commands, keyed by topic name.
type Command struct {
	Type     Type      `json:"type"`
	ID       string    `json:"command_id"`
	Topic    string    `json:"topic"`
	Actor    string    `json:"actor"`
	Reason   string    `json:"reason,omitempty"`
	IssuedAt time.Time `json:"issued_at"`

	// Generation is the generation an internal command acts on.
	Generation int `json:"generation,omitempty"`

	// The spec asked for, by RequestTopic and UpdateTopic: all of it, for
	// an update too.
	Partitions        int32             `json:"partitions,omitempty"`
	ReplicationFactor int16             `json:"replication_factor,omitempty"`
	Configs           map[string]string `json:"configs,omitempty"`
	// The details asked for, by RequestTopic and UpdateTopic.
	Owner       string   `json:"owner,omitempty"`
	Description string   `json:"description,omitempty"`
	Producers   []string `json:"producers,omitempty"`
	Consumers   []string `json:"consumers,omitempty"`
}

// MaxCommandBytes bounds a command as it travels on kds.commands, and so
// the events that carry its spec, well below the 1 MiB Kafka takes by
// default.
const MaxCommandBytes = 64 << 10

// Encode is the command as it travels on kds.commands and is kept in the
// command log.
func (c Command) Encode() ([]byte, error) { return topic.MarshalMessage(c) }

// Spec is the topic spec a RequestTopic or UpdateTopic asks for.
func (c Command) Spec() topic.Spec {
	return topic.Spec{Partitions: c.Partitions, ReplicationFactor: c.ReplicationFactor, Configs: c.Configs}
}

// Details are the topic details a RequestTopic or UpdateTopic asks for.
func (c Command) Details() topic.Details {
	return topic.Details{Owner: c.Owner, Description: c.Description, Producers: c.Producers, Consumers: c.Consumers}
}

func newCommand(t Type, topicName, actor, reason string) Command {
	return Command{Type: t, ID: uuid.Must(uuid.NewV7()).String(), Topic: topicName, Actor: actor, Reason: reason, IssuedAt: time.Now().UTC()}
}

// internalCommandSpace namespaces the ids of internal commands.
var internalCommandSpace = uuid.MustParse("6f1d3c9e-4a52-4c55-9d7e-5b8f0b6f7a10")

// internalCommand builds a command the topic manager records for a
// generation, and for the command about when there may be several of one
// type in a generation; its id depends only on those, so a redelivered
// event finds it already handled.
func internalCommand(t Type, name topic.Name, generation int, about, actor string) Command {
	key := string(t) + "/" + name.String() + "/" + strconv.Itoa(generation)
	if about != "" {
		key += "/" + about
	}
	return Command{
		Type:       t,
		ID:         uuid.NewSHA1(internalCommandSpace, []byte(key)).String(),
		Topic:      name.String(),
		Actor:      actor,
		IssuedAt:   time.Now().UTC(),
		Generation: generation,
	}
}

// KafkaUpdateID is the id of the internal command that records the topic
// manager making Kafka match update, an UpdateTopic of topicName at
// generation: a client waits on it to know the update reached Kafka.
func KafkaUpdateID(topicName string, generation int, update string) (string, error) {
	name, err := topic.ParseName(topicName)
	if err != nil {
		return "", err
	}
	return internalCommand(UpdateTopicInKafkaType, name, generation, update, "").ID, nil
}
