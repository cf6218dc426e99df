package apiv1

import (
	"time"

	"github.com/kds-io/kds/app/content"
)

// UsageReport answers GET /api/v1/usage: what every active topic holds
// and how far behind every live subscription is, as the api process read
// them last.
type UsageReport struct {
	ReadAt time.Time `json:"read_at"`
	// Interval is the seconds between two readings.
	Interval      float64              `json:"interval_seconds"`
	Topics        []content.TopicUsage `json:"topics"`
	Subscriptions []SubscriptionLag    `json:"subscriptions"`
	// History has, when asked for (?history=1), the last hour of readings
	// of each topic that received messages in it, for the dashboard's
	// charts from its first moment.
	History map[string][]UsagePoint `json:"history,omitempty"`
}

// SubscriptionLag is how far a consumer's subscription is behind.
type SubscriptionLag struct {
	Consumer string `json:"consumer"`
	content.Lag
}

// TopicUsageReport answers GET /api/v1/topics/{name}/usage: what the topic
// holds, how far behind each of its live subscriptions is, and the last
// hour of readings.
type TopicUsageReport struct {
	content.TopicUsage
	Subscriptions []SubscriptionLag `json:"subscriptions"`
	History       []UsagePoint      `json:"history"`
}

// UsagePoint is one reading of a topic: its rate, and the lag of the
// subscription furthest behind.
type UsagePoint struct {
	At         time.Time `json:"at"`
	Rate       float64   `json:"rate"`
	Messages   int64     `json:"messages"`
	Lag        int64     `json:"lag"`
	LagSeconds float64   `json:"lag_seconds"`
}
