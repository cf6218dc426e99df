package kafka

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kds-io/kds/app/content"
)

// topicPartition names a partition of a topic.
type topicPartition struct {
	topic     string
	partition int32
}

// partitionLeaders is where the partitions of topics lead, and the topics' ids.
type partitionLeaders struct {
	leaders map[topicPartition]int32
	ids     map[string][16]byte
}

// Usage implements content.UsageReader with kadm: a reading of any number
// of topics is one ListOffsets request per broker for the oldest offsets
// and one for the newest, one DescribeLogDirs per broker, a Metadata
// request for the partitions' leaders, and a Fetch per leader for the timestamps of the partitions
// written to since the previous reading; a reading of groups is one
// DescribeGroups per coordinator and an OffsetFetch per group (one per
// coordinator on Kafka 3.0 and later). Nothing joins a group or commits.
type Usage struct {
	offsets *Offsets
	// newest and unread keep the times of the partitions' newest
	// messages and of the groups' oldest unread ones apart, each what its
	// latest reading asked for.
	newest, unread *recordTimes
	requests       *requestCount

	mu      sync.Mutex
	leaders partitionLeaders // as the latest TopicUsage found it
	ends    endOffsets       // as the latest Produced read them
}

// endOffsets is one reading of the partitions' newest offsets.
type endOffsets struct {
	at    time.Time
	asked map[string]bool
	ends  map[topicPartition]int64
}

// endsReused is how old the newest offsets that Produced read may be for
// TopicUsage to take them rather than ask Kafka again: a little more than
// the message rates' 2 s, so that while they are sampled every usage
// reading finds theirs.
const endsReused = 3 * time.Second

// NewUsage reads the usage of the cluster c describes; should its client
// not be made, every call says why.
func NewUsage(c Config) *Usage {
	u := &Usage{offsets: &Offsets{config: c}, requests: &requestCount{}}
	if u.offsets.client, u.offsets.err = kgo.NewClient(append(c.kgo(), kgo.WithHooks(u.requests))...); u.offsets.err == nil {
		u.offsets.admin = kadm.NewClient(u.offsets.client)
		u.newest, u.unread = newRecordTimes(u.offsets.client), newRecordTimes(u.offsets.client)
	}
	return u
}

// Requests counts the requests the usage readings sent to Kafka since
// the start, by request name (ListOffsets, Fetch, ...).
func (u *Usage) Requests() map[string]uint64 { return u.requests.snapshot() }

// Close releases the connections.
func (u *Usage) Close() error { return u.offsets.Close() }

// Produced implements content.ProducedCounter, for the message rates, and
// keeps the newest offsets it read for the next TopicUsage, which then
// asks Kafka only for the oldest: one source of the newest offsets, one
// ListOffsets per broker, however often both read.
func (u *Usage) Produced(ctx context.Context, topics []string) (map[string]int64, error) {
	o := u.offsets
	if err := o.noClient(); err != nil {
		return nil, err
	}
	if len(topics) == 0 {
		return map[string]int64{}, nil // kadm would list every topic
	}
	at := time.Now().UTC()
	ends, err := o.list(ctx, o.admin.ListEndOffsets, topics)
	if err != nil {
		return nil, err
	}
	asked := make(map[string]bool, len(topics))
	for _, t := range topics {
		asked[t] = true
	}
	u.mu.Lock()
	u.ends = endOffsets{at: at, asked: asked, ends: ends}
	u.mu.Unlock()
	return sumByTopic(ends), nil
}

// newestOffsets are the newest offsets of topics: those Produced read
// within endsReused when it asked for all of topics, else read now (and
// not kept: only the rates' readings are shared).
func (u *Usage) newestOffsets(ctx context.Context, topics []string) (time.Time, map[topicPartition]int64, error) {
	u.mu.Lock()
	kept := u.ends
	u.mu.Unlock()
	if time.Since(kept.at) < endsReused && !slices.ContainsFunc(topics, func(t string) bool { return !kept.asked[t] }) {
		wanted := make(map[string]bool, len(topics))
		for _, t := range topics {
			wanted[t] = true
		}
		ends := map[topicPartition]int64{}
		for tp, end := range kept.ends {
			if wanted[tp.topic] {
				ends[tp] = end
			}
		}
		return kept.at, ends, nil
	}
	at := time.Now().UTC()
	ends, err := u.offsets.list(ctx, u.offsets.admin.ListEndOffsets, topics)
	return at, ends, err
}

