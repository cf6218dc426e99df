package kafka

import (
	"context"
	"errors"
	"maps"
	"slices"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Offsets reads how far topics have been written: the end offset (the
// high-water mark) of every partition, asked of the partitions' leaders in
// one ListOffsets request per broker. Its client connects on first use and
// keeps its connections and the partitions' leaders between calls, so a
// call costs one round trip per broker.
type Offsets struct {
	config Config
	client *kgo.Client
	admin  *kadm.Client
	err    error // why there is no client
}

// NewOffsets reads the offsets of the cluster c describes; should its
// client not be made, every call says why.
func NewOffsets(c Config) *Offsets {
	o := &Offsets{config: c}
	if o.client, o.err = kgo.NewClient(c.kgo()...); o.err == nil {
		o.admin = kadm.NewClient(o.client)
	}
	return o
}

// Close releases the connections.
func (o *Offsets) Close() error {
	if o.client != nil {
		o.client.Close()
	}
	return nil
}

// Produced returns, for each of topics that Kafka knows, the sum of its
// partitions' high-water marks: how many messages were ever written to it,
// expired ones included. A topic Kafka does not know, or one of whose
// partitions did not answer, is left out rather than reported short.
func (o *Offsets) Produced(ctx context.Context, topics []string) (map[string]int64, error) {
	if err := o.noClient(); err != nil {
		return nil, err
	}
	ends, err := o.list(ctx, o.admin.ListEndOffsets, topics)
	if err != nil {
		return nil, err
	}
	return sumByTopic(ends), nil
}

// noClient says why there is no client, nil when there is one.
func (o *Offsets) noClient() error {
	if o.err != nil {
		return &UnreachableError{Where: o.config.Where(), Err: o.err}
	}
	return nil
}

// sumByTopic adds up the partitions' offsets of each topic.
func sumByTopic(ends map[topicPartition]int64) map[string]int64 {
	sums := map[string]int64{}
	for tp, end := range ends {
		sums[tp.topic] += end
	}
	return sums
}

// list reads one offset of every partition of topics with list (kadm's
// ListStartOffsets or ListEndOffsets). A topic Kafka does not know, or one
// of whose partitions did not answer, is left out rather than reported
// short; its metadata is asked for again for the next call, as the leaders
// kadm reads are cached.
func (o *Offsets) list(ctx context.Context, list func(context.Context, ...string) (kadm.ListedOffsets, error), topics []string) (map[topicPartition]int64, error) {
	listed, err := list(ctx, topics...)
	var failed *kadm.ShardErrors
	if err != nil && (!errors.As(err, &failed) || failed.AllFailed) {
		return nil, o.config.unreachable(ctx, err)
	}
	stale := map[string]bool{}
	if failed != nil {
		for _, shard := range failed.Errs {
			if req, ok := shard.Req.(*kmsg.ListOffsetsRequest); ok {
				for _, t := range req.Topics {
					stale[t.Topic] = true
				}
			}
		}
	}
	out := map[topicPartition]int64{}
	listed.Each(func(l kadm.ListedOffset) {
		if l.Err != nil {
			stale[l.Topic] = true
			return
		}
		out[topicPartition{l.Topic, l.Partition}] = l.Offset
	})
	if len(stale) > 0 {
		for tp := range out {
			if stale[tp.topic] {
				delete(out, tp)
			}
		}
		// Leaders moved or partitions changed: kgo keeps what this
		// request learns in the cache kadm reads.
		_, _ = metadataRequest(slices.Collect(maps.Keys(stale))).RequestWith(ctx, o.client)
	}
	return out, nil
}
