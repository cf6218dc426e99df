package kafka

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/IBM/sarama"

	"github.com/kds-io/kds/app/command"
	"github.com/kds-io/kds/app/topic"
)

// Cluster implements command.KafkaCluster with Sarama's admin client. It
// connects on first use and again after the cluster was unreachable, so a
// process may start before Kafka does.
type Cluster struct {
	config Config
	client *lazyClient
}

// NewCluster talks to the cluster c describes.
func NewCluster(c Config) *Cluster {
	return &Cluster{config: c, client: newLazyClient(c, c.sarama())}
}

// connect returns the client and an admin client on it, which is never
// closed: closing it closes the client, which Close does.
func (c *Cluster) connect() (sarama.Client, sarama.ClusterAdmin, error) {
	client, err := c.client.get()
	if err != nil {
		return nil, nil, err
	}
	admin, err := sarama.NewClusterAdminFromClient(client)
	if err != nil {
		return nil, nil, &UnreachableError{Where: c.config.Where(), Err: err}
	}
	return client, admin, nil
}

// Close releases the connections.
func (c *Cluster) Close() error { return c.client.close() }

// UnreachableError is returned when no broker answers.
type UnreachableError struct {
	Where string
	Err   error
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("cannot reach %s: %v%s", e.Where, e.Err, securityHint(e.Err))
}

func (e *UnreachableError) Unwrap() error { return e.Err }

// Ping checks that the cluster answers, for readiness.
func (c *Cluster) Ping(ctx context.Context) error {
	_, err := c.Brokers(ctx)
	return err
}

// Brokers counts the brokers the cluster has now.
func (c *Cluster) Brokers(ctx context.Context) (int, error) {
	return withContext(ctx, func() (int, error) {
		_, admin, err := c.connect()
		if err != nil {
			return 0, err
		}
		return c.brokerCount(admin)
	})
}

// brokerCount asks the cluster for its brokers.
func (c *Cluster) brokerCount(admin sarama.ClusterAdmin) (int, error) {
	brokers, _, err := admin.DescribeCluster()
	if err != nil {
		return 0, &UnreachableError{Where: c.config.Where(), Err: err}
	}
	return len(brokers), nil
}

// CreateTopics implements command.KafkaCluster in one CreateTopics
// request.
func (c *Cluster) CreateTopics(ctx context.Context, topics []command.Creation) []error {
	return c.batch(ctx, len(topics), func() []error { return c.createTopics(creations(topics)) })
}

// DeleteTopics implements command.KafkaCluster in one DeleteTopics
// request.
func (c *Cluster) DeleteTopics(ctx context.Context, names []topic.Name) []error {
	return c.batch(ctx, len(names), func() []error { return c.deleteTopics(names) })
}

// ValidateTopics implements command.KafkaCluster in one validate-only
// CreateTopics request.
func (c *Cluster) ValidateTopics(ctx context.Context, topics []command.Creation) []error {
	return c.batch(ctx, len(topics), func() []error { return c.validateTopics(creations(topics)) })
}

// batch runs send for n topics unless there are none, and answers each
// with ctx's error when ctx ends first.
func (c *Cluster) batch(ctx context.Context, n int, send func() []error) []error {
	if n == 0 {
		return nil
	}
	errs, err := withContext(ctx, func() ([]error, error) { return send(), nil })
	if err != nil {
		return allFailed(n, err)
	}
	return errs
}

func creations(topics []command.Creation) []creation {
	out := make([]creation, len(topics))
	for i, t := range topics {
		out[i] = creation{name: t.Name, spec: t.Spec}
	}
	return out
}

// EnsureTopics creates the given topics unless they exist, as kds does
// for its internal topics at start.
func (c *Cluster) EnsureTopics(ctx context.Context, names []string, spec topic.Spec) error {
	return withContextErr(ctx, func() error {
		_, admin, err := c.connect()
		if err != nil {
			return err
		}
		for _, n := range names {
			err := admin.CreateTopic(n, detail(spec), false)
			if err != nil && !errors.Is(err, sarama.ErrTopicAlreadyExists) {
				return classify("create", n, err)
			}
		}
		return nil
	})
}

func detail(spec topic.Spec) *sarama.TopicDetail {
	entries := make(map[string]*string, len(spec.Configs))
	for k, v := range spec.Configs {
		entries[k] = &v
	}
	return &sarama.TopicDetail{NumPartitions: spec.Partitions, ReplicationFactor: spec.ReplicationFactor, ConfigEntries: entries}
}

// refusals are broker answers that retrying cannot change.
var refusals = []sarama.KError{
	sarama.ErrInvalidTopic, sarama.ErrInvalidPartitions, sarama.ErrInvalidReplicationFactor,
	sarama.ErrInvalidReplicaAssignment, sarama.ErrInvalidConfig, sarama.ErrPolicyViolation,
	sarama.ErrTopicAuthorizationFailed, sarama.ErrClusterAuthorizationFailed, sarama.ErrInvalidRequest,
	sarama.ErrTopicDeletionDisabled,
}

// classify turns a broker refusal into a *command.ClusterRefusedError and
// leaves other errors, such as an unreachable broker, to be retried.
func classify(op, name string, err error) error {
	if err == nil {
		return nil
	}
	for _, r := range refusals {
		if errors.Is(err, r) {
			return &command.ClusterRefusedError{Op: op, Topic: name, Reason: reason(err)}
		}
	}
	return fmt.Errorf("%s topic %q: %w", op, name, err)
}

// explainer classifies the create errors of one batch, adding the broker
// count to a refused replication factor, which brokers often refuse
// without saying why. It counts the brokers once, when first needed.
func (c *Cluster) explainer(admin sarama.ClusterAdmin) func(creation, error) error {
	brokers := sync.OnceValues(func() (int, error) { return c.brokerCount(admin) })
	return func(it creation, err error) error {
		if errors.Is(err, sarama.ErrInvalidReplicationFactor) {
			if n, berr := brokers(); berr == nil && int(it.spec.ReplicationFactor) > n {
				return &command.ClusterRefusedError{Op: "create", Topic: it.name.String(),
					Reason: fmt.Sprintf("replication factor %d is more than the %d broker(s) in the cluster", it.spec.ReplicationFactor, n)}
			}
		}
		return classify("create", it.name.String(), err)
	}
}

// reason is the broker's own explanation when it gave one.
func reason(err error) string {
	var te *sarama.TopicError
	if errors.As(err, &te) && te.ErrMsg != nil && *te.ErrMsg != "" {
		return strings.TrimSuffix(*te.ErrMsg, ".")
	}
	return strings.TrimPrefix(err.Error(), "kafka server: ")
}

// withContext runs a Sarama call, which knows no context, and stops waiting
// for it when ctx ends. The call's result comes back through a channel
// only: a call left running writes nothing its caller reads.
func withContext[T any](ctx context.Context, fn func() (T, error)) (T, error) {
	type result struct {
		v   T
		err error
	}
	done := make(chan result, 1)
	go func() {
		v, err := fn()
		done <- result{v, err}
	}()
	select {
	case r := <-done:
		return r.v, r.err
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	}
}

// withContextErr is withContext for a call that returns an error only.
func withContextErr(ctx context.Context, fn func() error) error {
	_, err := withContext(ctx, func() (struct{}, error) { return struct{}{}, fn() })
	return err
}
