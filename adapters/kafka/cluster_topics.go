package kafka

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kds-io/kds/app/command"
	"github.com/kds-io/kds/app/topic"
)

// creation is a topic to create, kds's own included.
type creation struct {
	name string
	spec topic.Spec
}

func creations(topics []command.Creation) []creation {
	out := make([]creation, len(topics))
	for i, t := range topics {
		out[i] = creation{name: t.Name.String(), spec: t.Spec}
	}
	return out
}

// answer is the broker's answer for one topic: its error, nil for
// success, and the message it gave with it.
type answer struct {
	err     error
	message string
}

// CreateTopics implements command.KafkaCluster: the topics that share a
// spec go in one CreateTopics request, the requests at once. A topic that
// already exists with the partitions and replication factor asked for
// counts as created.
func (c *Cluster) CreateTopics(ctx context.Context, topics []command.Creation) []error {
	answers := c.create(ctx, creations(topics), false)
	explain := c.explainer(ctx)
	errs := make([]error, len(topics))
	var existing []int
	for i, a := range answers {
		switch {
		case a.err == nil:
		case errors.Is(a.err, kerr.TopicAlreadyExists):
			existing = append(existing, i) // created, unless sameSpecs finds another spec
		default:
			errs[i] = explain(topics[i], a)
		}
	}
	c.sameSpecs(ctx, topics, existing, errs)
	return errs
}

// ValidateTopics implements command.KafkaCluster with validate-only
// CreateTopics requests, as CreateTopics sends them. A topic that exists
// already is refused, as kds does not know it.
func (c *Cluster) ValidateTopics(ctx context.Context, topics []command.Creation) []error {
	answers := c.create(ctx, creations(topics), true)
	explain := c.explainer(ctx)
	errs := make([]error, len(topics))
	for i, a := range answers {
		switch {
		case a.err == nil:
		case errors.Is(a.err, kerr.TopicAlreadyExists):
			errs[i] = &command.ClusterRefusedError{Op: "create", Topic: topics[i].Name.String(), Reason: "a topic of that name already exists in Kafka, unknown to kds", Err: a.err}
		default:
			errs[i] = explain(topics[i], a)
		}
	}
	return errs
}

// layout is what one CreateTopics request asks of every topic in it.
type layout struct {
	partitions int32
	replicas   int16
	configs    string // in JSON, which sorts the keys
}

func layoutFor(spec topic.Spec) layout {
	configs, _ := json.Marshal(spec.Configs) // a map of strings always encodes
	return layout{spec.Partitions, spec.ReplicationFactor, string(configs)}
}

// create asks, or only validates, the creation of topics, one request per
// layout, all at once, and returns the broker's answer for each topic. A
// request that got no answer answers each of its topics with an
// *UnreachableError.
func (c *Cluster) create(ctx context.Context, topics []creation, validateOnly bool) []answer {
	type asked struct {
		layout
		name string
	}
	groups := map[layout][]string{}
	configs := map[layout]map[string]*string{}
	seen := map[asked]bool{}
	for _, t := range topics {
		l := layoutFor(t.spec)
		if !seen[asked{l, t.name}] {
			seen[asked{l, t.name}] = true
			groups[l] = append(groups[l], t.name)
		}
		if _, ok := configs[l]; !ok {
			configs[l] = make(map[string]*string, len(t.spec.Configs))
			for k, v := range t.spec.Configs {
				configs[l][k] = &v
			}
		}
	}
	var (
		mu      sync.Mutex
		wg      sync.WaitGroup
		byTopic = make(map[layout]map[string]answer, len(groups))
	)
	for l, names := range groups {
		wg.Go(func() {
			send := c.admin.CreateTopics
			if validateOnly {
				send = c.admin.ValidateCreateTopics
			}
			resp, err := send(ctx, l.partitions, l.replicas, configs[l], names...)
			answers := make(map[string]answer, len(names))
			for _, n := range names {
				r, ok := resp[n]
				switch {
				case err != nil:
					answers[n] = answer{err: c.config.unreachable(ctx, err)}
				case !ok:
					answers[n] = answer{err: errNoAnswer}
				default:
					answers[n] = answer{err: r.Err, message: r.ErrMessage}
				}
			}
			mu.Lock()
			defer mu.Unlock()
			byTopic[l] = answers
		})
	}
	wg.Wait()
	out := make([]answer, len(topics))
	for i, t := range topics {
		out[i] = byTopic[layoutFor(t.spec)][t.name]
	}
	return out
}

