package main

import (
	"fmt"
	"time"

	"github.com/kds-io/kds/adapters/httpapi/apiv1"
	"github.com/kds-io/kds/app/content"
	"github.com/kds-io/kds/app/query"
)

// topicWithUsage is a topic as -o json shows it: the topic, and what it
// holds when it is active and the API could read it.
type topicWithUsage struct {
	query.Topic
	Usage *apiv1.TopicUsageReport `json:"usage,omitempty"`
}

// byteSize writes n bytes in binary units, "-" when unknown.
func byteSize(n int64) string {
	if n < 0 {
		return "-"
	}
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// lastMessage says how long ago a topic's newest message was written, "-"
// for none.
func lastMessage(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return ago(t) + " ago"
}

// lagText is a subscription's lag in messages and in time.
func lagText(l content.Lag) string {
	if l.Total == 0 {
		return "0"
	}
	if l.Seconds == 0 {
		return fmt.Sprint(l.Total)
	}
	return fmt.Sprintf("%d (%s)", l.Total, (time.Duration(l.Seconds) * time.Second).String())
}
