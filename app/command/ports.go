package command

import (
	"context"
	"time"

	"github.com/kds-io/kds/app/subscription"
	"github.com/kds-io/kds/app/topic"
)

// TopicRepository stores topics. Every change is one transaction holding
// the topic's new state, its transitions, the events they publish on
// kds.events and the outcome of the command that caused them.
type TopicRepository interface {
	// Get returns the current generation of a topic, or a
	// *topic.NotFoundError.
	Get(ctx context.Context, name topic.Name) (*topic.Topic, error)
	// All returns the current generation of every topic.
	All(ctx context.Context) ([]*topic.Topic, error)
	// GetAll returns the current generation of each of names that exists,
	// by name; a name that does not exist is left out.
	GetAll(ctx context.Context, names []topic.Name) (map[topic.Name]*topic.Topic, error)

	// Update locks the current generation of the topic cmd names (nil when
	// the name is new) and passes it to change. The topic change returns is
	// stored with cmd recorded as applied. When change returns a refusal
	// (IsRefusal) or a *FailedError, nothing but cmd's outcome is stored and
	// the error is returned. A command applied or rejected before is not
	// run again: Update returns ErrAlreadyHandled.
	Update(ctx context.Context, cmd Command, change func(current *topic.Topic) (*topic.Topic, error)) error
	// UpdateAll is Update for each of changes, in order, each change seeing
	// the topic as the ones before it left it; it returns one error per
	// change, the one Update would. They are stored together, in one
	// transaction where they can be: a change whose error is neither a
	// refusal nor a *FailedError, or a store that fails, leaves every other
	// change as if each had been made alone.
	UpdateAll(ctx context.Context, changes []Change) []error

	// LiveCollision returns the name of the live (not rejected or deleted)
	// topic whose name differs from name only by '.' versus '_', or "" when
	// there is none. The topic named name itself does not count.
	LiveCollision(ctx context.Context, name topic.Name) (string, error)
}

// Change is a command and what it does to the current generation of its
// topic, as Update takes them.
type Change struct {
	Command Command
	Apply   func(current *topic.Topic) (*topic.Topic, error)
}

// ReconciliationLog keeps what reconciliations found.
type ReconciliationLog interface {
	Record(ctx context.Context, r Reconciliation) error
}

// Queue accepts commands for the lifecycle handlers.
type Queue interface {
	// Enqueue logs every command as queued and publishes them on
	// kds.commands, all in one transaction.
	Enqueue(ctx context.Context, cmds ...Command) error
	// Fail records a queued command that can never reach its handler as
	// failed with reason, and publishes CommandFailed; a command settled
	// already is left as it is.
	Fail(ctx context.Context, cmd Command, reason string) error
}

// KafkaCluster is the Kafka the topic manager keeps in line with MySQL.
// Errors the broker will repeat whatever happens are *ClusterRefusedError.
//
// CreateTopics, DeleteTopics and ValidateTopics take any number of topics
// and return one error per topic, in the order given, nil for each that
// succeeded; how many requests that takes is the cluster's business, so
// callers hand them every topic they have at once.
type KafkaCluster interface {
	// CreateTopics creates topics; one that already exists with the same
	// partitions and replication factor counts as created.
	CreateTopics(ctx context.Context, topics []Creation) []error
	// DeleteTopics deletes topics; one already gone counts as deleted.
	DeleteTopics(ctx context.Context, names []topic.Name) []error
	// ValidateTopics asks the broker whether it would create topics,
	// without creating them.
	ValidateTopics(ctx context.Context, topics []Creation) []error
	// Topics describes every topic in the cluster, by name.
	Topics(ctx context.Context) (map[string]KafkaTopic, error)
	// AddPartitions grows a topic to count partitions; one that has that
	// many already is left as it is.
	AddPartitions(ctx context.Context, name topic.Name, count int32) error
	// ReplaceConfigs makes a topic's own configs exactly configs: it sets
	// them, and returns every other config set on the topic itself to the
	// broker's default.
	ReplaceConfigs(ctx context.Context, name topic.Name, configs map[string]string) error
}

// Creation is a topic to create, or to ask the broker about.
type Creation struct {
	Name topic.Name
	Spec topic.Spec
}

// KafkaTopic is a topic as Kafka has it; Configs holds only what differs
// from the broker's defaults.
type KafkaTopic struct {
	Partitions        int32
	ReplicationFactor int16
	Configs           map[string]string
}

// SubscriptionRepository stores subscriptions and the consumer processes
// that report to kds. Subscribing and unsubscribing publish
// SubscriptionChanged on kds.events in the same transaction.
type SubscriptionRepository interface {
	// Subscribe stores sub, unless the consumer is already subscribed to
	// that generation of the topic: then the existing subscription is
	// returned and created is false.
	Subscribe(ctx context.Context, sub subscription.Subscription) (stored subscription.Subscription, created bool, err error)
	// Unsubscribe ends the consumer's subscription to the topic, or returns
	// a *NotSubscribedError.
	Unsubscribe(ctx context.Context, consumer subscription.ConsumerID, topic, actor string) error
	// EndAll ends, for each topic of deleted, every subscription to it at
	// the generation deleted names or an earlier one, all together, and
	// returns how many it ended.
	EndAll(ctx context.Context, deleted map[string]int, actor string) (int, error)
	// Report records that an instance is alive and what it consumes.
	Report(ctx context.Context, inst subscription.Instance) error
	// Leave forgets an instance that stopped.
	Leave(ctx context.Context, consumer subscription.ConsumerID, instanceID string) error
	// AttachedTo lists, by topic, the instances alive since aliveSince that
	// still consume each of topics; a topic nothing consumes is left out.
	AttachedTo(ctx context.Context, topics []string, aliveSince time.Time) (map[string][]subscription.Instance, error)
}
