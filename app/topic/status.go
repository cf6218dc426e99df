package topic

import "fmt"

// Status is where a topic is in its lifecycle.
type Status string

// The lifecycle: pending → approved → active → inactive → deleted, and
// pending → rejected. Rejected and deleted end a generation.
const (
	Pending  Status = "pending"
	Approved Status = "approved"
	Rejected Status = "rejected"
	Active   Status = "active"
	Inactive Status = "inactive"
	Deleted  Status = "deleted"
)

// Statuses lists every status in lifecycle order.
var Statuses = []Status{Pending, Approved, Active, Inactive, Deleted, Rejected}

// ParseStatus turns a stored or typed status back into a Status.
func ParseStatus(s string) (Status, error) {
	for _, st := range Statuses {
		if string(st) == s {
			return st, nil
		}
	}
	return "", fmt.Errorf("unknown topic status %q (want one of pending, approved, active, inactive, deleted, rejected)", s)
}

// String returns the status as stored and shown.
func (s Status) String() string { return string(s) }

// IsFinal reports whether the status ends a generation: the name may then be
// requested again.
func (s Status) IsFinal() bool { return s == Rejected || s == Deleted }
