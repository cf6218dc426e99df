package command

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// gatedRun is a batch function that reports each batch and holds it until
// released.
type gatedRun struct {
	batches chan gatedBatch
	release chan struct{}
	// ctxErrs are the batches' contexts' errors when released.
	ctxErrs chan error
}

type gatedBatch struct {
	items []int
	ctx   context.Context
}

func newGatedRun() *gatedRun {
	return &gatedRun{batches: make(chan gatedBatch, 10), release: make(chan struct{}), ctxErrs: make(chan error, 10)}
}

func (g *gatedRun) run(ctx context.Context, items []int) []error {
	g.batches <- gatedBatch{items, ctx}
	<-g.release
	g.ctxErrs <- ctx.Err()
	errs := make([]error, len(items))
	for i, n := range items {
		errs[i] = fmt.Errorf("item %d", n)
	}
	return errs
}

// awaitQueued polls until n calls wait for the next batch.
func awaitQueued(t *testing.T, c *coalescer[int], n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c.mu.Lock()
		queued := len(c.queue)
		c.mu.Unlock()
		if queued == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d calls queued, want %d", queued, n)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestCallsMadeDuringABatchRunAsTheNext(t *testing.T) {
	t.Parallel()
	g := newGatedRun()
	c := newCoalescer(g.run)
	results := make(chan string, 6)
	call := func(n int) {
		results <- c.do(context.Background(), n).Error()
	}
	go call(0)
	if first := (<-g.batches).items; !slices.Equal(first, []int{0}) {
		t.Fatalf("first batch %v, want the first call alone", first)
	}
	for n := 1; n <= 5; n++ {
		go call(n)
	}
	awaitQueued(t, c, 5)
	g.release <- struct{}{}
	second := (<-g.batches).items
	slices.Sort(second)
	if !slices.Equal(second, []int{1, 2, 3, 4, 5}) {
		t.Fatalf("second batch %v, want the five calls made meanwhile", second)
	}
	g.release <- struct{}{}
	var got []string
	for range 6 {
		got = append(got, <-results)
	}
	slices.Sort(got)
	if want := []string{"item 0", "item 1", "item 2", "item 3", "item 4", "item 5"}; !slices.Equal(got, want) {
		t.Fatalf("callers got %v, want each its own item's error", got)
	}
}

func TestABatchRunsUntilItsLastCallerGivesUp(t *testing.T) {
	t.Parallel()
	g := newGatedRun()
	c := newCoalescer(g.run)
	hold, holdDone := context.WithCancel(context.Background())
	defer holdDone()
	go c.do(hold, 0)
	<-g.batches

	quitter, quit := context.WithCancel(context.Background())
	stayer, leave := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, ctx := range []context.Context{quitter, stayer} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = c.do(ctx, i+1)
		}()
	}
	awaitQueued(t, c, 2)
	g.release <- struct{}{}
	<-g.ctxErrs
	<-g.batches
	quit()
	g.release <- struct{}{}
	if err := <-g.ctxErrs; err != nil {
		t.Fatalf("the batch's context ended with one caller still waiting: %v", err)
	}
	wg.Wait()
	if errs[1] == nil || errs[1].Error() != "item 2" {
		t.Fatalf("the caller that waited got %v", errs[1])
	}
	if errs[0] == nil {
		t.Fatal("the caller that gave up got no error")
	}

	go c.do(stayer, 3)
	last := <-g.batches
	leave()
	select {
	case <-last.ctx.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the batch's context did not end once no caller was left")
	}
	g.release <- struct{}{}
}

func TestAPanicInABatchFailsItsCallsOnly(t *testing.T) {
	t.Parallel()
	c := newCoalescer(func(_ context.Context, items []int) []error {
		if items[0] == 0 {
			panic("broken change")
		}
		return make([]error, len(items))
	})
	if err := c.do(context.Background(), 0); err == nil || !strings.Contains(err.Error(), "broken change") {
		t.Fatalf("the call whose batch panicked got %v", err)
	}
	if err := c.do(context.Background(), 1); err != nil {
		t.Fatalf("the next batch: %v", err)
	}
}