// errNoAnswer is a broker's response that leaves out a topic it was asked
// about.
var errNoAnswer = errors.New("the broker's response left the topic out")

// explainer classifies the answers to one batch of creations, adding the
// broker count to a refused replication factor, which brokers often refuse
// without saying why. It counts the brokers once, when first needed.
func (c *Cluster) explainer(ctx context.Context) func(command.Creation, answer) error {
	brokers := sync.OnceValues(func() (int, error) { return c.Brokers(ctx) })
	return func(t command.Creation, a answer) error {
		if errors.Is(a.err, kerr.InvalidReplicationFactor) {
			if n, err := brokers(); err == nil && int(t.Spec.ReplicationFactor) > n {
				return &command.ClusterRefusedError{Op: "create", Topic: t.Name.String(), Err: a.err,
					Reason: fmt.Sprintf("replication factor %d is more than the %d broker(s) in the cluster", t.Spec.ReplicationFactor, n)}
			}
		}
		return classify("create", t.Name.String(), a.err, a.message)
	}
}

// sameSpecs accepts the topics of which that exist already as created when
// they have the partitions and replication factor asked for, asking about
// all of them in one request.
func (c *Cluster) sameSpecs(ctx context.Context, topics []command.Creation, which []int, errs []error) {
	if len(which) == 0 {
		return
	}
	names := make([]string, len(which))
	for i, w := range which {
		names[i] = topics[w].Name.String()
	}
	m, err := c.metadata(ctx, names)
	var described map[string]topicMetadata
	if err == nil {
		described = topicsIn(m)
	}
	for _, w := range which {
		t := topics[w]
		l, ok := described[t.Name.String()]
		switch {
		case err != nil:
			errs[w] = fmt.Errorf("describe topic %q: %w", t.Name, err)
			continue
		case !ok:
			errs[w] = fmt.Errorf("describe topic %q: %w", t.Name, errNoAnswer)
			continue
		case l.err != nil:
			errs[w] = fmt.Errorf("describe topic %q: %w", t.Name, l.err)
			continue
		}
		if l.Partitions != t.Spec.Partitions || l.ReplicationFactor != t.Spec.ReplicationFactor {
			errs[w] = &command.ClusterRefusedError{Op: "create", Topic: t.Name.String(),
				Reason: fmt.Sprintf("it already exists in Kafka with %d partitions and replication factor %d, not %d and %d",
					l.Partitions, l.ReplicationFactor, t.Spec.Partitions, t.Spec.ReplicationFactor)}
		}
	}
}

// DeleteTopics implements command.KafkaCluster in one DeleteTopics
// request; a topic already gone counts as deleted.
func (c *Cluster) DeleteTopics(ctx context.Context, names []topic.Name) []error {
	errs := make([]error, len(names))
	if len(names) == 0 {
		return errs
	}
	unique := map[string]bool{}
	for _, n := range names {
		unique[n.String()] = true
	}
	resp, err := c.admin.DeleteTopics(ctx, slices.Collect(maps.Keys(unique))...)
	for i, n := range names {
		r, ok := resp[n.String()]
		switch {
		case err != nil:
			errs[i] = c.config.unreachable(ctx, err)
		case !ok:
			errs[i] = fmt.Errorf("delete topic %q: %w", n, errNoAnswer)
		case errors.Is(r.Err, kerr.UnknownTopicOrPartition):
		default:
			errs[i] = classify("delete", n.String(), r.Err, r.ErrMessage)
		}
	}
	return errs
}

