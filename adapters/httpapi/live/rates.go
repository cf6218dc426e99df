package live

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kds-io/kds/adapters/httpapi/apiv1"
	"github.com/kds-io/kds/adapters/httpapi/internal/httpjson"
	"github.com/kds-io/kds/app/content"
)

// RatesUpdate is one reading, ready to send to a stream in full or as a
// change.
type RatesUpdate struct {
	seq      uint64
	at       time.Time
	interval float64
	all      []content.TopicRate
	changed  []content.TopicRate
	gone     []string
}

// Seq numbers the readings, from 1.
func (u RatesUpdate) Seq() uint64 { return u.seq }

// Since is the event for a stream whose last update was seen (its Seq, or
// 0 for none): the changes when it was the one before, everything
// otherwise.
func (u RatesUpdate) Since(seen uint64) apiv1.RatesEvent {
	ev := apiv1.RatesEvent{At: u.at, Interval: u.interval}
	if seen != 0 && seen+1 == u.seq {
		ev.Topics, ev.Gone = httpjson.NonNil(u.changed), u.gone
		return ev
	}
	ev.Full, ev.Topics = true, httpjson.NonNil(u.all)
	return ev
}

// Rates reads how many messages every active topic has received, every
// interval while at least one event stream listens, and hands each reading
// to the streams. A reading costs one ListOffsets request per broker; the
// active topics come from ActiveTopics, which reads them only when a
// lifecycle event may have changed them. It also serves
// kds_messages_produced_total.
type Rates struct {
	produced content.ProducedCounter
	active   *ActiveTopics
	interval time.Duration
	log      *slog.Logger

	mu        sync.Mutex
	listeners map[chan RatesUpdate]struct{}
	stop      context.CancelFunc // set while sampling
	seq       uint64
	latest    content.Reading // the newest reading, for /metrics
}

// NewRates reads the rates of the topics active lists from produced every
// interval, and registers kds_messages_produced_total with reg.
func NewRates(produced content.ProducedCounter, active *ActiveTopics, interval time.Duration, reg prometheus.Registerer, log *slog.Logger) *Rates {
	r := &Rates{produced: produced, active: active, interval: interval, log: log, listeners: map[chan RatesUpdate]struct{}{}}
	reg.MustRegister(producedCollector{r})
	return r
}

// Listen returns a channel of readings, of which a slow stream gets the
// newest, and a function that stops them. The first listener starts the
// sampling and the last one to stop ends it.
func (r *Rates) Listen() (<-chan RatesUpdate, func()) {
	ch := make(chan RatesUpdate, 1)
	r.mu.Lock()
	r.listeners[ch] = struct{}{}
	if r.stop == nil {
		ctx, cancel := context.WithCancel(context.Background())
		r.stop = cancel
		go r.run(ctx)
	}
	r.mu.Unlock()
	return ch, func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		delete(r.listeners, ch)
		if len(r.listeners) == 0 && r.stop != nil {
			r.stop()
			r.stop = nil
		}
	}
}

func (r *Rates) run(ctx context.Context) {
	tick := time.NewTicker(r.interval)
	defer tick.Stop()
	var (
		prev    content.Reading
		failing bool
	)
	sample := func() {
		readCtx, cancel := context.WithTimeout(ctx, max(r.interval, time.Second))
		defer cancel()
		cur, err := r.read(readCtx)
		if err != nil {
			if ctx.Err() == nil {
				r.failed(&failing, err)
			}
			return
		}
		if failing {
			failing = false
			r.log.Info("message rates: reading again")
		}
		r.publish(ctx, prev, cur)
		prev = cur
	}
	sample()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			sample()
		}
	}
}

// read reads how many messages each active topic has received.
func (r *Rates) read(ctx context.Context) (content.Reading, error) {
	active, err := r.active.get(ctx)
	if err != nil {
		return content.Reading{}, fmt.Errorf("list the active topics: %w", err)
	}
	produced, err := r.produced.Produced(ctx, slices.Collect(maps.Keys(active)))
	if err != nil {
		return content.Reading{}, fmt.Errorf("read the topics' offsets: %w", err)
	}
	return content.Reading{At: time.Now(), Produced: produced}, nil
}

// failed logs the first of a run of failures.
func (r *Rates) failed(failing *bool, err error) {
	if !*failing {
		r.log.Warn("message rates: cannot read", "err", err)
	}
	*failing = true
}

// publish hands a reading to every listener, replacing one it has not
// taken yet.
func (r *Rates) publish(ctx context.Context, prev, cur content.Reading) {
	all := content.Rates(prev, cur)
	var changed []content.TopicRate
	for _, tr := range all {
		if before, ok := prev.Produced[tr.Topic]; !ok || before != tr.Produced {
			changed = append(changed, tr)
		}
	}
	var gone []string
	for name := range prev.Produced {
		if _, ok := cur.Produced[name]; !ok {
			gone = append(gone, name)
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if ctx.Err() != nil {
		return // stopped meanwhile; a newer run may have started
	}
	r.latest = cur
	r.seq++
	u := RatesUpdate{seq: r.seq, at: cur.At, interval: r.interval.Seconds(), all: all, changed: changed, gone: gone}
	for ch := range r.listeners {
		select {
		case <-ch:
		default:
		}
		ch <- u
	}
}

// reading is a recent reading for /metrics: the sampler's own while it
// runs, otherwise one made now.
func (r *Rates) reading(ctx context.Context) (content.Reading, error) {
	r.mu.Lock()
	latest := r.latest
	r.mu.Unlock()
	if time.Since(latest.At) < 2*r.interval {
		return latest, nil
	}
	return r.read(ctx)
}

// scrapeTimeout bounds the reading a scrape of /metrics may make.
const scrapeTimeout = 2 * time.Second

// producedCollector serves kds_messages_produced_total.
type producedCollector struct{ r *Rates }

var producedDesc = prometheus.NewDesc("kds_messages_produced_total",
	"Messages written to each active topic since it was created (the sum of its partitions' newest offsets), as Kafka reports them.",
	[]string{"topic"}, nil)

// Describe implements prometheus.Collector.
func (c producedCollector) Describe(ch chan<- *prometheus.Desc) { ch <- producedDesc }

// Collect implements prometheus.Collector. When Kafka or MySQL does not
// answer, the scrape reports the error and serves the other metrics.
func (c producedCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	rd, err := c.r.reading(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(producedDesc, err)
		return
	}
	for name, n := range rd.Produced {
		ch <- prometheus.MustNewConstMetric(producedDesc, prometheus.CounterValue, float64(n), name)
	}
}
