package content

import (
	"fmt"
	"maps"
	"slices"
	"sync"

	"github.com/kds-io/kds/app/topic"
)

// ActiveTopics is a producer's view of which topics take messages, kept
// current as lifecycle events arrive.
type ActiveTopics struct {
	mu     sync.RWMutex
	active map[string]bool
}

// NewActiveTopics starts from the active topics the API listed.
func NewActiveTopics(names []string) *ActiveTopics {
	a := &ActiveTopics{active: make(map[string]bool, len(names))}
	for _, n := range names {
		a.active[n] = true
	}
	return a
}

// Set records whether a topic is active, and reports whether that changed.
func (a *ActiveTopics) Set(name string, active bool) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.active[name] == active {
		return false
	}
	if active {
		a.active[name] = true
	} else {
		delete(a.active, name)
	}
	return true
}

// IsActive reports whether the topic takes messages.
func (a *ActiveTopics) IsActive(name string) bool {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return a.active[name]
}

// List returns the active topics, sorted.
func (a *ActiveTopics) List() []string {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return slices.Sorted(maps.Keys(a.active))
}

// NotActiveError refuses content for a topic that is not active.
type NotActiveError struct {
	Topic string
	// Status is the topic's status when known, empty when kds does not
	// know the topic.
	Status topic.Status
}

func (e *NotActiveError) Error() string {
	switch e.Status {
	case "":
		return fmt.Sprintf("topic %q does not exist: request it with kds topic request %s", e.Topic, e.Topic)
	case topic.Pending:
		return fmt.Sprintf("topic %q is pending, not active: it waits for an admin's approval", e.Topic)
	case topic.Approved:
		return fmt.Sprintf("topic %q is approved but not yet active: the topic manager is creating it", e.Topic)
	}
	return fmt.Sprintf("topic %q is %s, not active: it takes no messages", e.Topic, e.Status)
}
