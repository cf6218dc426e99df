package kafka

import (
	"errors"
	"fmt"

	"github.com/IBM/sarama"

	"github.com/kds-io/kds/app/command"
	"github.com/kds-io/kds/app/topic"
)

type creation struct {
	name topic.Name
	spec topic.Spec
}

// allFailed gives each of n requests the same error.
func allFailed(n int, err error) []error {
	errs := make([]error, n)
	for i := range errs {
		errs[i] = err
	}
	return errs
}

// controller returns the client, an admin client on it and the cluster's
// controller, which takes topic creations and deletions.
func (c *Cluster) controller() (sarama.Client, sarama.ClusterAdmin, *sarama.Broker, error) {
	client, admin, err := c.connect()
	if err != nil {
		return nil, nil, nil, err
	}
	b, err := client.Controller()
	if err != nil {
		return nil, nil, nil, &UnreachableError{Where: c.config.Where(), Err: err}
	}
	return client, admin, b, nil
}

// requestCreation sends one CreateTopics request for items, or only asks
// whether the broker would create them, and returns each item's answer:
// nil when created (or creatable), else the broker's error for it.
func (c *Cluster) requestCreation(items []creation, validateOnly bool) (sarama.ClusterAdmin, []error, error) {
	client, admin, controller, err := c.controller()
	if err != nil {
		return nil, nil, err
	}
	details := make(map[string]*sarama.TopicDetail, len(items))
	for _, it := range items {
		details[it.name.String()] = detail(it.spec)
	}
	sc := client.Config()
	resp, err := controller.CreateTopics(sarama.NewCreateTopicsRequest(sc.Version, details, sc.Admin.Timeout, validateOnly))
	if err != nil {
		return nil, nil, fmt.Errorf("create %d topics: %w", len(items), err)
	}
	answers := make([]error, len(items))
	for i, it := range items {
		te, ok := resp.TopicErrors[it.name.String()]
		switch {
		case !ok:
			answers[i] = fmt.Errorf("create topic %q: %w", it.name, sarama.ErrIncompleteResponse)
		case te != nil && !errors.Is(te.Err, sarama.ErrNoError):
			answers[i] = te
		}
	}
	return admin, answers, nil
}

// createTopics creates a batch of topics in one request. A topic that
// already exists with the partitions and replication factor asked for
// counts as created.
func (c *Cluster) createTopics(items []creation) []error {
	admin, errs, err := c.requestCreation(items, false)
	if err != nil {
		return allFailed(len(items), err)
	}
	var existing []int
	for i, it := range items {
		switch {
		case errs[i] == nil:
		case errors.Is(errs[i], sarama.ErrTopicAlreadyExists):
			existing, errs[i] = append(existing, i), nil // unless sameSpecs finds another spec
		default:
			errs[i] = explain(admin, it.name, it.spec, errs[i])
		}
	}
	c.sameSpecs(admin, items, existing, errs)
	return errs
}

// validateTopics asks, in one request, whether the broker would create a
// batch of topics; one that exists already is refused, as kds does not
// know it.
func (c *Cluster) validateTopics(items []creation) []error {
	admin, errs, err := c.requestCreation(items, true)
	if err != nil {
		return allFailed(len(items), err)
	}
	for i, it := range items {
		switch {
		case errs[i] == nil:
		case errors.Is(errs[i], sarama.ErrTopicAlreadyExists):
			errs[i] = &command.ClusterRefusedError{Op: "create", Topic: it.name.String(), Reason: "a topic of that name already exists in Kafka, unknown to kds"}
		default:
			errs[i] = explain(admin, it.name, it.spec, errs[i])
		}
	}
	return errs
}

// sameSpecs accepts existing topics as created when they have the
// partitions and replication factor asked for.
func (c *Cluster) sameSpecs(admin sarama.ClusterAdmin, items []creation, which []int, errs []error) {
	if len(which) == 0 {
		return
	}
	names := make([]string, len(which))
	for i, w := range which {
		names[i] = items[w].name.String()
	}
	metas, err := admin.DescribeTopics(names)
	found := make(map[string]*sarama.TopicMetadata, len(metas))
	for _, m := range metas {
		found[m.Name] = m
	}
	for _, w := range which {
		it := items[w]
		m, ok := found[it.name.String()]
		if err != nil || !ok || !errors.Is(m.Err, sarama.ErrNoError) {
			errs[w] = fmt.Errorf("describe topic %q: %v", it.name, errors.Join(err, errors.New("incomplete answer")))
			continue
		}
		if l := layoutOf(m); l.Partitions != it.spec.Partitions || l.ReplicationFactor != it.spec.ReplicationFactor {
			errs[w] = &command.ClusterRefusedError{Op: "create", Topic: it.name.String(),
				Reason: fmt.Sprintf("it already exists in Kafka with %d partitions and replication factor %d, not %d and %d",
					l.Partitions, l.ReplicationFactor, it.spec.Partitions, it.spec.ReplicationFactor)}
		}
	}
}

// deleteTopics deletes a batch of topics in one request; a topic already
// gone counts as deleted.
func (c *Cluster) deleteTopics(names []topic.Name) []error {
	client, _, controller, err := c.controller()
	if err != nil {
		return allFailed(len(names), err)
	}
	list := make([]string, len(names))
	for i, n := range names {
		list[i] = n.String()
	}
	sc := client.Config()
	resp, err := controller.DeleteTopics(sarama.NewDeleteTopicsRequest(sc.Version, list, sc.Admin.Timeout))
	if err != nil {
		return allFailed(len(names), fmt.Errorf("delete %d topics: %w", len(names), err))
	}
	errs := make([]error, len(names))
	for i, n := range list {
		code, ok := resp.TopicErrorCodes[n]
		switch {
		case !ok:
			errs[i] = fmt.Errorf("delete topic %q: %w", n, sarama.ErrIncompleteResponse)
		case errors.Is(code, sarama.ErrNoError), errors.Is(code, sarama.ErrUnknownTopicOrPartition):
		default:
			errs[i] = classify("delete", n, code)
		}
	}
	return errs
}
