package content

import (
	"slices"
	"strings"
	"time"
)

// Reading is how many messages had ever been written to each topic at one
// moment: the sum of its partitions' newest offsets.
type Reading struct {
	At       time.Time
	Produced map[string]int64
}

// TopicRate is a topic's messages per second between two readings, and
// how many messages it had received at the later one.
type TopicRate struct {
	Topic    string  `json:"topic"`
	Produced int64   `json:"produced"`
	Rate     float64 `json:"rate"`
}

// Rates compares two readings: every topic of cur, sorted by name, with
// its messages per second since prev. A topic prev did not read has no
// rate yet (0). A topic whose count went down was deleted and created
// again in between: everything it has now counts as written since prev.
func Rates(prev, cur Reading) []TopicRate {
	secs := cur.At.Sub(prev.At).Seconds()
	out := make([]TopicRate, 0, len(cur.Produced))
	for name, n := range cur.Produced {
		r := TopicRate{Topic: name, Produced: n}
		if before, ok := prev.Produced[name]; ok {
			r.Rate = Rate(before, n, secs)
		}
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b TopicRate) int { return strings.Compare(a.Topic, b.Topic) })
	return out
}

// Rate is the messages per second between two counts of a topic secs
// apart, 0 when no time passed. A count that went down is of a topic
// deleted and created again in between: all it has now was written since.
func Rate(before, after int64, secs float64) float64 {
	if secs <= 0 {
		return 0
	}
	delta := after - before
	if delta < 0 {
		delta = after
	}
	return float64(delta) / secs
}
