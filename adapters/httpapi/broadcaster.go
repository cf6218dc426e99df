package httpapi

import (
	"sync"
	"sync/atomic"

	"github.com/kds-io/kds/app/topic"
)

// Broadcaster hands every lifecycle event this process reads to whoever
// listens: requests waiting for an outcome, and the dashboard. A listener
// too slow to keep up misses events rather than slowing the others.
type Broadcaster struct {
	mu        sync.Mutex
	listeners map[chan topic.Event]struct{}
	// transitions counts the transition events published: each may have
	// changed which topics are active (activeList).
	transitions atomic.Uint64
}

// NewBroadcaster returns a broadcaster without listeners.
func NewBroadcaster() *Broadcaster {
	return &Broadcaster{listeners: map[chan topic.Event]struct{}{}}
}

// Publish implements handlers.EventSink.
func (b *Broadcaster) Publish(ev topic.Event) {
	if _, ok := ev.Type.Action(); ok {
		b.transitions.Add(1)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for l := range b.listeners {
		select {
		case l <- ev:
		default:
		}
	}
}

// Listen returns a channel of events and a function that stops them.
func (b *Broadcaster) Listen(buffer int) (<-chan topic.Event, func()) {
	l := make(chan topic.Event, buffer)
	b.mu.Lock()
	b.listeners[l] = struct{}{}
	b.mu.Unlock()
	return l, func() {
		b.mu.Lock()
		delete(b.listeners, l)
		b.mu.Unlock()
	}
}
