package content

import (
	"slices"
	"time"
)

// PartitionLag is how far a consumer group is behind in one partition.
type PartitionLag struct {
	Partition int32 `json:"partition"`
	// Committed is the next offset the group will read, -1 when it has
	// committed none in this partition.
	Committed int64 `json:"committed"`
	Latest    int64 `json:"latest"`
	// Lag is how many kept messages the group has not read.
	Lag int64 `json:"lag"`
	// OldestUnreadAt is the timestamp of the oldest of them, when known.
	OldestUnreadAt time.Time `json:"oldest_unread_at,omitzero"`
}

// Lag is how far a consumer group is behind in a topic.
type Lag struct {
	Group      string         `json:"group"`
	Topic      string         `json:"topic"`
	State      string         `json:"state"`
	Members    int            `json:"members"`
	Partitions []PartitionLag `json:"partitions"`
	Total      int64          `json:"total"`
	// Seconds is the age of the oldest unread message: 0 when the group
	// is caught up, or when the age of what it has not read is unknown.
	Seconds float64 `json:"seconds"`
	// ReadAt is when Kafka was asked.
	ReadAt time.Time `json:"read_at"`
}

// GroupLag compares a group's progress with the topic it reads, both read
// at now. A partition without a committed offset counts as caught up: kds
// commits a subscription's start before it reads, so only a group that
// has not begun has none. An offset past the end (the topic was created
// again) is caught up too, and one before the oldest kept message is
// behind by every kept message.
func GroupLag(p GroupProgress, u TopicUsage, now time.Time) Lag {
	l := Lag{Group: p.Group, Topic: p.Topic, State: p.State, Members: p.Members, ReadAt: now, Partitions: []PartitionLag{}}
	for _, part := range u.Partitions {
		pl := PartitionLag{Partition: part.Partition, Committed: -1, Latest: part.Latest}
		if c, ok := p.Committed[part.Partition]; ok {
			pl.Committed = c
			pl.Lag = part.Latest - max(c, part.Earliest)
			if pl.Lag < 0 {
				pl.Lag = 0
			}
		}
		if pl.Lag > 0 {
			pl.OldestUnreadAt = p.UnreadSince[part.Partition]
			if !pl.OldestUnreadAt.IsZero() {
				l.Seconds = max(l.Seconds, now.Sub(pl.OldestUnreadAt).Seconds())
			}
		}
		l.Total += pl.Lag
		l.Partitions = append(l.Partitions, pl)
	}
	slices.SortFunc(l.Partitions, func(a, b PartitionLag) int { return int(a.Partition - b.Partition) })
	return l
}
