package consumer

import (
	"maps"
	"sync"

	"github.com/kds-io/kds/app/content"
	"github.com/kds-io/kds/handlers"
)

// consumedCounts passes what a consumer process receives on to its sink
// and counts it per topic, for the heartbeat: the API turns the counts
// into kds_messages_consumed_total.
type consumedCounts struct {
	handlers.Sink
	mu     sync.Mutex
	counts map[string]int64
}

func countConsumed(sink handlers.Sink) *consumedCounts {
	return &consumedCounts{Sink: sink, counts: map[string]int64{}}
}

// Deliver implements handlers.Sink, counting what the sink took.
func (c *consumedCounts) Deliver(m content.Message) error {
	if err := c.Sink.Deliver(m); err != nil {
		return err
	}
	c.mu.Lock()
	c.counts[m.Topic]++
	c.mu.Unlock()
	return nil
}

// totals is how many messages each topic delivered since the process
// started; nil before the first.
func (c *consumedCounts) totals() map[string]int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.counts) == 0 {
		return nil
	}
	return maps.Clone(c.counts)
}
