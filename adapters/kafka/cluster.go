package kafka

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kds-io/kds/app"
	"github.com/kds-io/kds/app/command"
)

// adminRetries is how many times an admin request is sent again after a
// failure that may pass, such as a controller that lost its place or a
// broker that hung up.
const adminRetries = 3

// Cluster implements command.KafkaCluster with franz-go's admin client,
// kadm. It connects when a request needs it, and again after the cluster
// was unreachable, so a process may start before Kafka does.
type Cluster struct {
	config Config
	client *kgo.Client
	admin  *kadm.Client
}

// NewCluster talks to the cluster c describes.
func NewCluster(c Config) (*Cluster, error) {
	// Admin requests go to the controller, which kgo finds again when one
	// answers NOT_CONTROLLER. A controller that stops hangs up, and kgo
	// takes a connection closed at its first answer for a client without
	// SASL and would not retry, unless told to (DESIGN.md §6).
	client, err := kgo.NewClient(append(c.kgo(), kgo.RequestRetries(adminRetries), kgo.AlwaysRetryEOF())...)
	if err != nil {
		return nil, &UnreachableError{Where: c.Where(), Err: err}
	}
	admin := kadm.NewClient(client)
	admin.SetTimeoutMillis(int32(c.RequestTimeout.Milliseconds()))
	return &Cluster{config: c, client: client, admin: admin}, nil
}

// Close releases the connections.
func (c *Cluster) Close() error {
	c.client.Close()
	return nil
}

// UnreachableError is returned when no broker answers.
type UnreachableError struct {
	Where string
	Err   error
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("cannot reach %s: %v%s", e.Where, e.Err, securityHint(e.Err))
}

func (e *UnreachableError) Unwrap() error { return e.Err }

// Is makes an UnreachableError app.ErrUnavailable.
func (e *UnreachableError) Is(target error) bool { return target == app.ErrUnavailable }

// unreachable is err, a request that got no answer, as an
// *UnreachableError, unless ctx ended first: then it is ctx's error.
func (c Config) unreachable(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return &UnreachableError{Where: c.Where(), Err: err}
}

// Ping checks that the cluster answers, for readiness.
func (c *Cluster) Ping(ctx context.Context) error {
	_, err := c.Brokers(ctx)
	return err
}

// Brokers counts the brokers the cluster has now.
func (c *Cluster) Brokers(ctx context.Context) (int, error) {
	m, err := c.metadata(ctx, []string{})
	if err != nil {
		return 0, err
	}
	return len(m.Brokers), nil
}

// metadata asks the cluster for its brokers and the named topics, every
// topic when topics is nil. kadm's Metadata and ListTopics answer from
// kgo's cache, which may be seconds old (TestKadmMetadataIsCached); kds
// needs Kafka as it is now: a reconciliation reads Kafka after MySQL so
// that a topic activated in between is not taken for missing.
func (c *Cluster) metadata(ctx context.Context, topics []string) (*kmsg.MetadataResponse, error) {
	resp, err := metadataRequest(topics).RequestWith(ctx, c.client)
	if err != nil {
		return nil, c.config.unreachable(ctx, err)
	}
	return resp, nil
}

// metadataRequest asks about the named topics, every topic when topics is
// nil, and creates none.
func metadataRequest(topics []string) *kmsg.MetadataRequest {
	req := kmsg.NewPtrMetadataRequest()
	req.AllowAutoTopicCreation = false
	if topics != nil {
		req.Topics = make([]kmsg.MetadataRequestTopic, len(topics))
		for i, t := range topics {
			req.Topics[i] = kmsg.NewMetadataRequestTopic()
			req.Topics[i].Topic = kmsg.StringPtr(t)
		}
	}
	return req
}

// topicMetadata is a topic's layout as a metadata response has it, or the
// error the broker gave for it.
type topicMetadata struct {
	TopicLayout
	err error
}

// topicsIn reads the topics of a metadata response, by name.
func topicsIn(m *kmsg.MetadataResponse) map[string]topicMetadata {
	out := make(map[string]topicMetadata, len(m.Topics))
	for _, t := range m.Topics {
		if t.Topic == nil {
			continue
		}
		tm := topicMetadata{TopicLayout: TopicLayout{Partitions: int32(len(t.Partitions))}, err: kerr.ErrorForCode(t.ErrorCode)}
		if len(t.Partitions) > 0 {
			tm.ReplicationFactor = int16(len(t.Partitions[0].Replicas))
		}
		out[*t.Topic] = tm
	}
	return out
}

// refusals are broker answers that retrying cannot change.
var refusals = []error{
	kerr.InvalidTopicException, kerr.InvalidPartitions, kerr.InvalidReplicationFactor,
	kerr.InvalidReplicaAssignment, kerr.InvalidConfig, kerr.PolicyViolation,
	kerr.TopicAuthorizationFailed, kerr.ClusterAuthorizationFailed, kerr.InvalidRequest,
	kerr.TopicDeletionDisabled,
}

// classify turns a broker's answer err, with the message it gave, into a
// *command.ClusterRefusedError when it is a refusal, and leaves other
// errors, such as a controller that moved, to be retried.
func classify(op, name string, err error, message string) error {
	if err == nil {
		return nil
	}
	for _, r := range refusals {
		if errors.Is(err, r) {
			return &command.ClusterRefusedError{Op: op, Topic: name, Reason: reason(err, message), Err: err}
		}
	}
	return fmt.Errorf("%s topic %q: %w", op, name, err)
}

// reason is the broker's own explanation when it gave one, else what its
// error code means.
func reason(err error, message string) string {
	var ke *kerr.Error
	if message == "" && errors.As(err, &ke) {
		message = ke.Description
	}
	if message == "" {
		message = err.Error()
	}
	return strings.TrimSuffix(message, ".")
}
