package topic

import (
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
)

// Spec is what a topic looks like in Kafka.
type Spec struct {
	Partitions        int32
	ReplicationFactor int16
	// Configs are Kafka topic configs such as retention.ms; the broker
	// validates their values.
	Configs map[string]string
}

// Limits bound what may be requested; they come from configuration.
type Limits struct {
	MaxPartitions        int32
	MaxReplicationFactor int16
	// KafkaVersion is the Kafka version kds speaks (kafka.version): configs
	// are checked against that version's topic configs, or against those
	// of any version when it is empty.
	KafkaVersion string
}

var configKeyPattern = regexp.MustCompile(`^[a-z0-9]+([._-][a-z0-9]+)*$`)

// Bounds on a spec's configs. Kafka has about forty topic configs with
// names under fifty characters; the bounds keep a command, and the events
// that carry its spec, small.
const (
	MaxConfigs           = 100
	MaxConfigKeyLength   = 128
	MaxConfigValueLength = 1024
)

// Validate reports every problem with the spec at once, as an
// *InvalidSpecError.
func (s Spec) Validate(l Limits) error {
	var problems []error
	switch {
	case s.Partitions < 1:
		problems = append(problems, fmt.Errorf("partitions must be at least 1, got %d", s.Partitions))
	case l.MaxPartitions > 0 && s.Partitions > l.MaxPartitions:
		problems = append(problems, fmt.Errorf("partitions must be at most %d, got %d", l.MaxPartitions, s.Partitions))
	}
	switch {
	case s.ReplicationFactor < 1:
		problems = append(problems, fmt.Errorf("replication factor must be at least 1, got %d", s.ReplicationFactor))
	case l.MaxReplicationFactor > 0 && s.ReplicationFactor > l.MaxReplicationFactor:
		problems = append(problems, fmt.Errorf("replication factor must be at most %d, got %d", l.MaxReplicationFactor, s.ReplicationFactor))
	}
	if len(s.Configs) > MaxConfigs {
		// Not each of them too: the answer would be as large as the request.
		problems = append(problems, fmt.Errorf("at most %d configs, got %d", MaxConfigs, len(s.Configs)))
	} else {
		for _, k := range slices.Sorted(maps.Keys(s.Configs)) {
			if err := validateConfig(k, s.Configs[k], parseKafkaVersion(l.KafkaVersion)); err != nil {
				problems = append(problems, err)
			}
		}
	}
	if len(problems) > 0 {
		return &InvalidSpecError{Err: errors.Join(problems...)}
	}
	return nil
}

// CanBecome says why Kafka cannot change a topic of spec s into one of
// spec to, or nil when it can: partitions may grow, configs may change,
// nothing else.
func (s Spec) CanBecome(to Spec) error {
	var errs []error
	if to.Partitions < s.Partitions {
		errs = append(errs, fmt.Errorf("it has %d partitions and Kafka cannot take partitions away (%d asked)", s.Partitions, to.Partitions))
	}
	if to.ReplicationFactor != s.ReplicationFactor {
		errs = append(errs, fmt.Errorf("its replication factor is %d and kds does not change a topic's replication factor (%d asked)", s.ReplicationFactor, to.ReplicationFactor))
	}
	return errors.Join(errs...)
}

// Changes describes what changes from s to to, one item per change; none
// when they are Equal.
func (s Spec) Changes(to Spec) []string {
	var out []string
	if s.Partitions != to.Partitions {
		out = append(out, fmt.Sprintf("partitions %d → %d", s.Partitions, to.Partitions))
	}
	if s.ReplicationFactor != to.ReplicationFactor {
		out = append(out, fmt.Sprintf("replication factor %d → %d", s.ReplicationFactor, to.ReplicationFactor))
	}
	for _, k := range slices.Sorted(maps.Keys(to.Configs)) {
		if old, ok := s.Configs[k]; !ok {
			out = append(out, fmt.Sprintf("set %s=%s", k, to.Configs[k]))
		} else if old != to.Configs[k] {
			out = append(out, fmt.Sprintf("set %s=%s (was %s)", k, to.Configs[k], old))
		}
	}
	for _, k := range slices.Sorted(maps.Keys(s.Configs)) {
		if _, ok := to.Configs[k]; !ok {
			out = append(out, "unset "+k)
		}
	}
	return out
}

// Equal reports whether two specs describe the same topic.
func (s Spec) Equal(o Spec) bool {
	return s.Partitions == o.Partitions && s.ReplicationFactor == o.ReplicationFactor && maps.Equal(s.Configs, o.Configs)
}

func (s Spec) clone() Spec {
	s.Configs = maps.Clone(s.Configs)
	return s
}

func validateConfig(k, v string, version kafkaVersion) error {
	if len(k) > MaxConfigKeyLength {
		return fmt.Errorf("config key of %d bytes, at most %d are allowed", len(k), MaxConfigKeyLength)
	}
	if !configKeyPattern.MatchString(k) {
		return fmt.Errorf("config key %q is not a Kafka topic config name", k)
	}
	if len(v) > MaxConfigValueLength {
		return fmt.Errorf("config %s has a value of %d bytes, at most %d are allowed", k, len(v), MaxConfigValueLength)
	}
	return checkKafkaConfig(k, v, version)
}
