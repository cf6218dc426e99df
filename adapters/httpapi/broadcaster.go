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
	// watchers are woken, never more than once in a row, by any event
	// about their topic.
	watchers map[string]map[chan struct{}]struct{}
	// transitions counts the transition events published (Transitions).
	transitions atomic.Uint64
}

// NewBroadcaster returns a broadcaster without listeners.
func NewBroadcaster() *Broadcaster {
	return &Broadcaster{listeners: map[chan topic.Event]struct{}{}, watchers: map[string]map[chan struct{}]struct{}{}}
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
	for w := range b.watchers[ev.Topic] {
		select {
		case w <- struct{}{}:
		default: // already woken and not yet awake
		}
	}
}

// WatchTopic returns a channel that receives a value after events about
// the topic (however many arrived meanwhile: none is missed, unlike
// Listen's slow listeners), and a function that stops it.
func (b *Broadcaster) WatchTopic(name string) (<-chan struct{}, func()) {
	w := make(chan struct{}, 1)
	b.mu.Lock()
	if b.watchers[name] == nil {
		b.watchers[name] = map[chan struct{}]struct{}{}
	}
	b.watchers[name][w] = struct{}{}
	b.mu.Unlock()
	return w, func() {
		b.mu.Lock()
		delete(b.watchers[name], w)
		if len(b.watchers[name]) == 0 {
			delete(b.watchers, name)
		}
		b.mu.Unlock()
	}
}

// Transitions counts the transition events published: each may have
// changed which topics are active.
func (b *Broadcaster) Transitions() uint64 { return b.transitions.Load() }

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
