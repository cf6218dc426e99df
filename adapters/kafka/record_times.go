package kafka

import (
	"context"
	"encoding/binary"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// partitionOffset names one message: a topic's partition and an offset
// in it.
type partitionOffset struct {
	topic     string
	partition int32
	offset    int64
}

// recordTimes finds when messages were written, for the last message
// time of a partition and the age of a consumer group's oldest unread
// message. It reads only the head of the record batch that holds each
// message (its timestamps), in one Fetch request per leader, and keeps
// what it found: a message's time does not change, so a reading asks
// again only for offsets that moved.
type recordTimes struct {
	client *kgo.Client

	mu    sync.Mutex
	known map[partitionOffset]time.Time
}

// Sizes of what a Fetch asks for. A broker answers with the batch that
// holds the offset asked for, cut to the partition's bytes; the batch's
// head, its first 61 bytes, is all that is read.
const (
	timesPartitionBytes = 16 << 10
	timesResponseBytes  = 8 << 20
	batchHeadBytes      = 61
)

func newRecordTimes(client *kgo.Client) *recordTimes {
	return &recordTimes{client: client, known: map[partitionOffset]time.Time{}}
}

// times returns when each message of want was written, leaving out those
// that could not be read (a leader that moved, a broker that did not
// answer, an offset past the end); they are asked again at the next call.
// leaders names each partition's leader, and the topics' ids, which Fetch
// names topics by from Kafka 3.1 on. It forgets the messages it was
// not asked for, so that what it keeps is what the latest reading needs.
func (r *recordTimes) times(ctx context.Context, want []partitionOffset, leaders partitionLeaders) map[partitionOffset]time.Time {
	out := make(map[partitionOffset]time.Time, len(want))
	byLeader := map[int32][]partitionOffset{}
	r.mu.Lock()
	for _, po := range want {
		if at, ok := r.known[po]; ok {
			out[po] = at
			continue
		}
		if leader, ok := leaders.leaders[topicPartition{po.topic, po.partition}]; ok && leader >= 0 {
			byLeader[leader] = append(byLeader[leader], po)
		}
	}
	r.mu.Unlock()

	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		found = map[partitionOffset]time.Time{}
	)
	for leader, pos := range byLeader {
		wg.Go(func() {
			got := r.fetch(ctx, leader, pos, leaders.ids)
			mu.Lock()
			defer mu.Unlock()
			for po, at := range got {
				found[po] = at
			}
		})
	}
	wg.Wait()

	r.mu.Lock()
	defer r.mu.Unlock()
	kept := make(map[partitionOffset]time.Time, len(want))
	for _, po := range want {
		if at, ok := out[po]; ok {
			kept[po] = at
		} else if at, ok := found[po]; ok {
			kept[po], out[po] = at, at
		}
	}
	r.known = kept
	return out
}

// fetch asks leader for the batches that hold pos.
func (r *recordTimes) fetch(ctx context.Context, leader int32, pos []partitionOffset, ids map[string][16]byte) map[partitionOffset]time.Time {
	req := kmsg.NewPtrFetchRequest()
	req.ReplicaID = -1
	req.MaxWaitMillis = 0
	req.MinBytes = 0
	req.MaxBytes = timesResponseBytes
	req.SessionEpoch = -1 // no fetch session
	asked := map[topicPartition]int64{}
	topics := map[string]int{}
	for _, po := range pos {
		i, ok := topics[po.topic]
		if !ok {
			i = len(req.Topics)
			topics[po.topic] = i
			t := kmsg.NewFetchRequestTopic()
			t.Topic, t.TopicID = po.topic, ids[po.topic]
			req.Topics = append(req.Topics, t)
		}
		p := kmsg.NewFetchRequestTopicPartition()
		p.Partition = po.partition
		p.FetchOffset = po.offset
		p.PartitionMaxBytes = timesPartitionBytes
		req.Topics[i].Partitions = append(req.Topics[i].Partitions, p)
		asked[topicPartition{po.topic, po.partition}] = po.offset
	}
	resp, err := req.RequestWith(ctx, r.client.Broker(int(leader)))
	if err != nil {
		return nil
	}
	names := make(map[[16]byte]string, len(ids))
	for name, id := range ids {
		names[id] = name
	}
	out := map[partitionOffset]time.Time{}
	for _, t := range resp.Topics {
		name := t.Topic
		if name == "" {
			name = names[t.TopicID]
		}
		for _, p := range t.Partitions {
			offset, ok := asked[topicPartition{name, p.Partition}]
			if !ok || kerr.ErrorForCode(p.ErrorCode) != nil {
				continue
			}
			if at, ok := batchTime(p.RecordBatches, offset); ok {
				out[partitionOffset{name, p.Partition, offset}] = at
			}
		}
	}
	return out
}

// batchTime reads, from the heads of the record batches in raw, when the
// message at offset was written: the batch's first timestamp when it is
// the batch's first message, else the batch's newest timestamp, which
// differs from the message's by at most the time the producer took to
// fill the batch. A message removed by compaction takes the time of the
// next one kept. Batches older than message format 2 are not read.
func batchTime(raw []byte, offset int64) (time.Time, bool) {
	for len(raw) >= batchHeadBytes {
		base := int64(binary.BigEndian.Uint64(raw[0:8]))
		size := 12 + int(int32(binary.BigEndian.Uint32(raw[8:12])))
		if raw[16] != 2 || size < batchHeadBytes {
			return time.Time{}, false
		}
		last := base + int64(int32(binary.BigEndian.Uint32(raw[23:27])))
		first := int64(binary.BigEndian.Uint64(raw[27:35]))
		newest := int64(binary.BigEndian.Uint64(raw[35:43]))
		switch {
		case offset <= base:
			return time.UnixMilli(first).UTC(), true
		case offset <= last:
			return time.UnixMilli(newest).UTC(), true
		}
		if size > len(raw) {
			return time.Time{}, false
		}
		raw = raw[size:]
	}
	return time.Time{}, false
}
