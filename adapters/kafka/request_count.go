package kafka

import (
	"maps"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// requestCount counts the requests a kgo client writes to brokers, by
// request name, so that what a reader costs Kafka can be watched.
type requestCount struct {
	mu     sync.Mutex
	counts map[string]uint64
}

var _ kgo.HookBrokerWrite = (*requestCount)(nil)

// OnBrokerWrite implements kgo.HookBrokerWrite.
func (r *requestCount) OnBrokerWrite(_ kgo.BrokerMetadata, key int16, _ int, _, _ time.Duration, err error) {
	if err != nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.counts == nil {
		r.counts = map[string]uint64{}
	}
	r.counts[kmsg.NameForKey(key)]++
}

func (r *requestCount) snapshot() map[string]uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return maps.Clone(r.counts)
}
