// Package commandtest has in-memory fakes of the command ports and the
// contract suites every implementation of those ports must pass.
package commandtest

import (
	"context"
	"errors"
	"maps"
	"slices"
	"sync"

	"github.com/kds-io/kds/app/command"
	"github.com/kds-io/kds/app/topic"
)

// Outcome is a command's recorded outcome.
type Outcome struct {
	Status command.Status
	Error  string
}

// Topics is an in-memory command.TopicRepository.
type Topics struct {
	mu          sync.Mutex
	topics      map[string]*topic.Topic
	outcomes    map[string]Outcome
	transitions []topic.Transition
	events      []topic.Event
}

// NewTopics returns an empty repository.
func NewTopics() *Topics {
	return &Topics{topics: map[string]*topic.Topic{}, outcomes: map[string]Outcome{}}
}

// Get implements command.TopicRepository.
func (r *Topics) Get(_ context.Context, name topic.Name) (*topic.Topic, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	t, ok := r.topics[name.String()]
	if !ok {
		return nil, &topic.NotFoundError{Topic: name.String()}
	}
	return copyOf(t), nil
}

// GetAll implements command.TopicRepository.
func (r *Topics) GetAll(_ context.Context, names []topic.Name) (map[topic.Name]*topic.Topic, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	got := make(map[topic.Name]*topic.Topic, len(names))
	for _, n := range names {
		if t, ok := r.topics[n.String()]; ok {
			got[n] = copyOf(t)
		}
	}
	return got, nil
}

// All implements command.TopicRepository.
func (r *Topics) All(context.Context) ([]*topic.Topic, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]*topic.Topic, 0, len(r.topics))
	for _, t := range r.topics {
		out = append(out, copyOf(t))
	}
	return out, nil
}

// Update implements command.TopicRepository.
func (r *Topics) Update(_ context.Context, cmd command.Command, change func(*topic.Topic) (*topic.Topic, error)) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if o, ok := r.outcomes[cmd.ID]; ok && (o.Status == command.Applied || o.Status == command.Rejected) {
		return command.ErrAlreadyHandled
	}
	var current *topic.Topic
	if t, ok := r.topics[cmd.Topic]; ok {
		current = copyOf(t)
	}
	t, err := change(current)
	var failed *command.FailedError
	switch {
	case errors.As(err, &failed):
		r.settle(cmd, command.Failed, err)
		return err
	case command.IsRefusal(err):
		r.settle(cmd, command.Rejected, err)
		return err
	case err != nil:
		return err
	}
	if current == nil {
		for _, other := range r.topics {
			if !other.Status().IsFinal() && other.Name().CollisionKey() == t.Name().CollisionKey() {
				err := &topic.CollisionError{Topic: t.Name().String(), Existing: other.Name().String()}
				r.settle(cmd, command.Rejected, err)
				return err
			}
		}
	}
	for _, tr := range t.Transitions() {
		r.transitions = append(r.transitions, tr)
		r.events = append(r.events, topic.NewEvent(tr, cmd.ID, cmd.IssuedAt))
	}
	r.topics[cmd.Topic] = copyOf(t)
	r.settle(cmd, command.Applied, nil)
	return nil
}

// UpdateAll implements command.TopicRepository, one change after another.
func (r *Topics) UpdateAll(ctx context.Context, changes []command.Change) []error {
	errs := make([]error, len(changes))
	for i, c := range changes {
		errs[i] = r.Update(ctx, c.Command, c.Apply)
	}
	return errs
}

// LiveCollision implements command.TopicRepository.
func (r *Topics) LiveCollision(_ context.Context, name topic.Name) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, other := range r.topics {
		if other.Name() != name && !other.Status().IsFinal() && other.Name().CollisionKey() == name.CollisionKey() {
			return other.Name().String(), nil
		}
	}
	return "", nil
}

