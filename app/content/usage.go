package content

import (
	"context"
	"time"
)

// PartitionUsage is what one partition of a topic holds.
type PartitionUsage struct {
	Partition int32 `json:"partition"`
	// Earliest is the oldest offset still kept, Latest the offset the next
	// message will get (the high-water mark): the partition keeps
	// Latest-Earliest messages.
	Earliest int64 `json:"earliest"`
	Latest   int64 `json:"latest"`
	// Bytes is the size of one replica of the partition on disk, -1 when
	// no broker said.
	Bytes int64 `json:"bytes"`
	// LastMessageAt is the timestamp of the newest message, zero when the
	// partition is empty or it could not be read.
	LastMessageAt time.Time `json:"last_message_at,omitzero"`
}

// Kept is how many messages the partition keeps.
func (p PartitionUsage) Kept() int64 { return max(p.Latest-p.Earliest, 0) }

// TopicUsage is what a topic holds, summed over its partitions.
type TopicUsage struct {
	Topic      string           `json:"topic"`
	Partitions []PartitionUsage `json:"partitions"`
	// Messages is how many messages the topic keeps; Produced how many
	// were ever written to it, expired ones included.
	Messages int64 `json:"messages"`
	Produced int64 `json:"produced"`
	// Bytes is the size of one replica of every partition, -1 when a
	// partition's size is unknown.
	Bytes         int64     `json:"bytes"`
	LastMessageAt time.Time `json:"last_message_at,omitzero"`
	// Rate is the messages per second written between the two latest
	// readings, 0 for the first.
	Rate float64 `json:"rate"`
	// ReadAt is when Kafka was asked.
	ReadAt time.Time `json:"read_at"`
}

// NewTopicUsage sums the partitions of a topic read at at.
func NewTopicUsage(topic string, parts []PartitionUsage, at time.Time) TopicUsage {
	u := TopicUsage{Topic: topic, Partitions: parts, ReadAt: at}
	for _, p := range parts {
		u.Messages += p.Kept()
		u.Produced += p.Latest
		switch {
		case p.Bytes < 0 || u.Bytes < 0:
			u.Bytes = -1
		default:
			u.Bytes += p.Bytes
		}
		if p.LastMessageAt.After(u.LastMessageAt) {
			u.LastMessageAt = p.LastMessageAt
		}
	}
	return u
}

// GroupRead names a consumer group and the topic it reads: a
// subscription's.
type GroupRead struct {
	Group string
	Topic string
}

// GroupProgress is how far a consumer group has read a topic, as Kafka
// keeps it.
type GroupProgress struct {
	GroupRead
	// State is Kafka's: Stable, Empty, PreparingRebalance,
	// CompletingRebalance or Dead (a group Kafka does not know).
	State   string
	Members int
	// Committed has the partitions with a committed offset: the next
	// offset the group will read.
	Committed map[int32]int64
	// UnreadSince has, for partitions with unread messages, the timestamp
	// of the oldest of them, where it could be read.
	UnreadSince map[int32]time.Time
}

// UsageReader reads what topics hold and how far consumer groups have
// read them, in a few batched requests however many topics and groups
// there are.
type UsageReader interface {
	// TopicUsage reads each of topics that exists; one that does not, or
	// does not answer in full, is left out.
	TopicUsage(ctx context.Context, topics []string) (map[string]TopicUsage, error)
	// GroupProgress reads each group's state, members and committed
	// offsets, and the age of its oldest unread message in the partitions
	// that usage, read just before, shows it behind in.
	GroupProgress(ctx context.Context, reads []GroupRead, usage map[string]TopicUsage) ([]GroupProgress, error)
}
