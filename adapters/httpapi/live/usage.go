package live

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kds-io/kds/adapters/httpapi/apiv1"
	"github.com/kds-io/kds/adapters/httpapi/internal/httpjson"
	"github.com/kds-io/kds/app/content"
	"github.com/kds-io/kds/app/query"
)

// usageHistory is how long the readings of each topic are kept, for the
// dashboard's charts.
const usageHistory = time.Hour

// Usage reads what every active topic holds and how far behind every live
// subscription is, every interval, whether anyone looks or not, and keeps
// the latest reading and an hour of history: the API, the dashboard and
// /metrics answer from it, so their cost to Kafka does not grow with the
// requests. A reading costs a few batched requests however many topics
// and subscriptions there are (content.UsageReader).
type Usage struct {
	reader   content.UsageReader
	active   *ActiveTopics
	queries  query.Queries
	interval time.Duration
	log      *slog.Logger

	reading sync.Mutex // held while reading, so that callers share one

	mu      sync.Mutex
	latest  apiv1.UsageReport
	byTopic map[string]content.TopicUsage
	history map[string][]apiv1.UsagePoint
	failing bool
}

// NewUsage reads the usage of the topics active lists and of the live
// subscriptions queries lists from reader every interval once Run runs,
// and registers its gauges with reg.
func NewUsage(reader content.UsageReader, active *ActiveTopics, queries query.Queries, interval time.Duration,
	reg prometheus.Registerer, log *slog.Logger) *Usage {
	u := &Usage{reader: reader, active: active, queries: queries, interval: interval, log: log,
		byTopic: map[string]content.TopicUsage{}, history: map[string][]apiv1.UsagePoint{}}
	reg.MustRegister(usageCollector{u})
	return u
}

