package kafka

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"maps"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kds-io/kds/app/content"
)

// Browser implements content.Browser: it reads a page of a topic's
// messages with a client of the page's own that consumes the partitions
// directly, without a consumer group, so nothing is committed and no
// group appears in Kafka.
type Browser struct {
	config Config
}

// NewBrowser browses the topics of the cluster c describes.
func NewBrowser(c Config) *Browser { return &Browser{config: c} }

// partitionScan is what a page read of one partition.
type partitionScan struct {
	start, end int64 // the offsets to read: [start, end)
	pos        int64 // the next offset to read
	matches    []content.Record
}

// Browse implements content.Browser.
func (b *Browser) Browse(ctx context.Context, req content.Browse) (content.Page, error) {
	if err := req.Validate(); err != nil {
		return content.Page{}, err
	}
	cl, err := kgo.NewClient(append(b.config.kgo(), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))...)
	if err != nil {
		return content.Page{}, &UnreachableError{Where: b.config.Where(), Err: err}
	}
	defer cl.Close()
	scans, err := b.plan(ctx, cl, req)
	if err != nil {
		return content.Page{}, err
	}
	page := content.Page{Topic: req.Topic, Records: []content.Record{}}
	if err := read(ctx, cl, req, scans, &page.Scanned); err != nil {
		return content.Page{}, err
	}
	newest := len(req.Positions) == 0 && req.From.IsZero()
	paginate(req, scans, newest, &page)
	return page, nil
}

// checkPartitions refuses a page of partitions a topic of n partitions
// does not have, whether named by --partition or by offsets.
func checkPartitions(req content.Browse, n int) error {
	var missing []int32
	if req.Partition >= int32(n) {
		missing = append(missing, req.Partition)
	}
	for _, p := range slices.Sorted(maps.Keys(req.Positions)) {
		if p >= int32(n) && p != req.Partition {
			missing = append(missing, p)
		}
	}
	if len(missing) > 0 {
		return &content.NoSuchPartitionError{Topic: req.Topic, Missing: missing, Partitions: n}
	}
	return nil
}

// plan finds the partitions to read and where to start in each.
func (b *Browser) plan(ctx context.Context, cl *kgo.Client, req content.Browse) (map[int32]*partitionScan, error) {
	adm := kadm.NewClient(cl)
	o := &Offsets{config: b.config, client: cl, admin: adm}
	starts, err := o.list(ctx, adm.ListStartOffsets, []string{req.Topic})
	if err != nil {
		return nil, err
	}
	ends, err := o.list(ctx, adm.ListEndOffsets, []string{req.Topic})
	if err != nil {
		return nil, err
	}
	if len(ends) == 0 {
		return nil, fmt.Errorf("topic %q: Kafka does not know it, or its partitions did not answer", req.Topic)
	}
	if err := checkPartitions(req, len(ends)); err != nil {
		return nil, err
	}
	scans := map[int32]*partitionScan{}
	for tp, end := range ends {
		if req.Partition >= 0 && tp.partition != req.Partition {
			continue
		}
		if len(req.Positions) > 0 {
			if _, ok := req.Positions[tp.partition]; !ok {
				continue
			}
		}
		scans[tp.partition] = &partitionScan{start: starts[tp], end: end}
	}
	var after kadm.ListedOffsets
	if !req.From.IsZero() {
		if after, err = adm.ListOffsetsAfterMilli(ctx, req.From.UnixMilli(), req.Topic); err != nil {
			return nil, b.config.unreachable(ctx, err)
		}
	}
	window := int64(req.Limit)
	if req.HasKey || req.Grep != "" {
		window = int64(content.MaxBrowseScan / len(scans))
	}
	for p, s := range scans {
		switch {
		case len(req.Positions) > 0:
			s.start = min(max(req.Positions[p], s.start), s.end)
		case !req.From.IsZero():
			if l, ok := after.Lookup(req.Topic, p); ok && l.Err == nil && l.Offset >= 0 {
				s.start = min(max(l.Offset, s.start), s.end)
			} else {
				s.start = s.end
			}
		default:
			s.start = max(s.end-window, s.start)
		}
		s.pos = s.start
	}
	return scans, nil
}

// How long a page waits for the first records, and then for more, before
// it takes what is left before the end offsets for records it cannot read
// (transaction markers, messages compacted away).
const (
	browseFirstWait = 5 * time.Second
	browseIdleWait  = time.Second
)

