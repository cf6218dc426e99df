package live

import (
	"context"

	"github.com/prometheus/client_golang/prometheus"
)

// usageCollector serves the latest usage reading on /metrics: gauges for
// every active topic and live subscription, for alerts on lag.
type usageCollector struct{ u *Usage }

var (
	topicMessagesDesc = prometheus.NewDesc("kds_topic_messages",
		"Messages each active topic keeps (the sum over its partitions of the newest offset less the oldest).", []string{"topic"}, nil)
	topicBytesDesc = prometheus.NewDesc("kds_topic_bytes",
		"Size on disk of one replica of each active topic, as the brokers report it (DescribeLogDirs).", []string{"topic"}, nil)
	topicLastMessageDesc = prometheus.NewDesc("kds_topic_last_message_timestamp_seconds",
		"Timestamp of the newest message of each active topic that has one.", []string{"topic"}, nil)
	lagMessagesDesc = prometheus.NewDesc("kds_subscription_lag_messages",
		"Messages of the topic a subscription's consumer group has not read, over all partitions.", []string{"consumer", "topic"}, nil)
	lagSecondsDesc = prometheus.NewDesc("kds_subscription_lag_seconds",
		"Age of the oldest message a subscription's consumer group has not read; 0 when it is caught up.", []string{"consumer", "topic"}, nil)
	membersDesc = prometheus.NewDesc("kds_subscription_group_members",
		"Members of a subscription's consumer group: its consumer's processes that read the topic now.", []string{"consumer", "topic"}, nil)
)

// Describe implements prometheus.Collector.
func (c usageCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{topicMessagesDesc, topicBytesDesc, topicLastMessageDesc, lagMessagesDesc, lagSecondsDesc, membersDesc} {
		ch <- d
	}
}

// Collect implements prometheus.Collector. When the usage cannot be read,
// the scrape reports the error and serves the other metrics.
func (c usageCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	report, err := c.u.Report(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(topicMessagesDesc, err)
		return
	}
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	for _, t := range report.Topics {
		gauge(topicMessagesDesc, float64(t.Messages), t.Topic)
		if t.Bytes >= 0 {
			gauge(topicBytesDesc, float64(t.Bytes), t.Topic)
		}
		if !t.LastMessageAt.IsZero() {
			gauge(topicLastMessageDesc, float64(t.LastMessageAt.UnixMilli())/1000, t.Topic)
		}
	}
	for _, l := range report.Subscriptions {
		gauge(lagMessagesDesc, float64(l.Total), l.Consumer, l.Topic)
		gauge(lagSecondsDesc, l.Seconds, l.Consumer, l.Topic)
		gauge(membersDesc, float64(l.Members), l.Consumer, l.Topic)
	}
}
