package topic

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
)

// configRule is what Kafka accepts for one topic config, and in which
// versions it is a topic config at all.
type configRule struct {
	kind configKind
	// min and max bound an integer or a ratio.
	min, max float64
	// values are the words an enum or a list may hold.
	values []string
	// since is the first Kafka version with the config; until the first
	// without it. Zero means always.
	since, until kafkaVersion
}

type configKind int

const (
	integerConfig configKind = iota
	ratioConfig
	booleanConfig
	enumConfig
	// listConfig is a comma-separated list of values.
	listConfig
	// textConfig is anything, such as a list of replicas.
	textConfig
)

func integer(min, max float64) configRule { return configRule{kind: integerConfig, min: min, max: max} }

const noMax = math.MaxInt64

// kafkaTopicConfigs are Kafka's topic-level configs, from 2.8 to 4.1, with
// what each accepts. Brokers check values too, but not every
// Kafka-protocol broker does (kfake accepts any name and value), and a
// refusal when a topic is requested is kinder than a failure when it is
// created.
var kafkaTopicConfigs = map[string]configRule{
	"cleanup.policy":                          {kind: listConfig, values: []string{"compact", "delete"}},
	"compression.type":                        {kind: enumConfig, values: []string{"uncompressed", "zstd", "lz4", "snappy", "gzip", "producer"}},
	"compression.gzip.level":                  {kind: integerConfig, min: -1, max: 9, since: v(3, 8)},
	"compression.lz4.level":                   {kind: integerConfig, min: 1, max: 17, since: v(3, 8)},
	"compression.zstd.level":                  {kind: integerConfig, min: -131072, max: 22, since: v(3, 8)},
	"delete.retention.ms":                     integer(0, noMax),
	"file.delete.delay.ms":                    integer(0, noMax),
	"flush.messages":                          integer(1, noMax),
	"flush.ms":                                integer(0, noMax),
	"follower.replication.throttled.replicas": {kind: textConfig},
	"index.interval.bytes":                    integer(0, math.MaxInt32),
	"leader.replication.throttled.replicas":   {kind: textConfig},
	"local.retention.bytes":                   {kind: integerConfig, min: -2, max: noMax, since: v(3, 6)},
	"local.retention.ms":                      {kind: integerConfig, min: -2, max: noMax, since: v(3, 6)},
	"max.compaction.lag.ms":                   integer(1, noMax),
	"max.message.bytes":                       integer(0, math.MaxInt32),
	"message.downconversion.enable":           {kind: booleanConfig, until: v(4, 0)},
	"message.format.version":                  {kind: textConfig, until: v(4, 0)},
	"message.timestamp.after.max.ms":          {kind: integerConfig, min: 0, max: noMax, since: v(3, 6)},
	"message.timestamp.before.max.ms":         {kind: integerConfig, min: 0, max: noMax, since: v(3, 6)},
	"message.timestamp.difference.max.ms":     {kind: integerConfig, min: 0, max: noMax, until: v(4, 0)},
	"message.timestamp.type":                  {kind: enumConfig, values: []string{"CreateTime", "LogAppendTime"}},
	"min.cleanable.dirty.ratio":               {kind: ratioConfig, min: 0, max: 1},
	"min.compaction.lag.ms":                   integer(0, noMax),
	"min.insync.replicas":                     integer(1, math.MaxInt32),
	"preallocate":                             {kind: booleanConfig},
	"remote.log.copy.disable":                 {kind: booleanConfig, since: v(3, 9)},
	"remote.log.delete.on.disable":            {kind: booleanConfig, since: v(3, 9)},
	"remote.storage.enable":                   {kind: booleanConfig, since: v(3, 6)},
	"retention.bytes":                         integer(-1, noMax),
	"retention.ms":                            integer(-1, noMax),
	"segment.bytes":                           integer(14, math.MaxInt32),
	"segment.index.bytes":                     integer(4, math.MaxInt32),
	"segment.jitter.ms":                       integer(0, noMax),
	"segment.ms":                              integer(1, noMax),
	"unclean.leader.election.enable":          {kind: booleanConfig},
}

// kafkaVersion is a Kafka release, major and minor.
type kafkaVersion struct{ major, minor int }

