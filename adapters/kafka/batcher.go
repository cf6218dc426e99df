package kafka

import (
	"context"
	"sync"
)

// batcher sends concurrent requests together: a request that arrives while
// a batch is on its way waits for the next batch, which holds everything
// that arrived meanwhile. One request alone goes at once; a thousand
// concurrent ones go in a few round trips.
type batcher[T any] struct {
	send func(items []T) []error

	mu      sync.Mutex
	pending []batched[T]
	busy    bool
}

type batched[T any] struct {
	item T
	done chan error
}

func newBatcher[T any](send func(items []T) []error) *batcher[T] {
	return &batcher[T]{send: send}
}

// do adds item to the next batch and waits for its outcome.
func (b *batcher[T]) do(ctx context.Context, item T) error {
	req := batched[T]{item: item, done: make(chan error, 1)}
	b.mu.Lock()
	b.pending = append(b.pending, req)
	if !b.busy {
		b.busy = true
		go b.drain()
	}
	b.mu.Unlock()
	select {
	case err := <-req.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// drain sends batches until nothing is pending.
func (b *batcher[T]) drain() {
	for {
		b.mu.Lock()
		batch := b.pending
		b.pending = nil
		if len(batch) == 0 {
			b.busy = false
			b.mu.Unlock()
			return
		}
		b.mu.Unlock()
		items := make([]T, len(batch))
		for i, r := range batch {
			items[i] = r.item
		}
		errs := b.send(items)
		for i, r := range batch {
			r.done <- errs[i]
		}
	}
}
