// Package access is who may do what in Kafka: the Kafka principal of each
// kds identity, the ACLs kds's decisions call for, and keeping Kafka's
// ACLs equal to them.
package access

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// ResourceType is what an ACL is about.
type ResourceType string

// The resources kds grants on.
const (
	TopicResource ResourceType = "topic"
	GroupResource ResourceType = "group"
)

// Pattern says how an ACL's resource name matches.
type Pattern string

// The patterns kds uses.
const (
	Literal  Pattern = "literal"
	Prefixed Pattern = "prefixed"
)

// Operation is what an ACL allows.
type Operation string

// The operations kds grants.
const (
	Read     Operation = "READ"
	Write    Operation = "WRITE"
	Describe Operation = "DESCRIBE"
)

// Grant is one ALLOW ACL from any host: principal may do operation on the
// resource.
type Grant struct {
	Principal string       `json:"principal"`
	Resource  ResourceType `json:"resource"`
	Name      string       `json:"name"`
	Pattern   Pattern      `json:"pattern"`
	Operation Operation    `json:"operation"`
}

func (g Grant) String() string {
	pattern := ""
	if g.Pattern == Prefixed {
		pattern = " prefixed"
	}
	return fmt.Sprintf("%s on %s%s %s to %s", g.Operation, g.Resource, pattern, g.Name, g.Principal)
}

// compare orders grants by principal, resource and operation, for stable
// output.
func compare(a, b Grant) int {
	return cmp.Or(strings.Compare(a.Principal, b.Principal), strings.Compare(string(a.Resource), string(b.Resource)),
		strings.Compare(a.Name, b.Name), strings.Compare(string(a.Pattern), string(b.Pattern)), strings.Compare(string(a.Operation), string(b.Operation)))
}

// Sorted returns grants in a stable order.
func Sorted(grants []Grant) []Grant {
	out := slices.Clone(grants)
	slices.SortFunc(out, compare)
	return out
}

// EventsTopic is kds.events, which every client kds manages follows.
const EventsTopic = "kds.events"

// ConsumerGroupPrefix is the start of the consumer groups of a consumer's
// subscriptions to a topic (command's groupFor adds a random suffix).
func ConsumerGroupPrefix(consumerID, topic string) string {
	return "kds-consumer." + consumerID + "." + topic + "."
}