// TopicUsage implements content.UsageReader.
func (u *Usage) TopicUsage(ctx context.Context, topics []string) (map[string]content.TopicUsage, error) {
	o := u.offsets
	if err := o.noClient(); err != nil {
		return nil, err
	}
	if len(topics) == 0 {
		return map[string]content.TopicUsage{}, nil // kadm would list every topic
	}
	at, ends, err := u.newestOffsets(ctx, topics)
	if err != nil {
		return nil, err
	}
	starts, err := o.list(ctx, o.admin.ListStartOffsets, topics)
	if err != nil {
		return nil, err
	}
	sizes := u.sizes(ctx, ends)
	leaders := u.readLeaders(ctx, topics)

	parts := map[string][]content.PartitionUsage{}
	var newest []partitionOffset
	for tp, end := range ends {
		start, ok := starts[tp]
		if !ok {
			continue
		}
		// Newest offsets read a moment before the oldest: messages
		// expired meanwhile leave the partition empty, not negative.
		end = max(end, start)
		size, ok := sizes[tp]
		if !ok {
			size = -1
		}
		parts[tp.topic] = append(parts[tp.topic], content.PartitionUsage{Partition: tp.partition, Earliest: start, Latest: end, Bytes: size})
		if end > start {
			newest = append(newest, partitionOffset{tp.topic, tp.partition, end - 1})
		}
	}
	written := u.newest.times(ctx, newest, leaders)
	out := make(map[string]content.TopicUsage, len(parts))
	for name, ps := range parts {
		for i := range ps {
			if ps[i].Latest > ps[i].Earliest {
				ps[i].LastMessageAt = written[partitionOffset{name, ps[i].Partition, ps[i].Latest - 1}]
			}
		}
		slices.SortFunc(ps, func(a, b content.PartitionUsage) int { return int(a.Partition - b.Partition) })
		out[name] = content.NewTopicUsage(name, ps, at)
	}
	return out, nil
}

// sizes reads the size of one replica of each partition of ends; a
// partition no broker reported is left out.
func (u *Usage) sizes(ctx context.Context, ends map[topicPartition]int64) map[topicPartition]int64 {
	set := kadm.TopicsSet{}
	for tp := range ends {
		set.Add(tp.topic, tp.partition)
	}
	out := map[topicPartition]int64{}
	if len(set) == 0 {
		return out
	}
	dirs, _ := u.offsets.admin.DescribeAllLogDirs(ctx, set) // what answered is kept
	dirs.Each(func(d kadm.DescribedLogDir) {
		if d.Err != nil {
			return
		}
		d.Topics.Each(func(p kadm.DescribedLogDirPartition) {
			tp := topicPartition{p.Topic, p.Partition}
			if _, asked := ends[tp]; asked {
				// Each replica reports its own copy; the largest is the
				// one that is most complete.
				out[tp] = max(out[tp], p.Size)
			}
		})
	})
	return out
}

// readLeaders reads each partition's leader and each topic's id, and keeps
// them for GroupProgress.
func (u *Usage) readLeaders(ctx context.Context, topics []string) partitionLeaders {
	l := partitionLeaders{leaders: map[topicPartition]int32{}, ids: map[string][16]byte{}}
	if m, err := u.offsets.admin.Metadata(ctx, topics...); err == nil {
		for _, t := range m.Topics {
			l.ids[t.Topic] = t.ID
			for _, p := range t.Partitions {
				l.leaders[topicPartition{p.Topic, p.Partition}] = p.Leader
			}
		}
	}
	u.mu.Lock()
	u.leaders = l
	u.mu.Unlock()
	return l
}

// GroupProgress implements content.UsageReader.
func (u *Usage) GroupProgress(ctx context.Context, reads []content.GroupRead, usage map[string]content.TopicUsage) ([]content.GroupProgress, error) {
	o := u.offsets
	if err := o.noClient(); err != nil {
		return nil, err
	}
	if len(reads) == 0 {
		return nil, nil
	}
	groups := make([]string, len(reads))
	for i, r := range reads {
		groups[i] = r.Group
	}
	described, err := o.admin.DescribeGroups(ctx, groups...)
	var failed *kadm.ShardErrors
	if err != nil && (!errors.As(err, &failed) || failed.AllFailed) {
		return nil, o.config.unreachable(ctx, err)
	}
	fetched := o.admin.FetchManyOffsets(ctx, groups...)

	out := make([]content.GroupProgress, 0, len(reads))
	var unread []partitionOffset
	for _, r := range reads {
		d, ok := described[r.Group]
		f, fok := fetched[r.Group]
		if !ok || !fok || !groupAnswered(d.Err) || !groupAnswered(f.Err) {
			continue // not answered: left out of this reading
		}
		gp := content.GroupProgress{GroupRead: r, State: d.State, Members: len(d.Members), Committed: map[int32]int64{}, UnreadSince: map[int32]time.Time{}}
		for p, off := range f.Fetched[r.Topic] {
			if off.Err != nil || off.At < 0 {
				continue
			}
			gp.Committed[p] = off.At
		}
		for _, part := range usage[r.Topic].Partitions {
			if c, ok := gp.Committed[part.Partition]; ok && c < part.Latest {
				unread = append(unread, partitionOffset{r.Topic, part.Partition, max(c, part.Earliest)})
			}
		}
		out = append(out, gp)
	}
	u.mu.Lock()
	leaders := u.leaders
	u.mu.Unlock()
	times := u.unread.times(ctx, unread, leaders)
	for _, gp := range out {
		for _, part := range usage[gp.Topic].Partitions {
			if c, ok := gp.Committed[part.Partition]; ok {
				if at, ok := times[partitionOffset{gp.Topic, part.Partition, max(c, part.Earliest)}]; ok {
					gp.UnreadSince[part.Partition] = at
				}
			}
		}
	}
	return out, nil
}

var _ content.UsageReader = (*Usage)(nil)

// groupAnswered says whether err is an answer about a group: none, or that
// the group does not exist, which kfake answers where Kafka describes the
// group as Dead with nothing committed.
func groupAnswered(err error) bool {
	return err == nil || errors.Is(err, kerr.GroupIDNotFound)
}
