package command

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/kds-io/kds/app/topic"
)

// FindingKind says what a reconciliation found out of line.
type FindingKind string

// The kinds of finding.
const (
	// Unactivated: an approved topic not yet active: created in Kafka if
	// missing, and recorded active.
	Unactivated FindingKind = "approved-not-active"
	// Missing: an active topic missing from Kafka: recreated.
	Missing FindingKind = "active-missing"
	// Undeleted: an inactive topic not yet deleted: deleted from Kafka if
	// present, and recorded deleted.
	Undeleted FindingKind = "inactive-not-deleted"
	// Stray: a deleted or rejected topic present in Kafka.
	Stray FindingKind = "stray"
	// Partitions, ReplicationFactor, Configs: an active topic differs in
	// Kafka from what was approved.
	Partitions        FindingKind = "partitions"
	ReplicationFactor FindingKind = "replication-factor"
	Configs           FindingKind = "configs"
	// Orphan: a topic in Kafka that kds does not know.
	Orphan FindingKind = "orphan"
)

// Finding is one difference between MySQL and Kafka.
type Finding struct {
	Topic    string      `json:"topic"`
	Kind     FindingKind `json:"kind"`
	Detail   string      `json:"detail"`
	Repaired bool        `json:"repaired"`
	// Error says why a repair failed.
	Error string `json:"error,omitempty"`
}

// Reconciliation is what one comparison of MySQL with Kafka found.
type Reconciliation struct {
	StartedAt  time.Time `json:"started_at"`
	FinishedAt time.Time `json:"finished_at"`
	// Checked counts the topics compared, in kds and in Kafka.
	Checked  int       `json:"checked"`
	Findings []Finding `json:"findings"`
}

// ReconcileOptions are the topic manager's reconciliation settings.
type ReconcileOptions struct {
	// ImportOrphans makes topics found in Kafka, unknown to kds, active
	// topics of kds.
	ImportOrphans bool
}

// reconcileConcurrency bounds the repairs in flight; concurrent creations
// and deletions share admin requests, so this is also the batch size.
const reconcileConcurrency = 64

// Reconcile compares every topic kds keeps with Kafka and repairs what it
// can: approved topics missing from Kafka are created, active ones missing
// are recreated, too few partitions are added, configs are set again,
// inactive and deleted topics still in Kafka are deleted, and orphans are
// reported or imported. kds's internal topics and Kafka's are left alone.
func (m TopicManager) Reconcile(ctx context.Context, opts ReconcileOptions) (Reconciliation, error) {
	r := Reconciliation{StartedAt: time.Now().UTC(), Findings: []Finding{}}
	// MySQL first: a topic that moves on in between is then seen in Kafka
	// ahead of its record, and every repair reads the record again before
	// it touches Kafka, leaving alone a topic no longer as it was read.
	// Kafka first would make a topic activated in between look missing
	// from Kafka, and record a repair that never happened.
	stored, err := m.topics.All(ctx)
	if err != nil {
		return r, fmt.Errorf("list kds's topics: %w", err)
	}
	inKafka, err := m.cluster.Topics(ctx)
	if err != nil {
		return r, fmt.Errorf("list the topics in Kafka: %w", err)
	}
	var (
		mu   sync.Mutex
		wg   sync.WaitGroup
		sem  = make(chan struct{}, reconcileConcurrency)
		note = func(f Finding) {
			mu.Lock()
			defer mu.Unlock()
			r.Findings = append(r.Findings, f)
		}
		// repair runs fix and notes f, its detail followed by what was
		// done, or that the topic moved on and was left alone.
		repair = func(f Finding, done string, fix func() error) {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				err := fix()
				switch {
				case errors.Is(err, errMovedOn):
					done = "left alone, " + err.Error()
				case err != nil:
					f.Error = err.Error()
				default:
					f.Repaired = true
				}
				f.Detail += ": " + done
				note(f)
			}()
		}
	)
	known := make(map[string]bool, len(stored))
	for _, t := range stored {
		known[t.Name().String()] = true
		kt, present := inKafka[t.Name().String()]
		m.reconcileOne(ctx, t, kt, present, note, repair)
	}
	r.Checked = len(stored) // and below, every topic only Kafka has
	for _, name := range slices.Sorted(maps.Keys(inKafka)) {
		if known[name] {
			continue
		}
		r.Checked++
		if !topic.IsManageable(name) {
			continue
		}
		kt := inKafka[name]
		f := Finding{Topic: name, Kind: Orphan, Detail: fmt.Sprintf("in Kafka (%d partitions, replication factor %d) but unknown to kds", kt.Partitions, kt.ReplicationFactor)}
		if !opts.ImportOrphans {
			note(f)
			continue
		}
		repair(f, "imported", func() error { return m.importOrphan(ctx, name, kt) })
	}
	wg.Wait()
	slices.SortFunc(r.Findings, func(a, b Finding) int {
		return cmp.Or(strings.Compare(a.Topic, b.Topic), strings.Compare(string(a.Kind), string(b.Kind)))
	})
	r.FinishedAt = time.Now().UTC()
	if err := m.log.Record(ctx, r); err != nil {
		return r, fmt.Errorf("record the reconciliation: %w", err)
	}
	return r, nil
}