func (r *Topics) settle(cmd command.Command, st command.Status, err error) {
	o := Outcome{Status: st}
	if err != nil {
		o.Error = err.Error()
	}
	r.outcomes[cmd.ID] = o
}

// Outcome returns what was recorded for a command.
func (r *Topics) Outcome(id string) (Outcome, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	o, ok := r.outcomes[id]
	return o, ok
}

// Events returns every event published so far.
func (r *Topics) Events() []topic.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]topic.Event(nil), r.events...)
}

// copyOf drops pending transitions, as a reload from storage would.
func copyOf(t *topic.Topic) *topic.Topic {
	return topic.UnmarshalFromDatabase(t.Name(), t.Generation(), t.Status(), t.Spec(), t.Details(), t.RequestedBy())
}

// Queue is an in-memory command.Queue.
type Queue struct {
	mu     sync.Mutex
	queued []command.Command
	failed []FailedCommand
	// Err, when set, is returned by Enqueue.
	Err error
}

// FailedCommand is a command Queue.Fail recorded, with the reason.
type FailedCommand struct {
	command.Command
	Error string
}

// Fail implements command.Queue.
func (q *Queue) Fail(_ context.Context, cmd command.Command, reason string) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, f := range q.failed {
		if f.ID == cmd.ID {
			return nil
		}
	}
	q.failed = append(q.failed, FailedCommand{Command: cmd, Error: reason})
	return nil
}

// Failed returns every command failed so far.
func (q *Queue) Failed() []FailedCommand {
	q.mu.Lock()
	defer q.mu.Unlock()
	return append([]FailedCommand(nil), q.failed...)
}

// Enqueue implements command.Queue.
func (q *Queue) Enqueue(_ context.Context, cmds ...command.Command) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.Err != nil {
		return q.Err
	}
	q.queued = append(q.queued, cmds...)
	return nil
}

// Queued returns every command queued so far.
func (q *Queue) Queued() []command.Command {
	q.mu.Lock()
	defer q.mu.Unlock()
	return append([]command.Command(nil), q.queued...)
}

// Cluster is an in-memory command.KafkaCluster.
type Cluster struct {
	mu      sync.Mutex
	topics  map[string]topic.Spec
	batches map[string][][]string
	// Brokers is the number of brokers; replication factors above it are refused.
	Brokers int16
	// Down, when set, makes every call fail as an unreachable broker would.
	Down bool
	// BeforeTopics, when set, runs at the start of every Topics call: a
	// test's way to change kds between a reader's look at MySQL and its
	// look at Kafka.
	BeforeTopics func()
}

// ErrClusterDown is returned by a Cluster that is Down.
var ErrClusterDown = errors.New("kafka: client has run out of available brokers")

// NewCluster returns a cluster of one broker with no topics.
func NewCluster() *Cluster {
	return &Cluster{topics: map[string]topic.Spec{}, batches: map[string][][]string{}, Brokers: 1}
}

// Batches returns the topics of each call to CreateTopics ("create"),
// DeleteTopics ("delete") or ValidateTopics ("validate"), in order.
func (c *Cluster) Batches(op string) [][]string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.batches[op])
}

// each records a call of op for names and answers each name with answer,
// or with ErrClusterDown while the cluster is down.
func (c *Cluster) each(op string, names []string, answer func(i int) error) []error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.batches[op] = append(c.batches[op], names)
	errs := make([]error, len(names))
	for i := range errs {
		if c.Down {
			errs[i] = ErrClusterDown
		} else {
			errs[i] = answer(i)
		}
	}
	return errs
}

func creationNames(topics []command.Creation) []string {
	names := make([]string, len(topics))
	for i, t := range topics {
		names[i] = t.Name.String()
	}
	return names
}

