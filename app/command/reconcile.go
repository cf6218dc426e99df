package command

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
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
	// ACLDrift: an ACL of a principal kds manages that Kafka lacked or had
	// without kds deciding it: created or deleted.
	ACLDrift FindingKind = "acl-drift"
	// ACLUnmanaged: an ACL of a principal kds does not manage, left alone.
	ACLUnmanaged FindingKind = "acl-unmanaged"
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

// Reconcile compares every topic kds keeps with Kafka and repairs what it
// can: approved topics missing from Kafka are created, active ones missing
// are recreated, too few partitions are added, configs are set again,
// inactive and deleted topics still in Kafka are deleted, and orphans are
// reported or imported. kds's internal topics and Kafka's are left alone.
// Repairs of one kind go to Kafka in one call, however many topics they
// are about.
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
	var p repairPlan
	known := make(map[string]bool, len(stored))
	for _, t := range stored {
		known[t.Name().String()] = true
		kt, present := inKafka[t.Name().String()]
		m.plan(ctx, &p, t, kt, present)
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
			p.notes = append(p.notes, f)
			continue
		}
		p.fixes.add(f, "imported", func() error { return m.importOrphan(ctx, name, kt) })
	}
	r.Findings = append(r.Findings, p.notes...)
	r.Findings = p.activations.settle(r.Findings, m.activateAll(ctx, p.activations.about))
	r.Findings = p.deletions.settle(r.Findings, m.deleteAll(ctx, p.deletions.about))
	r.Findings = p.strays.settle(r.Findings, m.deleteStrays(ctx, p.strays.about))
	r.Findings = p.missing.settle(r.Findings, m.recreate(ctx, p.missing.about))
	fixed := make([]error, len(p.fixes.about))
	for i, fix := range p.fixes.about {
		fixed[i] = fix()
	}
	r.Findings = p.fixes.settle(r.Findings, fixed)
	r.Findings = append(r.Findings, m.reconcileAccess(ctx)...)
	slices.SortFunc(r.Findings, func(a, b Finding) int {
		return cmp.Or(strings.Compare(a.Topic, b.Topic), strings.Compare(string(a.Kind), string(b.Kind)))
	})
	r.FinishedAt = time.Now().UTC()
	if err := m.log.Record(ctx, r); err != nil {
		return r, fmt.Errorf("record the reconciliation: %w", err)
	}
	return r, nil
}

// reconcileAccess converges Kafka's ACLs, when kds manages them, and
// reports what had drifted and the ACLs it leaves alone. Between
// decisions, which converge as they are made, a grant or revocation found
// here is one made or undone by hand.
func (m TopicManager) reconcileAccess(ctx context.Context) []Finding {
	if m.access == nil {
		return nil
	}
	ch, err := m.access.Converge(ctx, TopicManagerActor)
	if err != nil {
		return []Finding{{Kind: ACLDrift, Detail: "Kafka's ACLs were not compared", Error: err.Error()}}
	}
	var out []Finding
	for _, g := range ch.Granted {
		out = append(out, Finding{Topic: g.Name, Kind: ACLDrift, Detail: "missing in Kafka: " + g.String() + ": created", Repaired: true})
	}
	for _, g := range ch.Revoked {
		out = append(out, Finding{Topic: g.Name, Kind: ACLDrift, Detail: "in Kafka but not kds's decision: " + g.String() + ": deleted", Repaired: true})
	}
	for _, u := range ch.DeletedUsers {
		out = append(out, Finding{Kind: ACLDrift, Detail: "SCRAM user " + u + " of no live token: deleted", Repaired: true})
	}
	for _, u := range ch.Unmanaged {
		out = append(out, Finding{Kind: ACLUnmanaged, Detail: u + ": not kds's, left alone"})
	}
	return out
}

// repairPlan is what a reconciliation found: findings to note as they are,
// and repairs, gathered by kind.
type repairPlan struct {
	notes       []Finding
	activations repairs[target]
	deletions   repairs[target]
	strays      repairs[*topic.Topic]
	missing     repairs[*topic.Topic]
	// fixes are the repairs done one topic at a time.
	fixes repairs[func() error]
}

// repairs are findings of one kind, each with what its repair does once
// done and what the repair is about.
type repairs[T any] struct {
	found []Finding
	done  []string
	about []T
}

func (r *repairs[T]) add(f Finding, done string, about T) {
	r.found, r.done, r.about = append(r.found, f), append(r.done, done), append(r.about, about)
}

// settle appends to findings each finding with the outcome of its repair:
// what was done, or that the topic moved on and was left alone, or the
// error.
func (r repairs[T]) settle(findings []Finding, errs []error) []Finding {
	for i, f := range r.found {
		done := r.done[i]
		switch err := errs[i]; {
		case errors.Is(err, errMovedOn):
			done = "left alone, " + err.Error()
		case err != nil:
			f.Error = err.Error()
		default:
			f.Repaired = true
		}
		f.Detail += ": " + done
		findings = append(findings, f)
	}
	return findings
}

