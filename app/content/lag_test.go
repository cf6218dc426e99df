package content_test

import (
	"testing"
	"time"

	"github.com/kds-io/kds/app/content"
)

func TestGroupLag(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 2, 10, 0, 0, 0, time.UTC)
	usage := content.NewTopicUsage("orders", []content.PartitionUsage{
		{Partition: 2, Earliest: 0, Latest: 10, Bytes: 100},
		{Partition: 0, Earliest: 50, Latest: 80, Bytes: 200},
		{Partition: 1, Earliest: 0, Latest: 5, Bytes: 300},
		{Partition: 3, Earliest: 0, Latest: 7, Bytes: 10},
	}, now)
	progress := content.GroupProgress{
		GroupRead: content.GroupRead{Group: "g", Topic: "orders"},
		State:     "Stable", Members: 2,
		// 0: expired past the commit; 1: caught up; 2: behind by 4; 3: none committed.
		Committed:   map[int32]int64{0: 20, 1: 5, 2: 6},
		UnreadSince: map[int32]time.Time{0: now.Add(-90 * time.Second), 2: now.Add(-30 * time.Second), 1: now.Add(-time.Hour)},
	}
	l := content.GroupLag(progress, usage, now)
	if l.Total != 30+4 || l.Seconds != 90 || l.State != "Stable" || l.Members != 2 {
		t.Fatalf("lag = %+v, want 34 messages, 90 s", l)
	}
	want := []content.PartitionLag{
		{Partition: 0, Committed: 20, Latest: 80, Lag: 30, OldestUnreadAt: now.Add(-90 * time.Second)},
		{Partition: 1, Committed: 5, Latest: 5},
		{Partition: 2, Committed: 6, Latest: 10, Lag: 4, OldestUnreadAt: now.Add(-30 * time.Second)},
		{Partition: 3, Committed: -1, Latest: 7},
	}
	for i, p := range l.Partitions {
		if p != want[i] {
			t.Errorf("partition %d: %+v, want %+v", i, p, want[i])
		}
	}
	// A commit past the end (the topic was created again) is no lag.
	if l := content.GroupLag(content.GroupProgress{Committed: map[int32]int64{1: 900}}, usage, now); l.Total != 0 || l.Seconds != 0 {
		t.Errorf("past the end: %+v", l)
	}
}

func TestTopicUsageSums(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 1, 2, 10, 0, 0, 0, time.UTC)
	u := content.NewTopicUsage("t", []content.PartitionUsage{
		{Partition: 0, Earliest: 3, Latest: 10, Bytes: 70, LastMessageAt: at.Add(-time.Minute)},
		{Partition: 1, Earliest: 0, Latest: 4, Bytes: 30, LastMessageAt: at.Add(-time.Second)},
	}, at)
	if u.Messages != 11 || u.Produced != 14 || u.Bytes != 100 || !u.LastMessageAt.Equal(at.Add(-time.Second)) {
		t.Errorf("usage = %+v", u)
	}
	unknown := content.NewTopicUsage("t", []content.PartitionUsage{{Bytes: -1}, {Bytes: 5}}, at)
	if unknown.Bytes != -1 {
		t.Errorf("a partition of unknown size: bytes %d, want -1", unknown.Bytes)
	}
}