// read consumes every partition from its start until its end, or, for a
// forward page, until the partition has Limit matches (the page's oldest
// Limit may all be one partition's, so each partition must have its say),
// or until it has read MaxBrowseScan messages.
func read(ctx context.Context, cl *kgo.Client, req content.Browse, scans map[int32]*partitionScan, scanned *int64) error {
	newest := len(req.Positions) == 0 && req.From.IsZero()
	assign := map[int32]kgo.Offset{}
	for p, s := range scans {
		if s.pos < s.end {
			assign[p] = kgo.NewOffset().At(s.pos)
		}
	}
	if len(assign) == 0 {
		return nil
	}
	cl.AddConsumePartitions(map[string]map[int32]kgo.Offset{req.Topic: assign})
	done := func(s *partitionScan) bool { return s.pos >= s.end || (!newest && len(s.matches) >= req.Limit) }
	wait := browseFirstWait
	for len(assign) > 0 && *scanned < content.MaxBrowseScan {
		pollCtx, cancel := context.WithTimeout(ctx, wait)
		fetches := cl.PollFetches(pollCtx)
		cancel()
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if fetches.NumRecords() == 0 && pollCtx.Err() != nil {
			// Nothing more came: what is left before the end offsets
			// are transaction markers or compacted away. The page ends
			// where it got to.
			return nil
		}
		wait = browseIdleWait
		for _, fe := range fetches.Errors() {
			return fmt.Errorf("read %s partition %d: %w", fe.Topic, fe.Partition, fe.Err)
		}
		fetches.EachRecord(func(r *kgo.Record) {
			s, ok := scans[r.Partition]
			if !ok || r.Offset < s.pos || r.Offset >= s.end {
				return
			}
			*scanned++
			s.pos = r.Offset + 1
			if matches(req, r) {
				s.matches = append(s.matches, browsed(r))
			}
		})
		for p, s := range scans {
			if _, reading := assign[p]; reading && done(s) {
				delete(assign, p)
			}
		}
	}
	return nil
}

// matches says whether a record passes the page's filters.
func matches(req content.Browse, r *kgo.Record) bool {
	if req.HasKey && string(r.Key) != req.Key {
		return false
	}
	return req.Grep == "" || bytes.Contains(r.Value, []byte(req.Grep)) || bytes.Contains(r.Key, []byte(req.Grep))
}

// browsed is a record as a page shows it.
func browsed(r *kgo.Record) content.Record {
	rec := content.Record{Partition: r.Partition, Offset: r.Offset, Timestamp: r.Timestamp.UTC(), Size: len(r.Value)}
	rec.Key, rec.KeyEncoding = text(r.Key)
	value := r.Value
	if len(value) > content.MaxBrowseValue {
		value, rec.Truncated = value[:content.MaxBrowseValue], true
	}
	rec.Value, rec.ValueEncoding = text(value)
	for _, h := range r.Headers {
		rec.Headers = append(rec.Headers, content.Header{Key: h.Key, Value: string(h.Value)})
	}
	return rec
}

// text is b as a string when it is UTF-8, else in base64 with its
// encoding named.
func text(b []byte) (string, string) {
	if utf8.Valid(b) {
		return string(b), ""
	}
	return base64.StdEncoding.EncodeToString(b), "base64"
}

// paginate puts the page's records in order of time, the newest Limit of
// them for a page of the newest messages and the oldest Limit otherwise,
// and says where the next page starts: after what this one read, without
// losing a match it left out.
func paginate(req content.Browse, scans map[int32]*partitionScan, newest bool, page *content.Page) {
	var all []content.Record
	for _, s := range scans {
		all = append(all, s.matches...)
	}
	slices.SortFunc(all, func(a, b content.Record) int {
		if c := a.Timestamp.Compare(b.Timestamp); c != 0 {
			return c
		}
		if a.Partition != b.Partition {
			return int(a.Partition - b.Partition)
		}
		return int(a.Offset - b.Offset)
	})
	next := content.Positions{}
	for p, s := range scans {
		next[p] = s.pos
	}
	if len(all) > req.Limit {
		if newest {
			all = all[len(all)-req.Limit:]
		} else {
			for _, dropped := range all[req.Limit:] {
				next[dropped.Partition] = min(next[dropped.Partition], dropped.Offset)
			}
			all = all[:req.Limit]
		}
	}
	page.Records = append(page.Records, all...)
	page.Next, page.NextOffsets = next, next.String()
	page.AtEnd = true
	for p, s := range scans {
		if next[p] < s.end {
			page.AtEnd = false
		}
	}
}
