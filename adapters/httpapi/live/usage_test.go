package live_test

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kds-io/kds/adapters/httpapi/live"
	"github.com/kds-io/kds/app/content"
	"github.com/kds-io/kds/app/query"
	"github.com/kds-io/kds/app/subscription"
)

// activeReads is a read model with one active topic and no consumers;
// the usage readings ask it for nothing else.
type activeReads struct{ query.ReadModel }

func (activeReads) Topics(context.Context, query.TopicFilter) ([]query.Topic, error) {
	return []query.Topic{{Name: "orders"}}, nil
}

func (activeReads) Consumers(context.Context, ...subscription.ConsumerID) ([]query.Consumer, error) {
	return nil, nil
}

// scriptedUsage answers each reading with the next of its counts of
// orders, leaving the topic out where the count is negative, as a reading
// does when a partition does not answer.
type scriptedUsage struct {
	mu     sync.Mutex
	counts []int64
}

func (s *scriptedUsage) TopicUsage(_ context.Context, _ []string) (map[string]content.TopicUsage, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := s.counts[0]
	s.counts = s.counts[1:]
	if n < 0 {
		return map[string]content.TopicUsage{}, nil
	}
	at := time.Now()
	return map[string]content.TopicUsage{"orders": content.NewTopicUsage("orders", []content.PartitionUsage{{Latest: n}}, at)}, nil
}

func (s *scriptedUsage) GroupProgress(context.Context, []content.GroupRead, map[string]content.TopicUsage) ([]content.GroupProgress, error) {
	return nil, nil
}

// TestUsageKeepsATopicAcrossAMissedReading: a reading that leaves a topic
// out (a partition that did not answer) neither loses its history nor the
// messages written meanwhile, which the next reading's rate counts.
func TestUsageKeepsATopicAcrossAMissedReading(t *testing.T) {
	t.Parallel()
	reader := &scriptedUsage{counts: []int64{10, -1, 40}}
	active := live.NewActiveTopics(query.NewQueries(activeReads{}), func() uint64 { return 0 })
	// An interval so short that every report reads anew.
	u := live.NewUsage(reader, active, query.NewQueries(activeReads{}), time.Nanosecond, prometheus.NewRegistry(), slog.New(slog.DiscardHandler))
	ctx := context.Background()
	var last float64
	for range 3 {
		report, err := u.Report(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, tu := range report.Topics {
			last = tu.Rate
		}
	}
	history := u.BusyHistory()["orders"]
	if len(history) != 2 || history[0].Messages != 10 || history[1].Messages != 40 || last <= 0 || history[1].Rate != last {
		t.Errorf("after a missed reading: rate %v, history %+v; want two points and the 30 messages' rate", last, history)
	}
}
