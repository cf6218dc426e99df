package content

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Limits of one page of a topic's messages.
const (
	DefaultBrowseLimit = 50
	MaxBrowseLimit     = 1000
	// MaxBrowseScan bounds the messages one page reads to find its
	// matches; a page that reads that many says where to go on.
	MaxBrowseScan = 100_000
	// MaxBrowseValue is how much of a value a page carries.
	MaxBrowseValue = 64 << 10
	maxBrowseText  = 1000
)

// Browse asks for a page of a topic's messages: from positions, from a
// time, or, with neither, the newest. Reading never joins a consumer group
// and never commits.
type Browse struct {
	Topic string
	// Positions are where to start in each partition (the next offset to
	// read); only these partitions are read.
	Positions Positions
	// From starts each partition at its first message at or after it.
	From time.Time
	// Partition reads only that partition, when not negative.
	Partition int32
	// Key keeps only the messages with exactly this key, when HasKey.
	Key    string
	HasKey bool
	// Grep keeps only the messages whose key or value holds it.
	Grep  string
	Limit int
}

// Validate reports every problem with the request at once.
func (b Browse) Validate() error {
	var errs []error
	if b.Limit < 1 || b.Limit > MaxBrowseLimit {
		errs = append(errs, fmt.Errorf("limit %d: want 1 to %d", b.Limit, MaxBrowseLimit))
	}
	if len(b.Positions) > 0 && !b.From.IsZero() {
		errs = append(errs, errors.New("give offsets or a time to start from, not both"))
	}
	if _, ok := b.Positions[b.Partition]; b.Partition >= 0 && len(b.Positions) > 0 && (!ok || len(b.Positions) > 1) {
		errs = append(errs, fmt.Errorf("partition %d: the offsets name other partitions (%s)", b.Partition, b.Positions))
	}
	if len(b.Grep) > maxBrowseText || len(b.Key) > maxBrowseText {
		errs = append(errs, fmt.Errorf("grep and key: at most %d bytes each", maxBrowseText))
	}
	return errors.Join(errs...)
}

// Positions are offsets by partition, written "P:O,P:O".
type Positions map[int32]int64

// ParsePositions reads "P:O[,P:O...]".
func ParsePositions(s string) (Positions, error) {
	out := Positions{}
	for part := range strings.SplitSeq(s, ",") {
		p, o, ok := strings.Cut(strings.TrimSpace(part), ":")
		pn, perr := strconv.ParseInt(p, 10, 32)
		on, oerr := strconv.ParseInt(o, 10, 64)
		if !ok || perr != nil || oerr != nil || pn < 0 || on < 0 {
			return nil, fmt.Errorf("offset %q: want PARTITION:OFFSET, both whole numbers from 0, such as 0:42", part)
		}
		if _, dup := out[int32(pn)]; dup {
			return nil, fmt.Errorf("offsets %q: partition %d given twice", s, pn)
		}
		out[int32(pn)] = on
	}
	return out, nil
}

func (p Positions) String() string {
	parts := make([]string, 0, len(p))
	for _, k := range slices.Sorted(maps.Keys(p)) {
		parts = append(parts, fmt.Sprintf("%d:%d", k, p[k]))
	}
	return strings.Join(parts, ",")
}

// Header is a record header.
type Header struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Record is a message as the browser shows it. A key or value that is not
// UTF-8 is in base64, and says so; a value is cut to MaxBrowseValue.
type Record struct {
	Partition     int32     `json:"partition"`
	Offset        int64     `json:"offset"`
	Timestamp     time.Time `json:"timestamp"`
	Key           string    `json:"key,omitempty"`
	KeyEncoding   string    `json:"key_encoding,omitempty"`
	Headers       []Header  `json:"headers,omitempty"`
	Value         string    `json:"value"`
	ValueEncoding string    `json:"value_encoding,omitempty"`
	// Size is the value's length in bytes before it was cut.
	Size      int  `json:"size"`
	Truncated bool `json:"truncated,omitempty"`
}

// Page is what one Browse found, oldest first.
type Page struct {
	Topic   string   `json:"topic"`
	Records []Record `json:"records"`
	// Next is where the following page starts: Browse again with it as
	// Positions.
	Next Positions `json:"-"`
	// NextOffsets is Next as text.
	NextOffsets string `json:"next"`
	// Scanned counts the messages read, matching or not.
	Scanned int64 `json:"scanned"`
	// AtEnd is true when the page read every partition to its newest
	// message.
	AtEnd bool `json:"at_end"`
}

// NoSuchPartitionError refuses a page of partitions the topic does not
// have.
type NoSuchPartitionError struct {
	Topic      string
	Missing    []int32
	Partitions int
}

func (e *NoSuchPartitionError) Error() string {
	missing := make([]string, len(e.Missing))
	for i, p := range e.Missing {
		missing[i] = strconv.Itoa(int(p))
	}
	return fmt.Sprintf("topic %q has no partition %s: its partitions are 0 to %d", e.Topic, strings.Join(missing, ", "), e.Partitions-1)
}

// Browser reads pages of a topic's messages without a consumer group.
type Browser interface {
	// Browse reads one page; a topic Kafka does not know is a
	// *NotActiveError.
	Browse(ctx context.Context, b Browse) (Page, error)
}
