package kafka_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kds-io/kds/adapters/kafka/kafkatest"
)

// reloadWatch is a franz-go logger that notes whether the client was
// refused the start of a partition of topic, and will ask again later.
type reloadWatch struct {
	topic   string
	refused atomic.Bool
}

func (w *reloadWatch) Level() kgo.LogLevel { return kgo.LogLevelDebug }

func (w *reloadWatch) Log(_ kgo.LogLevel, msg string, keyvals ...any) {
	for i := 0; i+1 < len(keyvals); i += 2 {
		if msg == "handled list results" && keyvals[i] == "reloading" && strings.Contains(fmt.Sprint(keyvals[i+1]), w.topic+":") {
			w.refused.Store(true)
		}
	}
}

// TestFranzGoWaitsASecondForPartitionsAddedDuringAMetadataUpdate pins a
// fact kds's fetcher works around: franz-go assigns the partitions given
// to AddConsumePartitions when a metadata update ends, also an update
// that was under way before they were added and so does not know their
// topic. It then asks for their start from no broker in particular, is
// refused, and asks again only a second later: their first records wait
// that second.
func TestFranzGoWaitsASecondForPartitionsAddedDuringAMetadataUpdate(t *testing.T) {
	t.Parallel()
	cluster, c := kafkatest.Start(t, kfake.SeedTopics(1, "first", "second"))
	asked, hold := make(chan struct{}), make(chan struct{})
	var once sync.Once
	cluster.ControlKey(int16(kmsg.Metadata), func(req kmsg.Request) (kmsg.Response, error, bool) {
		cluster.KeepControl()
		var topics []string
		for _, rt := range req.(*kmsg.MetadataRequest).Topics {
			if rt.Topic != nil {
				topics = append(topics, *rt.Topic)
			}
		}
		if slices.Contains(topics, "first") && !slices.Contains(topics, "second") {
			once.Do(func() {
				close(asked)
				<-hold // until "second" was added
			})
		}
		return nil, nil, false
	})
	watch := &reloadWatch{topic: "second"}
	client, err := kgo.NewClient(kgo.SeedBrokers(c.Brokers...), kgo.FetchMaxWait(100*time.Millisecond), kgo.WithLogger(watch))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	client.AddConsumePartitions(map[string]map[int32]kgo.Offset{"first": {0: kgo.NewOffset().At(0)}})
	select {
	case <-asked:
	case <-time.After(10 * time.Second):
		t.Fatal("no metadata update for the first topic")
	}
	client.AddConsumePartitions(map[string]map[int32]kgo.Offset{"second": {0: kgo.NewOffset().At(0)}})
	close(hold)
	added := time.Now()
	kafkatest.Produce(t, c, &kgo.Record{Topic: "second", Value: []byte("v")})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for ctx.Err() == nil {
		if len(client.PollFetches(ctx).Records()) > 0 {
			break
		}
	}
	took := time.Since(added)
	if ctx.Err() != nil {
		t.Fatal("the second topic's record was never read")
	}
	if refused := watch.refused.Load(); !refused || took < 900*time.Millisecond {
		t.Fatalf("the second topic's start was refused: %v; its record came %v after it was added; franz-go no longer waits a second, and the fetcher need not add unknown topics apart", refused, took)
	}
	t.Logf("the second topic's record came %v after it was added", took.Round(time.Millisecond))
}
