package httpapi

import (
	"fmt"
	"maps"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kds-io/kds/adapters/httpapi/internal/httpjson"
	"github.com/kds-io/kds/app/subscription"
	"github.com/kds-io/kds/app/topic"
)

// maxConsumedTopics bounds the topics one heartbeat may report counts for.
const maxConsumedTopics = 10000

// consumedForget is how long a silent process's last counts are kept: a
// process heard from again later counts from them, not from zero.
const consumedForget = 10 * time.Minute

// The bounds of what heartbeats may add to kds_messages_consumed_total.
// A count above maxConsumedCount (a process delivering ten million
// messages a second for three years) is refused as no count at all; and
// what one report adds to a topic is at most maxConsumedRate a second
// since the process's previous report (one heartbeat interval for its
// first), so that no report, however made up, moves the counter by more
// than a real consumer could.
const (
	maxConsumedCount = 1_000_000_000_000_000
	maxConsumedRate  = 10_000_000
)

// consumption turns what consumer processes report in their heartbeats
// into kds_messages_consumed_total. Each report carries how many messages
// the process delivered per topic since it started; this API process
// counts what is new since the previous report it received from that
// process (a process it had not heard from as new since one heartbeat
// interval before), up to maxConsumedRate a second, and never less than it
// counted before. That is exact with
// one api instance; when a load balancer spreads one consumer process's
// heartbeats over several api instances, their sum counts some messages
// more than once.
type consumption struct {
	counter *prometheus.CounterVec

	mu        sync.Mutex
	seen      map[string]reported // by consumer and instance id
	lastSweep time.Time
}

type reported struct {
	at     time.Time
	totals map[string]int64
}

func newConsumption(counter *prometheus.CounterVec) *consumption {
	return &consumption{counter: counter, seen: map[string]reported{}}
}

// validConsumed checks a heartbeat's counts.
func validConsumed(totals map[string]int64) error {
	if len(totals) > maxConsumedTopics {
		return httpjson.BadRequest(fmt.Sprintf("consumed: at most %d topics", maxConsumedTopics))
	}
	for name, n := range totals {
		if _, err := topic.ParseName(name); err != nil {
			return httpjson.BadRequest("consumed: " + err.Error())
		}
		if n < 0 || n > maxConsumedCount {
			return httpjson.BadRequest(fmt.Sprintf("consumed: topic %q: %d is not a count of messages delivered (0 to %d)", name, n, maxConsumedCount))
		}
	}
	return nil
}

// observe counts what a consumer's process (instance, a key made of
// both ids) delivered since its previous report, of the active topics
// only: any consumer's token may name topics, and each would be a label
// value kept for as long as the process runs. A topic that is not active
// yet, as far as active says, is counted once it is.
func (c *consumption) observe(instance string, totals map[string]int64, active map[string]bool, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	last, heard := c.seen[instance]
	prev := last.totals
	since := subscription.HeartbeatInterval
	if heard {
		since = now.Sub(last.at)
	}
	most := int64(since.Seconds() * maxConsumedRate)
	// Counts only grow; keep the highest seen of each topic.
	kept := maps.Clone(prev)
	for name, n := range totals {
		if !active[name] {
			continue
		}
		if delta := min(n-prev[name], most); delta > 0 {
			c.counter.WithLabelValues(name).Add(float64(delta))
		}
		if kept == nil {
			kept = map[string]int64{}
		}
		kept[name] = max(n, kept[name])
	}
	if kept != nil {
		c.seen[instance] = reported{at: now, totals: kept}
	}
	if now.Sub(c.lastSweep) > consumedForget {
		c.lastSweep = now
		for id, r := range c.seen {
			if now.Sub(r.at) > consumedForget {
				delete(c.seen, id)
			}
		}
	}
}

// forget drops a process that said goodbye.
func (c *consumption) forget(instance string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.seen, instance)
}