// reconcileOne compares one of kds's topics with Kafka.
func (m TopicManager) reconcileOne(ctx context.Context, t *topic.Topic, kt KafkaTopic, present bool, note func(Finding), repair func(Finding, string, func() error)) {
	name, gen := t.Name().String(), t.Generation()
	switch t.Status() {
	case topic.Approved:
		detail, done := "approved but missing from Kafka", "created"
		if present {
			detail, done = "approved and in Kafka, but not recorded active", "recorded"
		}
		repair(Finding{Topic: name, Kind: Unactivated, Detail: detail}, done, func() error { return m.Activate(ctx, name, gen) })
	case topic.Inactive:
		detail, done := "inactive but still in Kafka", "deleted"
		if !present {
			detail, done = "inactive and gone from Kafka, but not recorded deleted", "recorded"
		}
		repair(Finding{Topic: name, Kind: Undeleted, Detail: detail}, done, func() error { return m.Delete(ctx, name, gen) })
	case topic.Deleted, topic.Rejected:
		if present {
			repair(Finding{Topic: name, Kind: Stray, Detail: fmt.Sprintf("%s but present in Kafka", t.Status())}, "deleted",
				func() error {
					if _, err := due(ctx, m.topics, t.Name(), gen, t.Status()); err != nil {
						return err
					}
					return m.cluster.DeleteTopic(ctx, t.Name())
				})
		}
	case topic.Active:
		if !present {
			repair(Finding{Topic: name, Kind: Missing, Detail: "active but missing from Kafka"}, "recreated",
				m.repairActive(ctx, t, "recreated: it was missing from Kafka", func() error { return m.cluster.CreateTopic(ctx, t.Name(), t.Spec()) }))
			return
		}
		m.compare(ctx, t, kt, note, repair)
	}
}

// compare checks an active topic's partitions, replication factor and
// configs against Kafka, repairing what Kafka lets change.
func (m TopicManager) compare(ctx context.Context, t *topic.Topic, kt KafkaTopic, note func(Finding), repair func(Finding, string, func() error)) {
	name, spec := t.Name().String(), t.Spec()
	switch {
	case kt.Partitions < spec.Partitions:
		repair(Finding{Topic: name, Kind: Partitions, Detail: fmt.Sprintf("%d partitions in Kafka, %d approved", kt.Partitions, spec.Partitions)}, fmt.Sprintf("added %d", spec.Partitions-kt.Partitions),
			m.repairActive(ctx, t, fmt.Sprintf("partitions grown from %d to %d", kt.Partitions, spec.Partitions), func() error { return m.cluster.AddPartitions(ctx, t.Name(), spec.Partitions) }))
	case kt.Partitions > spec.Partitions:
		note(Finding{Topic: name, Kind: Partitions, Detail: fmt.Sprintf("%d partitions in Kafka, %d approved: Kafka cannot remove partitions", kt.Partitions, spec.Partitions)})
	}
	if kt.ReplicationFactor != spec.ReplicationFactor {
		note(Finding{Topic: name, Kind: ReplicationFactor, Detail: fmt.Sprintf("replication factor %d in Kafka, %d approved: reassign replicas to repair", kt.ReplicationFactor, spec.ReplicationFactor)})
	}
	differ := map[string]string{}
	var what []string
	for _, k := range slices.Sorted(maps.Keys(spec.Configs)) {
		if got, ok := kt.Configs[k]; !ok || got != spec.Configs[k] {
			differ[k] = spec.Configs[k]
			what = append(what, fmt.Sprintf("%s=%q, not %q", k, got, spec.Configs[k]))
		}
	}
	if len(differ) > 0 {
		detail := "in Kafka " + strings.Join(what, "; ")
		repair(Finding{Topic: name, Kind: Configs, Detail: detail}, "set again",
			m.repairActive(ctx, t, "configs set again: "+detail, func() error { return m.cluster.SetConfigs(ctx, t.Name(), differ) }))
	}
}

// repairActive returns the repair of active topic t: fix Kafka, then
// record the repair with detail. When t is no longer active at its
// generation, it touches nothing and returns errMovedOn.
func (m TopicManager) repairActive(ctx context.Context, t *topic.Topic, detail string, fix func() error) func() error {
	return func() error {
		if _, err := due(ctx, m.topics, t.Name(), t.Generation(), topic.Active); err != nil {
			return err
		}
		if err := fix(); err != nil {
			return err
		}
		return m.recordRepair(ctx, t, detail)
	}
}

// recordRepair records a drift repair in the topic's history and
// publishes TopicDriftRepaired.
func (m TopicManager) recordRepair(ctx context.Context, t *topic.Topic, detail string) error {
	cmd := newCommand(RepairTopicType, t.Name().String(), TopicManagerActor, detail)
	cmd.Generation = t.Generation()
	err := m.topics.Update(ctx, cmd, existing(cmd, func(cur *topic.Topic) error {
		if cur.Generation() != t.Generation() {
			return &StaleGenerationError{Topic: cmd.Topic, Current: cur.Generation(), Requested: t.Generation()}
		}
		return cur.RecordRepair(TopicManagerActor, detail)
	}))
	if IsRefusal(err) {
		return nil // the topic moved on meanwhile; nothing to record
	}
	return err
}

// importOrphan makes a topic found in Kafka an active topic of kds.
func (m TopicManager) importOrphan(ctx context.Context, name string, kt KafkaTopic) error {
	n, err := topic.ParseName(name)
	if err != nil {
		return err
	}
	cmd := newCommand(ImportTopicType, name, TopicManagerActor, "found in Kafka")
	spec := topic.Spec{Partitions: kt.Partitions, ReplicationFactor: kt.ReplicationFactor, Configs: kt.Configs}
	err = m.topics.Update(ctx, cmd, func(cur *topic.Topic) (*topic.Topic, error) {
		if cur != nil && !cur.Status().IsFinal() {
			return nil, &topic.AlreadyExistsError{Topic: name, Status: cur.Status()}
		}
		if cur != nil {
			return cur, errors.New("a deleted topic's name came back in Kafka: it is deleted, not imported")
		}
		return topic.NewImported(n, spec, TopicManagerActor, "found in Kafka")
	})
	return err
}
