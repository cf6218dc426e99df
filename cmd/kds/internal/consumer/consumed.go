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

// Deliver implements handlers.Sink, counting what the sink took: messages
// of one partition, so of one topic.
func (c *consumedCounts) Deliver(msgs []content.Message) (int, error) {
	n, err := c.Sink.Deliver(msgs)
	if n > 0 {
		c.mu.Lock()
		c.counts[msgs[0].Topic] += int64(n)
		c.mu.Unlock()
	}
	return n, err
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
