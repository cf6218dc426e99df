package live

import (
	"context"
	"log/slog"
	"sync"

	"github.com/kds-io/kds/app/content"
)

// tails are the live views' reads of Kafka: one per topic however many
// browsers watch it, started by the first watcher and stopped when the
// last one leaves. Each watcher keeps only the newest few messages it has
// not yet sent and counts the ones it had to drop, so that a topic written
// thousands of times a second costs a browser no more than its stream's
// rate.
type tails struct {
	source content.Follower
	keep   int // messages a watcher holds between sends
	log    *slog.Logger
	// opened is told +1 or -1 as tails start and stop, for a metric.
	opened func(delta float64)

	mu      sync.Mutex
	byTopic map[string]*tail
}

func newTails(source content.Follower, keep int, log *slog.Logger, opened func(float64)) *tails {
	return &tails{source: source, keep: keep, log: log, opened: opened, byTopic: map[string]*tail{}}
}

// tail is one topic's read, shared by its watchers.
type tail struct {
	topic  string
	cancel context.CancelFunc
	// ready is closed once the read has its starting offsets (every
	// message written after that is seen) or failed with err.
	ready chan struct{}
	err   error

	mu       sync.Mutex
	watchers map[*watcher]struct{}
}

// watcher is one stream's share of a tail.
type watcher struct {
	keep int
	// wake has a value when messages wait.
	wake chan struct{}

	mu      sync.Mutex
	pending []content.Message // the newest, oldest first
	skipped int64             // dropped since the last take
}

// offer gives the watcher a message, dropping its oldest waiting one when
// it already holds as many as it keeps.
func (w *watcher) offer(m content.Message) {
	w.mu.Lock()
	if len(w.pending) == w.keep {
		copy(w.pending, w.pending[1:])
		w.pending = w.pending[:len(w.pending)-1]
		w.skipped++
	}
	w.pending = append(w.pending, m)
	w.mu.Unlock()
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// take returns the waiting messages, oldest first, and how many were
// dropped before them.
func (w *watcher) take() ([]content.Message, int64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	msgs, skipped := w.pending, w.skipped
	w.pending, w.skipped = make([]content.Message, 0, w.keep), 0
	return msgs, skipped
}

// join adds a watcher to the topic's tail, starting the tail if it is the
// first, and waits until the tail reads (or ctx ends). Call leave when done.
func (ts *tails) join(ctx context.Context, topic string) (*tail, *watcher, error) {
	w := &watcher{keep: ts.keep, wake: make(chan struct{}, 1), pending: make([]content.Message, 0, ts.keep)}
	ts.mu.Lock()
	t := ts.byTopic[topic]
	if t == nil {
		runCtx, cancel := context.WithCancel(context.Background())
		t = &tail{topic: topic, cancel: cancel, ready: make(chan struct{}), watchers: map[*watcher]struct{}{}}
		ts.byTopic[topic] = t
		ts.opened(1)
		go ts.run(runCtx, t)
	}
	t.mu.Lock()
	t.watchers[w] = struct{}{}
	t.mu.Unlock()
	ts.mu.Unlock()

	select {
	case <-t.ready:
	case <-ctx.Done():
		ts.leave(t, w)
		return nil, nil, ctx.Err()
	}
	if t.err != nil {
		ts.leave(t, w)
		return nil, nil, t.err
	}
	return t, w, nil
}

// leave removes a watcher; the last one to leave stops the tail.
func (ts *tails) leave(t *tail, w *watcher) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	t.mu.Lock()
	delete(t.watchers, w)
	last := len(t.watchers) == 0
	t.mu.Unlock()
	if last && ts.byTopic[t.topic] == t {
		delete(ts.byTopic, t.topic)
		ts.opened(-1)
		t.cancel()
	}
}

// run reads the topic and hands every message to the watchers until the
// tail is stopped.
func (ts *tails) run(ctx context.Context, t *tail) {
	msgs, stop, err := ts.source.Follow(ctx, t.topic)
	if err != nil {
		t.err = err
		close(t.ready)
		// Forget the failed tail so that the next watcher tries again;
		// the watchers waiting now leave on their own.
		ts.mu.Lock()
		if ts.byTopic[t.topic] == t {
			delete(ts.byTopic, t.topic)
			ts.opened(-1)
		}
		ts.mu.Unlock()
		t.cancel()
		return
	}
	close(t.ready)
	ts.log.Debug("live messages: tail started", "topic", t.topic)
	defer func() {
		if err := stop(); err != nil {
			ts.log.Warn("live messages: stop reading a topic", "topic", t.topic, "err", err)
		}
		ts.log.Debug("live messages: tail stopped", "topic", t.topic)
	}()
	for {
		select {
		case <-ctx.Done():
			return
		case m, ok := <-msgs:
			if !ok {
				return
			}
			t.mu.Lock()
			for w := range t.watchers {
				w.offer(m)
			}
			t.mu.Unlock()
		}
	}
}