func v(major, minor int) kafkaVersion { return kafkaVersion{major, minor} }

func (k kafkaVersion) isZero() bool { return k == kafkaVersion{} }

func (k kafkaVersion) before(o kafkaVersion) bool {
	return k.major < o.major || k.major == o.major && k.minor < o.minor
}

func (k kafkaVersion) String() string { return fmt.Sprintf("%d.%d", k.major, k.minor) }

// parseKafkaVersion reads "2.8.0", "3.6" or "4"; the zero version, which
// no config excludes, when s is empty or not a version.
func parseKafkaVersion(s string) kafkaVersion {
	parts := strings.SplitN(s, ".", 3)
	major, err := strconv.Atoi(parts[0])
	if err != nil {
		return kafkaVersion{}
	}
	minor := 0
	if len(parts) > 1 {
		if minor, err = strconv.Atoi(parts[1]); err != nil {
			return kafkaVersion{}
		}
	}
	return kafkaVersion{major, minor}
}

// checkKafkaConfig refuses a config Kafka version would not take as a
// topic config, saying why.
func checkKafkaConfig(k, val string, version kafkaVersion) error {
	r, ok := kafkaTopicConfigs[k]
	if !ok {
		return fmt.Errorf("config %s is not a Kafka topic config%s", k, suggestion(k))
	}
	if !version.isZero() {
		if !r.since.isZero() && version.before(r.since) {
			return fmt.Errorf("config %s is a topic config from Kafka %s on, and kafka.version is %s", k, r.since, version)
		}
		if !r.until.isZero() && !version.before(r.until) {
			return fmt.Errorf("config %s is no topic config since Kafka %s, and kafka.version is %s", k, r.until, version)
		}
	}
	switch r.kind {
	case integerConfig:
		n, err := strconv.ParseInt(val, 10, 64)
		if err != nil || float64(n) < r.min || float64(n) > r.max {
			return fmt.Errorf("config %s=%q: want a whole number %s", k, val, bounds(r))
		}
	case ratioConfig:
		f, err := strconv.ParseFloat(val, 64)
		if err != nil || f < r.min || f > r.max {
			return fmt.Errorf("config %s=%q: want a number %s", k, val, bounds(r))
		}
	case booleanConfig:
		if val != "true" && val != "false" {
			return fmt.Errorf("config %s=%q: want true or false", k, val)
		}
	case enumConfig:
		if !slices.Contains(r.values, val) {
			return fmt.Errorf("config %s=%q: want one of %s", k, val, strings.Join(r.values, ", "))
		}
	case listConfig:
		for _, item := range strings.Split(val, ",") {
			if !slices.Contains(r.values, strings.TrimSpace(item)) {
				return fmt.Errorf("config %s=%q: want %s, or several of them separated by commas", k, val, strings.Join(r.values, " or "))
			}
		}
	}
	return nil
}

func bounds(r configRule) string {
	if r.max == noMax || r.max == math.MaxInt32 {
		return fmt.Sprintf("of at least %v", r.min)
	}
	return fmt.Sprintf("from %v to %v", r.min, r.max)
}

// suggestion names a topic config that k may have been meant for: the
// same words in another order or with a typo, or the broker config it
// looks like (log.retention.ms is retention.ms on a topic).
func suggestion(k string) string {
	if strings.HasPrefix(k, "log.") {
		if _, ok := kafkaTopicConfigs[strings.TrimPrefix(k, "log.")]; ok {
			return fmt.Sprintf(" (it is a broker config; the topic's is %s)", strings.TrimPrefix(k, "log."))
		}
	}
	best, bestDistance := "", 3
	for name := range kafkaTopicConfigs {
		if d := distance(k, name); d < bestDistance || d == bestDistance && name < best {
			best, bestDistance = name, d
		}
	}
	if best != "" {
		return fmt.Sprintf(" (did you mean %s?)", best)
	}
	return ""
}

// distance is the Levenshtein distance of a and b.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// KafkaConfigNames are the names of Kafka's topic configs kds knows, in
// every version, sorted.
func KafkaConfigNames() []string { return slices.Sorted(maps.Keys(kafkaTopicConfigs)) }
