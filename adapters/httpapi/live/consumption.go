package live

import (
	"context"
	"log/slog"
	"maps"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"github.com/kds-io/kds/app/subscription"
)

// consumedForget is how long a silent process's last counts are kept: a
// process heard from again later counts from them, not from zero.
const consumedForget = 10 * time.Minute

// maxConsumedRate bounds what heartbeats may add to
// kds_messages_consumed_total: what one report adds to a topic is at most
// maxConsumedRate a second since the process's previous report (one
// heartbeat interval for its first), so that no report, however made up,
// moves the counter by more than a real consumer could.
const maxConsumedRate = 10_000_000

// Consumption turns what consumer processes report in their heartbeats
// into kds_messages_consumed_total. Each report carries how many messages
// the process delivered per topic since it started; this API process
// counts what is new since the previous report it received from that
// process (a process it had not heard from as new since one heartbeat
// interval before), up to maxConsumedRate a second, and never less than it
// counted before. That is exact with
// one api instance; when a load balancer spreads one consumer process's
// heartbeats over several api instances, their sum counts some messages
// more than once.
type Consumption struct {
	counter *prometheus.CounterVec
	active  *ActiveTopics
	log     *slog.Logger

	mu        sync.Mutex
	seen      map[string]reported // by consumer and instance id
	lastSweep time.Time
}

type reported struct {
	at     time.Time
	totals map[string]int64
}

// NewConsumption counts the reports of consumer processes for the topics
// active says are active, and registers kds_messages_consumed_total with
// reg.
func NewConsumption(active *ActiveTopics, reg prometheus.Registerer, log *slog.Logger) *Consumption {
	return &Consumption{active: active, log: log, seen: map[string]reported{},
		counter: promauto.With(reg).NewCounterVec(prometheus.CounterOpts{
			Name: "kds_messages_consumed_total",
			Help: "Messages delivered to kds consume processes, by topic, as their heartbeats to this API process report them.",
		}, []string{"topic"})}
}

// Observe counts what a consumer's process (instance, a key made of both
// ids) reports in a heartbeat: how many messages it delivered per topic
// since it started.
func (c *Consumption) Observe(ctx context.Context, instance string, totals map[string]int64) {
	active, err := c.active.get(ctx)
	if err != nil {
		// The counts are counted at a later heartbeat.
		c.log.Warn("count consumed messages: cannot list the active topics", "err", err)
	}
	c.observe(instance, totals, active, time.Now())
}

// observe counts what a consumer's process delivered since its previous
// report, of the active topics only: any consumer's token may name topics, and each would be a label
// value kept for as long as the process runs. A topic that is not active
// yet, as far as active says, is counted once it is.
func (c *Consumption) observe(instance string, totals map[string]int64, active map[string]bool, now time.Time) {
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

// Forget drops a process that said goodbye.
func (c *Consumption) Forget(instance string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.seen, instance)
}
