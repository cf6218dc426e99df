package kafka_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kds-io/kds/adapters/kafka"
	"github.com/kds-io/kds/app/topic"
)

// TestPoisonListAsksAboutItsTopicOnly: each listing of kds.poison connects
// afresh; it must learn that topic's metadata, not every topic's in a
// cluster that may hold thousands.
func TestPoisonListAsksAboutItsTopicOnly(t *testing.T) {
	t.Parallel()
	c := kfake.MustCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, topic.PoisonTopic, "orders", "payments"))
	defer c.Close()
	var everyTopic atomic.Int32
	c.ControlKey(int16(kmsg.Metadata), func(req kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		if req.(*kmsg.MetadataRequest).Topics == nil {
			everyTopic.Add(1)
		}
		return nil, nil, false
	})
	poison := kafka.NewPoisonQueue(kafka.Config{Brokers: c.ListenAddrs(), ClientID: "t", Version: "2.8.0", DialTimeout: time.Second, RequestTimeout: 5 * time.Second}, nil, newSigner(t, "k1:"+secret('a', 32)))
	if _, err := poison.List(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := everyTopic.Load(); n > 0 {
		t.Fatalf("%d metadata requests for every topic", n)
	}
}
