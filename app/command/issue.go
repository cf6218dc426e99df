package command

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sync"
	"time"

	"github.com/kds-io/kds/app/auth"
	"github.com/kds-io/kds/app/topic"
)

// Policy holds the defaults and limits for requested topics.
type Policy struct {
	DefaultPartitions        int32
	DefaultReplicationFactor int16
	Limits                   topic.Limits
}

// Issue is what a caller asks for; the zero spec fields of a RequestTopic
// take the policy's defaults.
type Issue struct {
	Type              Type
	Topic             string
	Reason            string
	Partitions        int32
	ReplicationFactor int16
	Configs           map[string]string
}

// IssueHandler turns what API callers ask for into queued commands, after
// checking them against who asks, the current state and the broker.
type IssueHandler struct {
	topics  TopicRepository
	queue   Queue
	cluster KafkaCluster
	policy  Policy
}

// NewIssueHandler checks against topics and cluster and queues on queue.
func NewIssueHandler(topics TopicRepository, queue Queue, cluster KafkaCluster, policy Policy) IssueHandler {
	return IssueHandler{topics: topics, queue: queue, cluster: cluster, policy: policy}
}

// checkConcurrency bounds the checks of a batch under way at once: each
// waits on MySQL and the broker, and the broker answers concurrent checks
// together.
const checkConcurrency = 16

// Handle checks every issue and queues them all in one transaction, or
// none: the error then joins the problem of each issue that has one.
func (h IssueHandler) Handle(ctx context.Context, by auth.Principal, issues ...Issue) ([]Command, error) {
	cmds := make([]Command, len(issues))
	errs := make([]error, len(issues))
	sem := make(chan struct{}, checkConcurrency)
	var wg sync.WaitGroup
	for i, is := range issues {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			cmds[i], errs[i] = h.check(ctx, by, is, false)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if err := h.queue.Enqueue(ctx, cmds...); err != nil {
		return nil, fmt.Errorf("queue commands: %w", err)
	}
	return cmds, nil
}

// DryRun checks an issue as Handle would, asking the broker to validate a
// requested topic without creating it, and queues nothing.
func (h IssueHandler) DryRun(ctx context.Context, by auth.Principal, is Issue) (Command, error) {
	return h.check(ctx, by, is, true)
}

func (h IssueHandler) check(ctx context.Context, by auth.Principal, is Issue, dryRun bool) (Command, error) {
	d, err := decisionFor(is.Type)
	if err != nil {
		return Command{}, err
	}
	if err := auth.Authorize(by, d.permission); err != nil {
		return Command{}, err
	}
	name, err := topic.ParseName(is.Topic)
	if err != nil {
		return Command{}, err
	}
	if err := validReason(is.Reason); err != nil {
		return Command{}, err
	}
	cmd := newCommand(is.Type, is.Topic, by.Name, is.Reason)
	if is.Type == RequestTopicType {
		h.fillSpec(&cmd, is)
	}
	if err := fits(cmd); err != nil {
		return Command{}, err
	}
	current, err := h.topics.Get(ctx, name)
	var notFound *topic.NotFoundError
	if errors.As(err, &notFound) {
		current = nil
	} else if err != nil {
		return Command{}, fmt.Errorf("load topic %q: %w", is.Topic, err)
	}
	// The decision runs on a copy that is thrown away: only the lifecycle
	// handler's run, under a lock, counts.
	if _, err := d.decide(cmd, h.policy.Limits)(current); err != nil {
		return Command{}, err
	}
	if is.Type == RequestTopicType {
		if err := h.refuseCollision(ctx, name); err != nil {
			return Command{}, err
		}
		if err := h.validateWithBroker(ctx, name, cmd.Spec(), dryRun); err != nil {
			return Command{}, err
		}
	}
	return cmd, nil
}

// fits refuses a command larger than MaxCommandBytes as it will travel: a
// size in characters says little when a character may take six bytes.
func fits(cmd Command) error {
	b, err := cmd.Encode()
	if err != nil {
		return fmt.Errorf("encode command: %w", err)
	}
	if len(b) > MaxCommandBytes {
		return &TooLargeError{Bytes: len(b)}
	}
	return nil
}

func (h IssueHandler) fillSpec(cmd *Command, is Issue) {
	cmd.Partitions = is.Partitions
	if cmd.Partitions == 0 {
		cmd.Partitions = h.policy.DefaultPartitions
	}
	cmd.ReplicationFactor = is.ReplicationFactor
	if cmd.ReplicationFactor == 0 {
		cmd.ReplicationFactor = h.policy.DefaultReplicationFactor
	}
	cmd.Configs = maps.Clone(is.Configs)
}

// refuseCollision refuses a name that Kafka's metrics cannot tell from a
// live topic's. The lifecycle handler refuses it too, under a lock; this
// check lets the caller hear it at once rather than as a rejected command.
func (h IssueHandler) refuseCollision(ctx context.Context, name topic.Name) error {
	existing, err := h.topics.LiveCollision(ctx, name)
	if err != nil {
		return fmt.Errorf("look for topics colliding with %q: %w", name.String(), err)
	}
	if existing != "" {
		return &topic.CollisionError{Topic: name.String(), Existing: existing}
	}
	return nil
}

// brokerCheckTimeout bounds how long a request waits for the broker's
// opinion; the check is a courtesy, the topic manager's creation decides.
const brokerCheckTimeout = 3 * time.Second

// validateWithBroker catches what only the broker knows, such as more
// replicas than brokers or a bad config value. A broker that cannot be
// reached fails a dry run, but not a real request: that waits in the queue
// and the topic manager creates it once the broker is back.
func (h IssueHandler) validateWithBroker(ctx context.Context, name topic.Name, spec topic.Spec, dryRun bool) error {
	if !dryRun {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, brokerCheckTimeout)
		defer cancel()
	}
	err := h.cluster.ValidateTopic(ctx, name, spec)
	if err == nil || IsRefusal(err) || dryRun {
		return err
	}
	return nil
}
