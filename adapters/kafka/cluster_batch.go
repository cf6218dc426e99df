package kafka

import (
	"errors"
	"fmt"
	"io"
	"time"

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

// toController sends items to the cluster's controller in one request,
// which send makes and answers for each item. A controller that lost its
// place answers NOT_CONTROLLER, and one that stopped hangs up: then, as
// Sarama's own admin requests do, the client learns the new controller and
// the items so answered go again, up to Admin.Retry.Max times.
func toController[T any](client sarama.Client, where string, items []T, send func(controller *sarama.Broker, items []T) []error) []error {
	retry := client.Config().Admin.Retry
	answers := make([]error, len(items))
	pending := make([]int, len(items)) // indexes in items of those to send
	for i := range pending {
		pending[i] = i
	}
	controller, err := client.Controller()
	for attempt := 0; ; attempt++ {
		if err != nil {
			for _, i := range pending {
				answers[i] = &UnreachableError{Where: where, Err: err}
			}
			return answers
		}
		batch := make([]T, len(pending))
		for j, i := range pending {
			batch[j] = items[i]
		}
		var again []int
		for j, answer := range send(controller, batch) {
			answers[pending[j]] = answer
			if errors.Is(answer, sarama.ErrNotController) || errors.Is(answer, io.EOF) {
				again = append(again, pending[j])
			}
		}
		if len(again) == 0 || attempt == retry.Max {
			return answers
		}
		pending = again
		time.Sleep(retry.Backoff)
		controller, err = client.RefreshController()
	}
}

// requestCreation sends one CreateTopics request for items, or only asks
// whether the broker would create them, and returns each item's answer:
// nil when created (or creatable), else the broker's error for it.
func (c *Cluster) requestCreation(client sarama.Client, items []creation, validateOnly bool) []error {
	sc := client.Config()
	return toController(client, c.config.Where(), items, func(controller *sarama.Broker, items []creation) []error {
		details := make(map[string]*sarama.TopicDetail, len(items))
		for _, it := range items {
			details[it.name.String()] = detail(it.spec)
		}
		resp, err := controller.CreateTopics(sarama.NewCreateTopicsRequest(sc.Version, details, sc.Admin.Timeout, validateOnly))
		if err != nil {
			return allFailed(len(items), err)
		}
		answers := make([]error, len(items))
		for i, it := range items {
			te, ok := resp.TopicErrors[it.name.String()]
			switch {
			case !ok:
				answers[i] = sarama.ErrIncompleteResponse
			case te != nil && !errors.Is(te.Err, sarama.ErrNoError):
				answers[i] = te
			}
		}
		return answers
	})
}

// createTopics creates a batch of topics in one request. A topic that
// already exists with the partitions and replication factor asked for
// counts as created.
func (c *Cluster) createTopics(items []creation) []error {
	client, admin, err := c.connect()
	if err != nil {
		return allFailed(len(items), err)
	}
	errs := c.requestCreation(client, items, false)
	explain := c.explainer(admin)
	var existing []int
	for i, it := range items {
		switch {
		case errs[i] == nil:
		case errors.Is(errs[i], sarama.ErrTopicAlreadyExists):
			existing, errs[i] = append(existing, i), nil // unless sameSpecs finds another spec
		default:
			errs[i] = explain(it, errs[i])
		}
	}
	c.sameSpecs(admin, items, existing, errs)
	return errs
}

// validateTopics asks, in one request, whether the broker would create a
// batch of topics; one that exists already is refused, as kds does not
// know it.
func (c *Cluster) validateTopics(items []creation) []error {
	client, admin, err := c.connect()
	if err != nil {
		return allFailed(len(items), err)
	}
	errs := c.requestCreation(client, items, true)
	explain := c.explainer(admin)
	for i, it := range items {
		switch {
		case errs[i] == nil:
		case errors.Is(errs[i], sarama.ErrTopicAlreadyExists):
			errs[i] = &command.ClusterRefusedError{Op: "create", Topic: it.name.String(), Reason: "a topic of that name already exists in Kafka, unknown to kds"}
		default:
			errs[i] = explain(it, errs[i])
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
	client, _, err := c.connect()
	if err != nil {
		return allFailed(len(names), err)
	}
	sc := client.Config()
	errs := toController(client, c.config.Where(), names, func(controller *sarama.Broker, names []topic.Name) []error {
		list := make([]string, len(names))
		for i, n := range names {
			list[i] = n.String()
		}
		resp, err := controller.DeleteTopics(sarama.NewDeleteTopicsRequest(sc.Version, list, sc.Admin.Timeout))
		if err != nil {
			return allFailed(len(names), err)
		}
		answers := make([]error, len(names))
		for i, n := range list {
			code, ok := resp.TopicErrorCodes[n]
			switch {
			case !ok:
				answers[i] = sarama.ErrIncompleteResponse
			case !errors.Is(code, sarama.ErrNoError):
				answers[i] = code
			}
		}
		return answers
	})
	for i, n := range names {
		if errors.Is(errs[i], sarama.ErrUnknownTopicOrPartition) {
			errs[i] = nil
		}
		errs[i] = classify("delete", n.String(), errs[i])
	}
	return errs
}