// CreateTopics implements command.KafkaCluster.
func (c *Cluster) CreateTopics(_ context.Context, topics []command.Creation) []error {
	return c.each("create", creationNames(topics), func(i int) error {
		name, spec := topics[i].Name.String(), topics[i].Spec
		if existing, ok := c.topics[name]; ok {
			if existing.Partitions == spec.Partitions && existing.ReplicationFactor == spec.ReplicationFactor {
				return nil
			}
			return &command.ClusterRefusedError{Op: "create", Topic: name, Reason: "it exists with another spec"}
		}
		if err := c.refusal(name, spec); err != nil {
			return err
		}
		c.topics[name] = spec
		return nil
	})
}

// DeleteTopics implements command.KafkaCluster.
func (c *Cluster) DeleteTopics(_ context.Context, names []topic.Name) []error {
	list := make([]string, len(names))
	for i, n := range names {
		list[i] = n.String()
	}
	return c.each("delete", list, func(i int) error {
		delete(c.topics, list[i])
		return nil
	})
}

// ValidateTopics implements command.KafkaCluster.
func (c *Cluster) ValidateTopics(_ context.Context, topics []command.Creation) []error {
	return c.each("validate", creationNames(topics), func(i int) error {
		name := topics[i].Name.String()
		if _, ok := c.topics[name]; ok {
			return &command.ClusterRefusedError{Op: "create", Topic: name, Reason: "topic already exists"}
		}
		return c.refusal(name, topics[i].Spec)
	})
}

func (c *Cluster) refusal(name string, spec topic.Spec) error {
	if spec.ReplicationFactor > c.Brokers {
		return &command.ClusterRefusedError{Op: "create", Topic: name, Reason: "replication factor is larger than the number of brokers"}
	}
	return nil
}

// Topics implements command.KafkaCluster.
func (c *Cluster) Topics(context.Context) (map[string]command.KafkaTopic, error) {
	if c.BeforeTopics != nil {
		c.BeforeTopics()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.Down {
		return nil, ErrClusterDown
	}
	out := make(map[string]command.KafkaTopic, len(c.topics))
	for n, s := range c.topics {
		out[n] = command.KafkaTopic{Partitions: s.Partitions, ReplicationFactor: s.ReplicationFactor, Configs: maps.Clone(s.Configs)}
	}
	return out, nil
}

// AddPartitions implements command.KafkaCluster.
func (c *Cluster) AddPartitions(_ context.Context, name topic.Name, count int32) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.topics[name.String()]
	if !ok || count < s.Partitions {
		return &command.ClusterRefusedError{Op: "add partitions to", Topic: name.String(), Reason: "no such topic, or fewer partitions than it has"}
	}
	s.Partitions = count
	c.topics[name.String()] = s
	return nil
}

// ReplaceConfigs implements command.KafkaCluster.
func (c *Cluster) ReplaceConfigs(_ context.Context, name topic.Name, configs map[string]string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.topics[name.String()]
	if !ok {
		return &command.ClusterRefusedError{Op: "configure", Topic: name.String(), Reason: "no such topic"}
	}
	s.Configs = maps.Clone(configs)
	c.topics[name.String()] = s
	return nil
}

// Put sets a topic in the cluster behind kds's back; nil removes it.
func (c *Cluster) Put(name string, spec *topic.Spec) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if spec == nil {
		delete(c.topics, name)
		return
	}
	c.topics[name] = *spec
}

// Spec returns a topic's spec as the cluster has it.
func (c *Cluster) Spec(name string) (topic.Spec, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.topics[name]
	return s, ok
}

// Exists reports whether the topic exists in the cluster.
func (c *Cluster) Exists(name string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.topics[name]
	return ok
}

// Reconciliations is an in-memory command.ReconciliationLog.
type Reconciliations struct {
	mu  sync.Mutex
	all []command.Reconciliation
}

// Record implements command.ReconciliationLog.
func (l *Reconciliations) Record(_ context.Context, r command.Reconciliation) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.all = append(l.all, r)
	return nil
}

// All returns every reconciliation recorded so far, oldest first.
func (l *Reconciliations) All() []command.Reconciliation {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]command.Reconciliation(nil), l.all...)
}
