package service

import (
	"context"
	"time"

	"github.com/ThreeDotsLabs/watermill/components/metrics"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/kds-io/kds/handlers"
)

// outboxLagTimeout bounds the queries behind kds_outbox_lag and
// kds_outbox_oldest_seconds at each scrape.
const outboxLagTimeout = 2 * time.Second

// instrument registers what /metrics serves: the Go runtime and the
// process, Watermill's router metrics, the handlers' counts, and the
// outbox's lag and oldest waiting row read from MySQL at each scrape. The api role serves them;
// the HTTP layer adds its own when the API is built.
func (s *Service) instrument() (*prometheus.Registry, error) {
	reg := prometheus.NewRegistry()
	if err := reg.Register(collectors.NewGoCollector()); err != nil {
		return nil, err
	}
	if err := reg.Register(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})); err != nil {
		return nil, err
	}
	metrics.NewPrometheusMetricsBuilder(reg, "kds", "watermill").AddPrometheusRouterMetrics(s.router)
	hm, err := handlers.NewMetrics(reg)
	if err != nil {
		return nil, err
	}
	// Added after NewRouter's middleware, so innermost: it sees each
	// attempt's own result.
	s.router.AddMiddleware(hm.Middleware)
	if err := reg.Register(outboxLag{s}); err != nil {
		return nil, err
	}
	if err := reg.Register(usageRequests{s}); err != nil {
		return nil, err
	}
	return reg, nil
}

// outboxLag reports how many outbox rows wait for the forwarder, and how
// long the oldest of them has.
type outboxLag struct{ s *Service }

var (
	outboxLagDesc = prometheus.NewDesc("kds_outbox_lag",
		"Rows in the MySQL outbox not yet forwarded to Kafka.", nil, nil)
	outboxOldestDesc = prometheus.NewDesc("kds_outbox_oldest_seconds",
		"How long the oldest row in the MySQL outbox has waited to be forwarded to Kafka, in seconds; 0 when none waits. Above outbox.stuck_after, /readyz says the outbox is stuck.", nil, nil)
)

// Describe implements prometheus.Collector.
func (o outboxLag) Describe(ch chan<- *prometheus.Desc) {
	ch <- outboxLagDesc
	ch <- outboxOldestDesc
}

// Collect implements prometheus.Collector. When MySQL does not answer, the
// scrape reports the error and serves the other metrics.
func (o outboxLag) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), outboxLagTimeout)
	defer cancel()
	if lag, err := o.s.outbox.Lag(ctx, o.s.db); err != nil {
		ch <- prometheus.NewInvalidMetric(outboxLagDesc, err)
	} else {
		ch <- prometheus.MustNewConstMetric(outboxLagDesc, prometheus.GaugeValue, float64(lag))
	}
	if oldest, err := o.s.outbox.Oldest(ctx, o.s.db); err != nil {
		ch <- prometheus.NewInvalidMetric(outboxOldestDesc, err)
	} else {
		ch <- prometheus.MustNewConstMetric(outboxOldestDesc, prometheus.GaugeValue, oldest.Seconds())
	}
}

// usageRequests reports the Kafka requests the api role's usage readings
// and message rates sent, so that their cost can be watched.
type usageRequests struct{ s *Service }

var usageRequestsDesc = prometheus.NewDesc("kds_usage_kafka_requests_total",
	"Requests the api role's usage readings (topics' offsets, sizes and last message times, subscriptions' lag) and message rates sent to Kafka, by request.", []string{"request"}, nil)

// Describe implements prometheus.Collector.
func (u usageRequests) Describe(ch chan<- *prometheus.Desc) { ch <- usageRequestsDesc }

// Collect implements prometheus.Collector.
func (u usageRequests) Collect(ch chan<- prometheus.Metric) {
	if u.s.usage == nil {
		return
	}
	for name, n := range u.s.usage.Requests() {
		ch <- prometheus.MustNewConstMetric(usageRequestsDesc, prometheus.CounterValue, float64(n), name)
	}
}