// Run reads every interval until ctx ends.
func (u *Usage) Run(ctx context.Context) {
	tick := time.NewTicker(u.interval)
	defer tick.Stop()
	for {
		u.refresh(ctx)
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// refresh reads once, logging the first of a run of failures.
func (u *Usage) refresh(ctx context.Context) {
	readCtx, cancel := context.WithTimeout(ctx, max(u.interval, 5*time.Second))
	defer cancel()
	u.reading.Lock()
	defer u.reading.Unlock()
	err := u.read(readCtx)
	u.mu.Lock()
	defer u.mu.Unlock()
	switch {
	case err != nil && ctx.Err() == nil && !u.failing:
		u.failing = true
		u.log.Warn("usage: cannot read", "err", err)
	case err == nil && u.failing:
		u.failing = false
		u.log.Info("usage: reading again")
	}
}

// Report is the latest reading. Before the first, or when readings have
// failed for three intervals, it reads now and says why it cannot.
func (u *Usage) Report(ctx context.Context) (apiv1.UsageReport, error) {
	u.mu.Lock()
	latest := u.latest
	u.mu.Unlock()
	if time.Since(latest.ReadAt) < 3*u.interval {
		return latest, nil
	}
	u.reading.Lock()
	defer u.reading.Unlock()
	u.mu.Lock()
	latest = u.latest
	u.mu.Unlock()
	if time.Since(latest.ReadAt) < 3*u.interval {
		return latest, nil // read by another caller meanwhile
	}
	if err := u.read(ctx); err != nil {
		return apiv1.UsageReport{}, err
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.latest, nil
}

// BusyHistory is the last hour of readings of each topic that received
// messages in it.
func (u *Usage) BusyHistory() map[string][]apiv1.UsagePoint {
	u.mu.Lock()
	defer u.mu.Unlock()
	out := map[string][]apiv1.UsagePoint{}
	for name, h := range u.history {
		if slices.ContainsFunc(h, func(p apiv1.UsagePoint) bool { return p.Rate > 0 }) {
			out[name] = slices.Clone(h)
		}
	}
	return out
}

// Topic is the latest reading of one active topic with its subscriptions
// and history. A topic activated since is read now, alone.
func (u *Usage) Topic(ctx context.Context, name string) (apiv1.TopicUsageReport, error) {
	report, err := u.Report(ctx)
	if err != nil {
		return apiv1.TopicUsageReport{}, err
	}
	u.mu.Lock()
	t, ok := u.byTopic[name]
	history := slices.Clone(u.history[name])
	u.mu.Unlock()
	if !ok {
		read, err := u.reader.TopicUsage(ctx, []string{name})
		if err != nil {
			return apiv1.TopicUsageReport{}, err
		}
		t = read[name]
		t.Topic, t.Partitions = name, httpjson.NonNil(t.Partitions)
	}
	out := apiv1.TopicUsageReport{TopicUsage: t, Subscriptions: []apiv1.SubscriptionLag{}, History: httpjson.NonNil(history)}
	for _, l := range report.Subscriptions {
		if l.Topic == name {
			out.Subscriptions = append(out.Subscriptions, l)
		}
	}
	return out, nil
}

// read reads the active topics and the live subscriptions once, and keeps
// what it read.
func (u *Usage) read(ctx context.Context) error {
	active, err := u.active.get(ctx)
	if err != nil {
		return fmt.Errorf("list the active topics: %w", err)
	}
	consumers, err := u.queries.Consumers(ctx, dashboardReader)
	if err != nil {
		return fmt.Errorf("list the subscriptions: %w", err)
	}
	// A live subscription's topic is active as MySQL has it now, which
	// the list of active topics, kept between transition events, may not
	// know yet.
	names := maps.Clone(active)
	var reads []content.GroupRead
	byGroup := map[string]string{} // group → consumer
	for _, c := range consumers {
		for _, s := range c.Subscriptions {
			if s.Live {
				reads = append(reads, content.GroupRead{Group: s.Group, Topic: s.Topic})
				byGroup[s.Group] = string(s.ConsumerID)
				names[s.Topic] = true
			}
		}
	}
	topics, err := u.reader.TopicUsage(ctx, slices.Collect(maps.Keys(names)))
	if err != nil {
		return fmt.Errorf("read the topics' usage: %w", err)
	}
	progress, err := u.reader.GroupProgress(ctx, reads, topics)
	if err != nil {
		return fmt.Errorf("read the subscriptions' progress: %w", err)
	}
	now := time.Now().UTC()
	lags := make([]apiv1.SubscriptionLag, 0, len(progress))
	for _, p := range progress {
		if t, ok := topics[p.Topic]; ok {
			lags = append(lags, apiv1.SubscriptionLag{Consumer: byGroup[p.Group], Lag: content.GroupLag(p, t, now)})
		}
	}
	slices.SortFunc(lags, func(a, b apiv1.SubscriptionLag) int {
		return strings.Compare(a.Consumer+"\x00"+a.Topic, b.Consumer+"\x00"+b.Topic)
	})
	u.keep(now, topics, lags)
	return nil
}

// keep makes a reading the latest: each topic's rate since the previous
// reading that had it, and a point of its history. A topic a reading
// missed (a partition that did not answer) keeps its history, and its
// next rate spans the gap.
func (u *Usage) keep(now time.Time, topics map[string]content.TopicUsage, lags []apiv1.SubscriptionLag) {
	u.mu.Lock()
	defer u.mu.Unlock()
	worst := map[string]apiv1.UsagePoint{}
	for _, l := range lags {
		w := worst[l.Topic]
		w.Lag, w.LagSeconds = max(w.Lag, l.Total), max(w.LagSeconds, l.Seconds)
		worst[l.Topic] = w
	}
	list := make([]content.TopicUsage, 0, len(topics))
	for name, t := range topics {
		if before, ok := u.byTopic[name]; ok {
			t.Rate = content.Rate(before.Produced, t.Produced, now.Sub(before.ReadAt).Seconds())
		}
		u.byTopic[name] = t
		list = append(list, t)
		p := worst[name]
		p.At, p.Rate, p.Messages = now, t.Rate, t.Messages
		u.history[name] = append(u.history[name], p)
	}
	slices.SortFunc(list, func(a, b content.TopicUsage) int { return strings.Compare(a.Topic, b.Topic) })
	for name, h := range u.history {
		for len(h) > 0 && now.Sub(h[0].At) > usageHistory {
			h = h[1:]
		}
		if len(h) == 0 {
			delete(u.history, name)
			delete(u.byTopic, name)
			continue
		}
		u.history[name] = h
	}
	u.latest = apiv1.UsageReport{ReadAt: now, Interval: u.interval.Seconds(), Topics: list, Subscriptions: lags}
}
