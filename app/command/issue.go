package command

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
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

// Issue is what a caller asks for. The zero spec fields of a RequestTopic
// take the policy's defaults, and its owner is the caller's name unless
// given; an UpdateTopic gives the whole spec and details the topic is to
// have.
type Issue struct {
	Type              Type
	Topic             string
	Reason            string
	Partitions        int32
	ReplicationFactor int16
	Configs           map[string]string
	Owner             string
	Description       string
	// Producers are token names and Consumers consumer ids the topic is
	// provisioned for, besides its owner.
	Producers []string
	Consumers []string
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

// Handle checks every issue and queues them all in one transaction, or
// none: the error then joins the problem of each issue that has one. The
// broker is asked about every topic the batch requests in one call.
func (h IssueHandler) Handle(ctx context.Context, by auth.Principal, issues ...Issue) ([]Command, error) {
	cmds := make([]Command, len(issues))
	errs := make([]error, len(issues))
	var (
		requested []Creation
		which     []int // the index in issues of each of requested
	)
	current, err := h.current(ctx, issues)
	if err != nil {
		return nil, err
	}
	for i, is := range issues {
		cmds[i], errs[i] = h.check(ctx, by, is, current)
		if errs[i] == nil && cmds[i].Type == RequestTopicType {
			requested, which = append(requested, creationOf(cmds[i])), append(which, i)
		}
	}
	for j, err := range h.validateWithBroker(ctx, requested, false) {
		errs[which[j]] = err
	}
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
	current, err := h.current(ctx, []Issue{is})
	if err != nil {
		return Command{}, err
	}
	cmd, err := h.check(ctx, by, is, current)
	if err != nil || cmd.Type != RequestTopicType {
		return cmd, err
	}
	return cmd, h.validateWithBroker(ctx, []Creation{creationOf(cmd)}, true)[0]
}

// creationOf is the topic a checked request asks for.
func creationOf(cmd Command) Creation {
	return Creation{Name: topic.MustParseName(cmd.Topic), Spec: cmd.Spec()}
}

// current reads, in one go, the topics issues name as they are now; a
// name that is not valid is checked, and refused, on its own.
func (h IssueHandler) current(ctx context.Context, issues []Issue) (map[topic.Name]*topic.Topic, error) {
	names := make([]topic.Name, 0, len(issues))
	for _, is := range issues {
		if name, err := topic.ParseName(is.Topic); err == nil {
			names = append(names, name)
		}
	}
	current, err := h.topics.GetAll(ctx, names)
	if err != nil {
		return nil, fmt.Errorf("load %d topics: %w", len(names), err)
	}
	return current, nil
}

// check checks an issue against who asks and the current state, all but
// the broker; current holds the topics as current read them.
func (h IssueHandler) check(ctx context.Context, by auth.Principal, is Issue, current map[topic.Name]*topic.Topic) (Command, error) {
	r, err := ruleFor(is.Type)
	if err != nil {
		return Command{}, err
	}
	if err := auth.Authorize(by, r.permission); err != nil {
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
	switch is.Type {
	case RequestTopicType:
		h.fillSpec(&cmd, is)
		cmd.Owner = cmp.Or(is.Owner, by.Name)
		cmd.Description = is.Description
		cmd.Producers, cmd.Consumers = slices.Clone(is.Producers), slices.Clone(is.Consumers)
	case UpdateTopicType:
		cmd.Partitions, cmd.ReplicationFactor, cmd.Configs = is.Partitions, is.ReplicationFactor, maps.Clone(is.Configs)
		cmd.Owner, cmd.Description = is.Owner, is.Description
		cmd.Producers, cmd.Consumers = slices.Clone(is.Producers), slices.Clone(is.Consumers)
	}
	if err := fits(cmd); err != nil {
		return Command{}, err
	}
	// The rule runs on a copy that is thrown away: only the lifecycle
	// handler's run, under a lock, counts.
	if _, err := r.decide(cmd, h.policy.Limits)(current[name]); err != nil {
		return Command{}, err
	}
	if is.Type == RequestTopicType {
		if err := h.refuseCollision(ctx, name); err != nil {
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

// validateWithBroker catches what only the broker knows of requested
// topics, such as more replicas than brokers or a bad config value, and
// returns one error per topic. A broker that cannot be reached fails a dry
// run, but not a real request: that waits in the queue and the topic
// manager creates it once the broker is back.
func (h IssueHandler) validateWithBroker(ctx context.Context, topics []Creation, dryRun bool) []error {
	if len(topics) == 0 {
		return nil
	}
	if !dryRun {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, brokerCheckTimeout)
		defer cancel()
	}
	errs := h.cluster.ValidateTopics(ctx, topics)
	for i, err := range errs {
		if !IsRefusal(err) && !dryRun {
			errs[i] = nil
		}
	}
	return errs
}
