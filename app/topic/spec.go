package topic

import (
	"errors"
	"fmt"
	"maps"
	"regexp"
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
}

var configKeyPattern = regexp.MustCompile(`^[a-z0-9]+([._-][a-z0-9]+)*$`)

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
	for k, v := range s.Configs {
		if !configKeyPattern.MatchString(k) {
			problems = append(problems, fmt.Errorf("config key %q is not a Kafka topic config name", k))
		}
		if len(v) > 1024 {
			problems = append(problems, fmt.Errorf("config %q has a value of %d bytes, at most 1024 are allowed", k, len(v)))
		}
	}
	if len(problems) > 0 {
		return &InvalidSpecError{Err: errors.Join(problems...)}
	}
	return nil
}

// Equal reports whether two specs describe the same topic.
func (s Spec) Equal(o Spec) bool {
	return s.Partitions == o.Partitions && s.ReplicationFactor == o.ReplicationFactor && maps.Equal(s.Configs, o.Configs)
}

func (s Spec) clone() Spec {
	s.Configs = maps.Clone(s.Configs)
	return s
}
