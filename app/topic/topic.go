// Package topic is the heart of kds: a Kafka topic's lifecycle as one
// aggregate with a method per transition.
package topic

import "strings"

// Topic is the current generation of a named topic. A generation ends when
// the topic is rejected or deleted; the name may then be requested again,
// starting the next generation.
type Topic struct {
	name        Name
	generation  int
	status      Status
	spec        Spec
	details     Details
	requestedBy string

	transitions []Transition
}

// New starts the first generation of a topic: pending approval.
func New(name Name, spec Spec, details Details, limits Limits, actor, reason string) (*Topic, error) {
	if name.IsZero() {
		return nil, &InvalidNameError{Reason: "it is empty"}
	}
	if err := validate(spec, details, limits); err != nil {
		return nil, err
	}
	t := &Topic{name: name}
	t.begin(spec, details, actor, reason)
	return t, nil
}

func validate(spec Spec, details Details, limits Limits) error {
	if err := spec.Validate(limits); err != nil {
		return err
	}
	return details.Validate()
}

// NewImported starts keeping a topic that exists in Kafka but was unknown to
// kds: it is active from the start, at generation 1.
func NewImported(name Name, spec Spec, actor, reason string) (*Topic, error) {
	if name.IsZero() {
		return nil, &InvalidNameError{Reason: "it is empty"}
	}
	t := &Topic{name: name, generation: 1, status: Active, spec: spec.clone(), requestedBy: actor}
	t.record(Import, "", actor, reason)
	return t, nil
}

// UnmarshalFromDatabase rebuilds a stored topic; it is for repositories only.
func UnmarshalFromDatabase(name Name, generation int, status Status, spec Spec, details Details, requestedBy string) *Topic {
	return &Topic{name: name, generation: generation, status: status, spec: spec.clone(), details: details, requestedBy: requestedBy}
}

// RequestAgain starts the next generation of a rejected or deleted topic.
func (t *Topic) RequestAgain(spec Spec, details Details, limits Limits, actor, reason string) error {
	if !t.status.IsFinal() {
		return &AlreadyExistsError{Topic: t.name.String(), Status: t.status}
	}
	if err := validate(spec, details, limits); err != nil {
		return err
	}
	t.begin(spec, details, actor, reason)
	return nil
}

func (t *Topic) begin(spec Spec, details Details, actor, reason string) {
	from := t.status
	t.generation++
	t.status = Pending
	t.spec = spec.clone()
	t.details = details
	t.requestedBy = actor
	t.record(Request, from, actor, reason)
}

// Update changes an active topic to spec and details, as far as Kafka can
// change a topic: more partitions and other configs, never fewer
// partitions or another replication factor. The topic manager then makes
// Kafka match. reason, when empty, says what changed.
func (t *Topic) Update(spec Spec, details Details, limits Limits, actor, reason string) error {
	if t.status != Active {
		return &IllegalTransitionError{Topic: t.name.String(), From: t.status, Action: Update}
	}
	if err := validate(spec, details, limits); err != nil {
		return err
	}
	if err := t.spec.CanBecome(spec); err != nil {
		return &UnchangeableError{Topic: t.name.String(), Err: err}
	}
	changes := append(t.spec.Changes(spec), t.details.Changes(details)...)
	if len(changes) == 0 {
		return &UnchangedError{Topic: t.name.String()}
	}
	if reason == "" {
		reason = strings.Join(changes, "; ")
	}
	t.spec = spec.clone()
	t.details = details
	t.record(Update, Active, actor, reason)
	return nil
}

// Approve lets a pending topic be created in Kafka.
func (t *Topic) Approve(actor, reason string) error { return t.apply(Approve, actor, reason) }

// Reject refuses a pending topic and ends its generation.
func (t *Topic) Reject(actor, reason string) error { return t.apply(Reject, actor, reason) }

// Activate records that an approved topic now exists in Kafka.
func (t *Topic) Activate(actor string) error { return t.apply(Activate, actor, "") }

// Deactivate closes an active topic to producers and consumers; the topic
// manager then deletes it from Kafka.
func (t *Topic) Deactivate(actor, reason string) error { return t.apply(Deactivate, actor, reason) }

// RecordRepair records that Kafka was made to match the active topic again;
// detail says what had drifted.
func (t *Topic) RecordRepair(actor, detail string) error { return t.apply(Repair, actor, detail) }

// RecordAccess records ACLs granted or revoked in Kafka for the topic;
// detail says which, to whom. Grants start at approval and end before
// deletion, so an approved, active or inactive topic takes it.
func (t *Topic) RecordAccess(actor, detail string) error {
	switch t.status {
	case Approved, Active, Inactive:
	default:
		return &IllegalTransitionError{Topic: t.name.String(), From: t.status, Action: Access}
	}
	t.record(Access, t.status, actor, detail)
	return nil
}

// MarkDeleted records that an inactive topic is gone from Kafka, ending its
// generation; reason notes anything worth knowing, such as consumers that
// were cut off.
func (t *Topic) MarkDeleted(actor, reason string) error { return t.apply(Delete, actor, reason) }

func (t *Topic) apply(a Action, actor, reason string) error {
	m := moves[a]
	if t.status != m.from {
		return &IllegalTransitionError{Topic: t.name.String(), From: t.status, Action: a}
	}
	from := t.status
	t.status = m.to
	t.record(a, from, actor, reason)
	return nil
}

func (t *Topic) record(a Action, from Status, actor, reason string) {
	t.transitions = append(t.transitions, Transition{
		Topic:      t.name,
		Generation: t.generation,
		Action:     a,
		From:       from,
		To:         t.status,
		Actor:      actor,
		Reason:     reason,
		Spec:       t.spec.clone(),
	})
}

// Name is the topic's name in Kafka.
func (t *Topic) Name() Name { return t.name }

// Generation counts how many times the name has been requested.
func (t *Topic) Generation() int { return t.generation }

// Status is where the topic is in its lifecycle.
func (t *Topic) Status() Status { return t.status }

// Spec is what the topic looks like in Kafka.
func (t *Topic) Spec() Spec { return t.spec.clone() }

// Details are who owns the topic and what it is for.
func (t *Topic) Details() Details { return t.details }

// RequestedBy is who requested the current generation.
func (t *Topic) RequestedBy() string { return t.requestedBy }

// Transitions are the moves made since the topic was loaded, oldest first,
// for the repository to record.
func (t *Topic) Transitions() []Transition {
	return append([]Transition(nil), t.transitions...)
}
