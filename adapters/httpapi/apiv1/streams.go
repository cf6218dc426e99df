package apiv1

import (
	"time"

	"github.com/kds-io/kds/app/content"
)

// RatesEvent is the data of a "rates" event on /api/v1/events: how many
// messages per second each active topic received over the last interval,
// and how many it has received in all.
type RatesEvent struct {
	At time.Time `json:"at"`
	// Interval is the seconds between two readings.
	Interval float64 `json:"interval_seconds"`
	// Full is true when Topics lists every active topic. Otherwise this
	// stream sent the previous reading, and Topics lists only the topics
	// whose count changed since: the others received nothing.
	Full   bool                `json:"full"`
	Topics []content.TopicRate `json:"topics"`
	// Gone lists topics of the previous reading that this one lacks: no
	// longer active, or not answering.
	Gone []string `json:"gone,omitempty"`
}

// LiveMessage is a message as the live view streams it: its value cut to
// 4 KiB.
type LiveMessage struct {
	content.Message
	// Size is the value's length in bytes before it was cut.
	Size      int  `json:"size"`
	Truncated bool `json:"truncated,omitempty"`
}

// LiveStart is the data of the "ready" event that opens a live stream:
// every message written from then on is either sent or counted.
type LiveStart struct {
	Topic        string `json:"topic"`
	MaxPerSecond int    `json:"max_per_second"`
}

// LiveSkipped is the data of a "skipped" event: how many messages arrived
// since the previous send that the stream's rate left out. They are older
// than the messages sent right after it.
type LiveSkipped struct {
	Skipped int64 `json:"skipped"`
}

// LiveEnd is the data of the "end" event sent before a live stream ends
// because the topic left active.
type LiveEnd struct {
	Reason string `json:"reason"`
}
