package kafka

import (
	"context"
	"maps"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// fetcher reads, with one Kafka client, every partition the group members
// of a process were assigned, whatever their groups, and hands each
// partition's records to its member in batches: one batch of a partition
// at a time, in offset order. A thousand subscriptions then share one
// client's connections, buffers and goroutines instead of having one each.
//
// A partition whose handler falls behind is paused, so that its records
// wait in Kafka rather than in memory, without holding back the others.
type fetcher struct {
	client *kgo.Client
	stop   context.CancelFunc
	done   chan struct{}

	mu      sync.Mutex
	unknown []pendingAdd // assignments of partitions not yet known: assign
	adding  bool         // addUnknown runs
	idle    *sync.Cond   // signalled when a lane's worker stops
	lanes   map[string]map[int32]*lane
}

// queuedBatchesBeforePause is how many batches of a partition may wait
// behind the one being handled before the partition is paused.
const queuedBatchesBeforePause = 2

// fetchMaxWait is how long a fetch waits for records. With partitions
// assigned and revoked at any moment, it is short, as librdkafka's (500 ms)
// and shorter; an idle process then sends a few empty fetches a second.
const fetchMaxWait = 100 * time.Millisecond

// lane is one assigned partition: the batches waiting for its handler.
type lane struct {
	ctx    context.Context // ends when the partition is revoked
	cancel context.CancelFunc
	handle func(context.Context, *Batch)
	next   int64 // the offset of the first record not yet queued
	queue  []*Batch
	busy   bool // a worker is handing the lane's batches over
	paused bool
}

func newFetcher(c Config) (*fetcher, error) {
	client, err := kgo.NewClient(append(c.kgo(),
		// Where a start offset is out of range: the oldest retained
		// record, so that nothing still in Kafka is skipped.
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		// A partition assigned while a fetch waits for records joins the
		// next fetch: a member's first records wait at most this long
		// for it.
		kgo.FetchMaxWait(fetchMaxWait),
		kgo.DisableClientMetrics(),
		kgo.RecordPartitioner(kgo.ManualPartitioner()),
	)...)
	if err != nil {
		return nil, &UnreachableError{Where: c.Where(), Err: err}
	}
	ctx, stop := context.WithCancel(context.Background())
	f := &fetcher{client: client, stop: stop, done: make(chan struct{}), lanes: map[string]map[int32]*lane{}}
	f.idle = sync.NewCond(&f.mu)
	go f.poll(ctx)
	return f, nil
}

// assign starts reading topicName's partitions from the given offsets,
// handing their batches to handle, one at a time per partition; handle's
// context ends when the partition is revoked.
func (f *fetcher) assign(topicName string, from map[int32]int64, handle func(context.Context, *Batch)) {
	offsets := map[int32]kgo.Offset{}
	f.mu.Lock()
	if f.lanes[topicName] == nil {
		f.lanes[topicName] = map[int32]*lane{}
	}
	for p, at := range from {
		ctx, cancel := context.WithCancel(context.Background())
		f.lanes[topicName][p] = &lane{ctx: ctx, cancel: cancel, handle: handle, next: at}
		offsets[p] = kgo.NewOffset().At(at)
	}
	f.mu.Unlock()
	add := map[string]map[int32]kgo.Offset{topicName: offsets}
	if f.known(add) {
		f.client.AddConsumePartitions(add)
		return
	}
	// franz-go assigns added partitions when its next metadata update
	// ends, also one under way that does not have their topic, and then
	// waits a second before it looks again for where to start them
	// (TestFranzGoWaitsASecondForPartitionsAddedDuringAMetadataUpdate).
	// Partitions of topics it does not know yet are added together, and
	// the next only once they are known and a moment more, for the update
	// that made them known to assign them: they meet no update under way
	// but their own. Their member goes on once they are known.
	added := make(chan struct{})
	f.mu.Lock()
	f.unknown = append(f.unknown, pendingAdd{partitions: add, added: added})
	if !f.adding {
		f.adding = true
		go f.addUnknown()
	}
	f.mu.Unlock()
	<-added
}

// pendingAdd is an assignment of partitions the client does not know.
type pendingAdd struct {
	partitions map[string]map[int32]kgo.Offset
	added      chan struct{}
}

// addUnknown adds the waiting assignments of unknown partitions, all at
// once, until none waits.
func (f *fetcher) addUnknown() {
	for first := true; ; first = false {
		if !first {
			// The update that made the last batch known assigns it
			// after it ends: the next waits until it has.
			time.Sleep(assignSettle)
		}
		f.mu.Lock()
		pending := f.unknown
		f.unknown = nil
		if len(pending) == 0 {
			f.adding = false
			f.mu.Unlock()
			return
		}
		f.mu.Unlock()
		all := map[string]map[int32]kgo.Offset{}
		for _, a := range pending {
			maps.Copy(all, a.partitions)
		}
		f.client.AddConsumePartitions(all)
		for deadline := time.Now().Add(time.Second); time.Now().Before(deadline) && !f.known(all); time.Sleep(time.Millisecond) {
		}
		for _, a := range pending {
			close(a.added)
		}
	}
}

// assignSettle is how long an update that made partitions known may take
// to assign them: franz-go assigns them in a goroutine of its own after
// the update, and on a busy machine 5 ms was not always enough (with
// 1,000 topics subscribed 8 at once, ten took a second more).
const assignSettle = 20 * time.Millisecond

// known reports whether the client knows where each partition is, or why
// not.
func (f *fetcher) known(partitions map[string]map[int32]kgo.Offset) bool {
	for t, ps := range partitions {
		for p := range ps {
			if leader, _, err := f.client.PartitionLeader(t, p); leader < 0 && err == nil {
				return false
			}
		}
	}
	return true
}

// revoke stops reading topicName's partitions: what waits for their
// handler is dropped, and revoke returns once the batch being handled,
// if any, is done with.
func (f *fetcher) revoke(topicName string, partitions []int32) {
	if len(partitions) == 0 {
		return
	}
	f.client.RemoveConsumePartitions(map[string][]int32{topicName: partitions})
	f.mu.Lock()
	defer f.mu.Unlock()
	var paused []int32
	for _, p := range partitions {
		l := f.lanes[topicName][p]
		if l == nil {
			continue
		}
		delete(f.lanes[topicName], p)
		l.cancel()
		l.queue = nil
		if l.paused {
			paused = append(paused, p)
		}
		for l.busy {
			f.idle.Wait()
		}
	}
	if len(f.lanes[topicName]) == 0 {
		delete(f.lanes, topicName)
	}
	if len(paused) > 0 {
		f.client.ResumeFetchPartitions(map[string][]int32{topicName: paused})
	}
}

// poll reads until the fetcher closes, queueing each partition's records
// on its lane.
func (f *fetcher) poll(ctx context.Context) {
	defer close(f.done)
	for {
		fetches := f.client.PollFetches(ctx)
		if ctx.Err() != nil || fetches.IsClientClosed() {
			return
		}
		// Fetch errors are franz-go's to retry: they have no reader to
		// tell but the members, whose own requests fail alike.
		var pause map[string][]int32
		f.mu.Lock()
		fetches.EachPartition(func(p kgo.FetchTopicPartition) {
			if f.queue(p) {
				if pause == nil {
					pause = map[string][]int32{}
				}
				pause[p.Topic] = append(pause[p.Topic], p.Partition)
			}
		})
		f.mu.Unlock()
		if pause != nil {
			f.client.PauseFetchPartitions(pause)
		}
	}
}

// queue puts p's records on their lane, leaving out any it queued before,
// and reports whether the lane should now be paused. A lane revoked and
// assigned again between a poll and here may be given records fetched for
// its earlier assignment: the records at an offset are the same, and those
// before its next offset are left out, so it sees each once and in order.
func (f *fetcher) queue(p kgo.FetchTopicPartition) bool {
	l := f.lanes[p.Topic][p.Partition]
	if l == nil {
		return false // revoked: whoever has it now reads it from its committed offset
	}
	records := p.Records
	for len(records) > 0 && records[0].Offset < l.next {
		records = records[1:]
	}
	if len(records) == 0 {
		return false
	}
	l.next = records[len(records)-1].Offset + 1
	l.queue = append(l.queue, &Batch{Topic: p.Topic, Partition: p.Partition, records: records})
	if !l.busy {
		l.busy = true
		go f.work(l)
	}
	if len(l.queue) > queuedBatchesBeforePause && !l.paused {
		l.paused = true
		return true
	}
	return false
}

// work hands a lane's batches over one at a time until none waits.
func (f *fetcher) work(l *lane) {
	for {
		f.mu.Lock()
		if len(l.queue) == 0 || l.ctx.Err() != nil {
			l.busy = false
			f.idle.Broadcast()
			f.mu.Unlock()
			return
		}
		b := l.queue[0]
		l.queue = l.queue[1:]
		resume := l.paused && len(l.queue) == 0
		if resume {
			l.paused = false
		}
		f.mu.Unlock()
		if resume {
			f.client.ResumeFetchPartitions(map[string][]int32{b.Topic: {b.Partition}})
		}
		l.handle(l.ctx, b)
	}
}

// close stops reading; every partition must have been revoked.
func (f *fetcher) close() {
	f.stop()
	f.client.Close()
	<-f.done
}