// EnsureTopics creates the given topics unless they exist, as kds does
// for its internal topics at start.
func (c *Cluster) EnsureTopics(ctx context.Context, names []string, spec topic.Spec) error {
	topics := make([]creation, len(names))
	for i, n := range names {
		topics[i] = creation{name: n, spec: spec}
	}
	var errs []error
	for i, a := range c.create(ctx, topics, false) {
		if !errors.Is(a.err, kerr.TopicAlreadyExists) {
			errs = append(errs, classify("create", names[i], a.err, a.message))
		}
	}
	return errors.Join(errs...)
}

// Topics implements command.KafkaCluster, in two requests whatever the
// number of topics: metadata, then every topic's configs at once.
func (c *Cluster) Topics(ctx context.Context) (map[string]command.KafkaTopic, error) {
	m, err := c.metadata(ctx, nil)
	if err != nil {
		return nil, err
	}
	described := topicsIn(m)
	configs, err := c.admin.DescribeTopicConfigs(ctx, slices.Collect(maps.Keys(described))...)
	if err != nil {
		return nil, c.config.unreachable(ctx, err)
	}
	out := make(map[string]command.KafkaTopic, len(described))
	for name, l := range described {
		out[name] = command.KafkaTopic{Partitions: l.Partitions, ReplicationFactor: l.ReplicationFactor, Configs: map[string]string{}}
	}
	for _, rc := range configs {
		kt, ok := out[rc.Name]
		for _, cfg := range rc.Configs {
			// Only what differs from the broker's defaults.
			if ok && cfg.Source != kmsg.ConfigSourceDefaultConfig && !cfg.Sensitive && cfg.Value != nil {
				kt.Configs[cfg.Key] = *cfg.Value
			}
		}
	}
	return out, nil
}

// AddPartitions implements command.KafkaCluster: a topic that has count
// partitions already is left as it is; Kafka would refuse to "grow" it.
func (c *Cluster) AddPartitions(ctx context.Context, name topic.Name, count int32) error {
	m, err := c.metadata(ctx, []string{name.String()})
	if err != nil {
		return err
	}
	if tm, ok := topicsIn(m)[name.String()]; ok && tm.err == nil && tm.Partitions == count {
		return nil
	}
	resp, err := c.admin.UpdatePartitions(ctx, int(count), name.String())
	if err != nil {
		return c.config.unreachable(ctx, err)
	}
	r, err := resp.On(name.String(), nil)
	if err != nil {
		return fmt.Errorf("add partitions to topic %q: %w", name, errNoAnswer)
	}
	return classify("add partitions to", name.String(), r.Err, r.ErrMessage)
}

// ReplaceConfigs implements command.KafkaCluster, in two requests: the
// topic's configs, then one incremental change that sets configs and
// deletes every other config set on the topic itself.
func (c *Cluster) ReplaceConfigs(ctx context.Context, name topic.Name, configs map[string]string) error {
	described, err := c.admin.DescribeTopicConfigs(ctx, name.String())
	if err != nil {
		return c.config.unreachable(ctx, err)
	}
	rc, err := described.On(name.String(), nil)
	if err != nil {
		return fmt.Errorf("describe the configs of topic %q: %w", name, errNoAnswer)
	}
	if err := classify("describe the configs of", name.String(), rc.Err, rc.ErrMessage); err != nil {
		return err
	}
	alter := make([]kadm.AlterConfig, 0, len(configs))
	for _, k := range slices.Sorted(maps.Keys(configs)) {
		alter = append(alter, kadm.AlterConfig{Op: kadm.SetConfig, Name: k, Value: kadm.StringPtr(configs[k])})
	}
	for _, cfg := range rc.Configs {
		if _, keep := configs[cfg.Key]; !keep && cfg.Source == kmsg.ConfigSourceDynamicTopicConfig {
			alter = append(alter, kadm.AlterConfig{Op: kadm.DeleteConfig, Name: cfg.Key})
		}
	}
	if len(alter) == 0 {
		return nil
	}
	resp, err := c.admin.AlterTopicConfigs(ctx, alter, name.String())
	if err != nil {
		return c.config.unreachable(ctx, err)
	}
	r, err := resp.On(name.String(), nil)
	if err != nil {
		return fmt.Errorf("configure topic %q: %w", name, errNoAnswer)
	}
	return classify("configure", name.String(), r.Err, r.ErrMessage)
}
