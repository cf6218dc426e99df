package kafka_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kds-io/kds/adapters/kafka"
	"github.com/kds-io/kds/adapters/kafka/kafkatest"
	"github.com/kds-io/kds/app/content"
)

// TestScaleOfTheSharedOffsets measures, rather than tests, the requests
// per second a broker gets from the api role's readings with a page open
// and 1,000 active topics (docs/BENCHMARKS.md): the message rates every
// 2 s and the usage of the topics every 10 s, with the rates reading
// through a client of their own (as before they shared the usage's
// offsets) against through the usage's, interleaved. It asserts nothing
// and runs only with KDS_MEASURE_SCALE=1.
func TestScaleOfTheSharedOffsets(t *testing.T) {
	if os.Getenv("KDS_MEASURE_SCALE") != "1" {
		t.Skip("a measurement: run with KDS_MEASURE_SCALE=1")
	}
	const topics, window, rounds = 1000, 30 * time.Second, 3
	cluster, c := kafkatest.Start(t)
	var requests, listOffsets atomic.Int64
	cluster.Control(func(r kmsg.Request) (kmsg.Response, error, bool) {
		cluster.KeepControl()
		requests.Add(1)
		if r.Key() == kmsg.ListOffsets.Int16() {
			listOffsets.Add(1)
		}
		return nil, nil, false
	})
	names := make([]string, topics)
	for i := range names {
		names[i] = fmt.Sprintf("scale-%04d", i)
	}
	for batch := range slices.Chunk(names, 100) {
		kafkatest.CreateTopics(t, c, 1, batch...)
	}

	// One usage interval is five rate readings; every client is made and
	// warmed once, so that what is counted is the readings alone.
	measure := func(rates content.ProducedCounter, usage *kafka.Usage) (float64, float64) {
		ctx := context.Background()
		r0, l0 := requests.Load(), listOffsets.Load()
		start := time.Now()
		tick := time.NewTicker(2 * time.Second)
		defer tick.Stop()
		for i := 1; i <= int(window/(2*time.Second)); i++ {
			<-tick.C
			if _, err := rates.Produced(ctx, names); err != nil {
				t.Fatal(err)
			}
			if i%5 == 0 {
				if _, err := usage.TopicUsage(ctx, names); err != nil {
					t.Fatal(err)
				}
			}
		}
		s := time.Since(start).Seconds()
		return float64(requests.Load()-r0) / s, float64(listOffsets.Load()-l0) / s
	}
	apart, offsets, together := kafka.NewUsage(c), kafka.NewOffsets(c), kafka.NewUsage(c)
	defer apart.Close()
	defer offsets.Close()
	defer together.Close()
	for _, warm := range []content.ProducedCounter{offsets, together} {
		if _, err := warm.Produced(context.Background(), names); err != nil {
			t.Fatal(err)
		}
	}
	for _, warm := range []*kafka.Usage{apart, together} {
		if _, err := warm.TopicUsage(context.Background(), names); err != nil {
			t.Fatal(err)
		}
	}
	var own, ownList, shared, sharedList []float64
	for range rounds {
		r, l := measure(offsets, apart)
		own, ownList = append(own, r), append(ownList, l)
		r, l = measure(together, together)
		shared, sharedList = append(shared, r), append(sharedList, l)
	}
	t.Logf("%d topics, rates every 2s and usage every 10s, %s windows: rates on their own client %v req/s (ListOffsets %v); sharing the usage's %v req/s (ListOffsets %v)",
		topics, window, own, ownList, shared, sharedList)
}