// plan compares one of kds's topics with Kafka.
func (m TopicManager) plan(ctx context.Context, p *repairPlan, t *topic.Topic, kt KafkaTopic, present bool) {
	name, gen := t.Name().String(), t.Generation()
	switch t.Status() {
	case topic.Approved:
		detail, done := "approved but missing from Kafka", "created"
		if present {
			detail, done = "approved and in Kafka, but not recorded active", "recorded"
		}
		p.activations.add(Finding{Topic: name, Kind: Unactivated, Detail: detail}, done, target{name, gen})
	case topic.Inactive:
		detail, done := "inactive but still in Kafka", "deleted"
		if !present {
			detail, done = "inactive and gone from Kafka, but not recorded deleted", "recorded"
		}
		p.deletions.add(Finding{Topic: name, Kind: Undeleted, Detail: detail}, done, target{name, gen})
	case topic.Deleted, topic.Rejected:
		if present {
			p.strays.add(Finding{Topic: name, Kind: Stray, Detail: fmt.Sprintf("%s but present in Kafka", t.Status())}, "deleted", t)
		}
	case topic.Active:
		if !present {
			p.missing.add(Finding{Topic: name, Kind: Missing, Detail: "active but missing from Kafka"}, "recreated", t)
			return
		}
		m.compare(ctx, p, t, kt)
	}
}

// deleteStrays deletes from Kafka, in one call, the topics of ts that are
// still deleted or rejected at the generation they were read at.
func (m TopicManager) deleteStrays(ctx context.Context, ts []*topic.Topic) []error {
	return m.asRead(ctx, ts, func(ctx context.Context, due []*topic.Topic) []error {
		return m.cluster.DeleteTopics(ctx, namesOf(due))
	}, nil)
}

// recreate creates in Kafka, in one call, the topics of ts that are still
// active at the generation they were read at, and records each repair.
func (m TopicManager) recreate(ctx context.Context, ts []*topic.Topic) []error {
	return m.asRead(ctx, ts, func(ctx context.Context, due []*topic.Topic) []error {
		return m.cluster.CreateTopics(ctx, creations(due))
	}, func(t *topic.Topic) error { return m.recordRepair(ctx, t, "recreated: it was missing from Kafka") })
}

// asRead hands inKafka, in one call, the topics of ts still at the
// generation and status they were read at, and then, for each that Kafka
// took, runs after unless it is nil. It returns one error per topic,
// errMovedOn for one that moved on.
func (m TopicManager) asRead(ctx context.Context, ts []*topic.Topic, inKafka func(context.Context, []*topic.Topic) []error, after func(*topic.Topic) error) []error {
	errs := make([]error, len(ts))
	var due dueTopics
	for i, t := range ts {
		if _, errs[i] = dueTopic(ctx, m.topics, t.Name(), t.Generation(), t.Status()); errs[i] == nil {
			due.add(i, t)
		}
	}
	for j, err := range due.send(ctx, inKafka) {
		if err == nil && after != nil {
			err = after(due.topics[j])
		}
		errs[due.places[j]] = err
	}
	return errs
}

// compare checks an active topic's partitions, replication factor and
// configs against Kafka, planning to repair what Kafka lets change.
func (m TopicManager) compare(ctx context.Context, p *repairPlan, t *topic.Topic, kt KafkaTopic) {
	name, spec := t.Name().String(), t.Spec()
	switch {
	case kt.Partitions < spec.Partitions:
		p.fixes.add(Finding{Topic: name, Kind: Partitions, Detail: fmt.Sprintf("%d partitions in Kafka, %d approved", kt.Partitions, spec.Partitions)}, fmt.Sprintf("added %d", spec.Partitions-kt.Partitions),
			m.repairActive(ctx, t, fmt.Sprintf("partitions grown from %d to %d", kt.Partitions, spec.Partitions), func() error { return m.cluster.AddPartitions(ctx, t.Name(), spec.Partitions) }))
	case kt.Partitions > spec.Partitions:
		p.notes = append(p.notes, Finding{Topic: name, Kind: Partitions, Detail: fmt.Sprintf("%d partitions in Kafka, %d approved: Kafka cannot remove partitions", kt.Partitions, spec.Partitions)})
	}
	if kt.ReplicationFactor != spec.ReplicationFactor {
		p.notes = append(p.notes, Finding{Topic: name, Kind: ReplicationFactor, Detail: fmt.Sprintf("replication factor %d in Kafka, %d approved: reassign replicas to repair", kt.ReplicationFactor, spec.ReplicationFactor)})
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
		p.fixes.add(Finding{Topic: name, Kind: Configs, Detail: detail}, "set again",
			m.repairActive(ctx, t, "configs set again: "+detail, func() error { return m.cluster.ReplaceConfigs(ctx, t.Name(), spec.Configs) }))
	}
}

// repairActive returns the repair of active topic t: fix Kafka, then
// record the repair with detail. When t is no longer active at its
// generation, it touches nothing and returns errMovedOn.
func (m TopicManager) repairActive(ctx context.Context, t *topic.Topic, detail string, fix func() error) func() error {
	return func() error {
		if _, err := dueTopic(ctx, m.topics, t.Name(), t.Generation(), topic.Active); err != nil {
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
