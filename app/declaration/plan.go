package declaration

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/kds-io/kds/app/query"
	"github.com/kds-io/kds/app/topic"
)

// Action is what a plan does for one topic.
type Action string

// The actions of a plan.
const (
	// Request asks for a declared topic kds does not have, or whose last
	// generation ended.
	Request Action = "request"
	// Update changes an active topic to what is declared.
	Update Action = "update"
	// Deactivate ends an active topic no longer declared (with prune).
	Deactivate Action = "deactivate"
	// Reject ends a pending topic no longer declared (with prune).
	Reject Action = "reject"
	// Keep: the topic is as declared, or on its way there.
	Keep Action = "none"
	// Refuse: what is declared cannot be reached from where the topic is,
	// such as fewer partitions than Kafka has; Reason says why.
	Refuse Action = "refused"
)

// Change is what a plan does for one topic, and why.
type Change struct {
	Topic  string `json:"topic"`
	Action Action `json:"action"`
	// Status is where the topic is now; empty when kds does not have it.
	Status topic.Status `json:"status,omitempty"`
	// What lists what changes, one item each.
	What []string `json:"changes,omitempty"`
	// Reason says why a topic is refused or kept as it is.
	Reason string `json:"reason,omitempty"`
	// Declared is the topic as declared; nil for one no longer declared.
	Declared *Topic `json:"-"`
	Source   string `json:"source,omitempty"`
}

// Options tune a plan.
type Options struct {
	// Prune ends the topics of the declaration's owners that it no longer
	// declares: active ones are deactivated, pending ones rejected.
	Prune bool
}

// Plan is what it takes to bring kds to a declaration: a change per
// topic, by name.
type Plan struct {
	Changes []Change `json:"changes"`
}

// Pending counts the changes that issue a command.
func (p Plan) Pending() int {
	n := 0
	for _, c := range p.Changes {
		if c.Action != Keep && c.Action != Refuse {
			n++
		}
	}
	return n
}

// Refused lists the changes that cannot be made.
func (p Plan) Refused() []Change {
	return slices.DeleteFunc(slices.Clone(p.Changes), func(c Change) bool { return c.Action != Refuse })
}

// Compare plans how to bring current, every topic kds has, to d.
func Compare(d Declaration, current []query.Topic, opts Options) Plan {
	byName := make(map[string]query.Topic, len(current))
	for _, t := range current {
		byName[t.Name] = t
	}
	var p Plan
	declared := map[string]bool{}
	for i := range d.Topics {
		have, known := byName[d.Topics[i].Name]
		want := keepUndeclared(d.Topics[i], have)
		declared[want.Name] = true
		c := compare(want, have, known)
		c.Declared, c.Source = want, want.Source.String()
		p.Changes = append(p.Changes, c)
	}
	if opts.Prune {
		owners := d.Owners()
		for _, name := range slices.Sorted(maps.Keys(byName)) {
			t := byName[name]
			if declared[name] || t.Owner == "" || !slices.Contains(owners, t.Owner) {
				continue
			}
			switch t.Status {
			case topic.Active:
				p.Changes = append(p.Changes, Change{Topic: name, Action: Deactivate, Status: t.Status, Reason: "no longer declared by owner " + t.Owner})
			case topic.Pending:
				p.Changes = append(p.Changes, Change{Topic: name, Action: Reject, Status: t.Status, Reason: "no longer declared by owner " + t.Owner})
			}
		}
	}
	slices.SortFunc(p.Changes, func(a, b Change) int { return strings.Compare(a.Topic, b.Topic) })
	return p
}

// keepUndeclared is want with the owner and description have has where
// want declares none: a declaration changes only what it says.
func keepUndeclared(want Topic, have query.Topic) *Topic {
	if have.Status.IsFinal() {
		return &want
	}
	want.Details.Owner = cmp.Or(want.Details.Owner, have.Owner)
	want.Details.Description = cmp.Or(want.Details.Description, have.Description)
	// Declarations do not name producers and consumers: they stay.
	want.Details.Producers, want.Details.Consumers = have.Producers, have.Consumers
	return &want
}

// compare plans one declared topic, given what kds has of it.
func compare(want *Topic, have query.Topic, known bool) Change {
	c := Change{Topic: want.Name}
	if !known || have.Status.IsFinal() {
		c.Action, c.Status = Request, have.Status
		c.What = []string{fmt.Sprintf("%d partitions, replication factor %d", want.Spec.Partitions, want.Spec.ReplicationFactor)}
		for _, k := range slices.Sorted(maps.Keys(want.Spec.Configs)) {
			c.What = append(c.What, fmt.Sprintf("%s=%s", k, want.Spec.Configs[k]))
		}
		return c
	}
	c.Status = have.Status
	spec := topic.Spec{Partitions: have.Partitions, ReplicationFactor: have.ReplicationFactor, Configs: have.Configs}
	details := topic.Details{Owner: have.Owner, Description: have.Description}
	what := spec.Changes(want.Spec)
	if details.Owner != want.Details.Owner {
		what = append(what, fmt.Sprintf("owner %q → %q", details.Owner, want.Details.Owner))
	}
	if details.Description != want.Details.Description {
		what = append(what, "description")
	}
	switch have.Status {
	case topic.Active:
		if err := spec.CanBecome(want.Spec); err != nil {
			c.Action, c.What, c.Reason = Refuse, what, err.Error()
			return c
		}
		if len(what) == 0 {
			c.Action = Keep
			return c
		}
		c.Action, c.What = Update, what
	case topic.Pending, topic.Approved:
		if len(what) > 0 {
			c.Action, c.What = Refuse, what
			c.Reason = fmt.Sprintf("it is %s as requested before; reject it, or let it become active and apply again", have.Status)
			return c
		}
		c.Action, c.Reason = Keep, "requested as declared, "+string(have.Status)
	case topic.Inactive:
		c.Action, c.Reason = Refuse, "it is being deleted; apply again once it is deleted to request it anew"
	}
	return c
}

// ReachedBy reports whether have, the topic as kds has it now, is where
// the change leads, as when another apply of the same declaration made
// the change first.
func (c Change) ReachedBy(have query.Topic) bool {
	switch c.Action {
	case Request, Update:
		return c.Declared != nil && have.Name == c.Topic && compare(keepUndeclared(*c.Declared, have), have, true).Action == Keep
	case Deactivate:
		return have.Status == topic.Inactive || have.Status == topic.Deleted
	case Reject:
		return have.Status == topic.Rejected
	}
	return false
}
