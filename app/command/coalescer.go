package command

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
)

// coalescer makes calls that come while others are under way into one
// batch: the first call runs at once, alone; calls made while a batch runs
// wait for it and then run together, as the next batch. Handlers of several
// partitions, each waiting for its own message to be done, so share the
// cost of a batch (a transaction's commit, a request to Kafka) without
// anyone waiting for a batch to fill.
type coalescer[T any] struct {
	run func(ctx context.Context, items []T) []error

	mu      sync.Mutex
	queue   []*coalescedCall[T]
	running bool
}

type coalescedCall[T any] struct {
	ctx  context.Context
	item T
	done chan error
}

// newCoalescer runs batches with run, which returns one error per item.
func newCoalescer[T any](run func(ctx context.Context, items []T) []error) *coalescer[T] {
	return &coalescer[T]{run: run}
}

// do runs item in the next batch and returns its error, or ctx's when ctx
// ends first (the item may still be carried out).
func (c *coalescer[T]) do(ctx context.Context, item T) error {
	call := &coalescedCall[T]{ctx: ctx, item: item, done: make(chan error, 1)}
	c.mu.Lock()
	c.queue = append(c.queue, call)
	if !c.running {
		c.running = true
		go c.drain()
	}
	c.mu.Unlock()
	select {
	case err := <-call.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// drain runs batches until no call waits.
func (c *coalescer[T]) drain() {
	for {
		c.mu.Lock()
		calls := c.queue
		c.queue = nil
		if len(calls) == 0 {
			c.running = false
			c.mu.Unlock()
			return
		}
		c.mu.Unlock()
		c.runBatch(calls)
	}
}

// runBatch runs the calls whose callers still wait, in one batch with a
// context that ends once every one of those callers has given up.
func (c *coalescer[T]) runBatch(calls []*coalescedCall[T]) {
	var live []*coalescedCall[T]
	for _, call := range calls {
		if call.ctx.Err() == nil {
			live = append(live, call)
		}
	}
	if len(live) == 0 {
		return
	}
	ctx, cancel := context.WithCancel(context.WithoutCancel(live[0].ctx))
	defer cancel()
	var waiting atomic.Int64
	waiting.Store(int64(len(live)))
	items := make([]T, len(live))
	for i, call := range live {
		items[i] = call.item
		stop := context.AfterFunc(call.ctx, func() {
			if waiting.Add(-1) == 0 {
				cancel()
			}
		})
		defer stop()
	}
	for i, err := range c.runSafely(ctx, items) {
		live[i].done <- err
	}
}

// runSafely runs a batch and turns a panic into every item's error: run
// calls the changes handlers passed in, on this goroutine, outside the
// router's recoverer.
func (c *coalescer[T]) runSafely(ctx context.Context, items []T) (errs []error) {
	defer func() {
		if r := recover(); r != nil {
			errs = make([]error, len(items))
			for i := range errs {
				errs[i] = fmt.Errorf("panic in a batch of %d: %v", len(items), r)
			}
		}
	}()
	return c.run(ctx, items)
}
