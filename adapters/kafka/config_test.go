package kafka_test

import (
	"strings"
	"testing"
	"time"

	"github.com/kds-io/kds/adapters/kafka"
)

// TestAConfigWithoutAVersionSpeaksTheDefault: the protocol version is
// written in one place, kafka.DefaultVersion; a configuration that leaves
// it out is valid and speaks it, static membership included.
func TestAConfigWithoutAVersionSpeaksTheDefault(t *testing.T) {
	t.Parallel()
	base := kafka.Config{Brokers: []string{"127.0.0.1:9092"}, ClientID: "t", DialTimeout: time.Second, RequestTimeout: time.Second,
		Groups: kafka.GroupConfig{StaticMembership: true}}
	cases := []struct {
		version string
		// fails is in the error when the configuration is refused.
		fails string
	}{
		{version: ""},
		{version: kafka.DefaultVersion},
		{version: "3.6.0"},
		{version: "latest", fails: `kafka.version "latest"`},
		{version: "2.3.0", fails: "static_membership needs kafka.version 2.4.0 or newer"},
	}
	for _, c := range cases {
		cfg := base
		cfg.Version = c.version
		err := cfg.Validate()
		switch {
		case c.fails == "" && err != nil:
			t.Errorf("version %q: %v", c.version, err)
		case c.fails != "" && (err == nil || !strings.Contains(err.Error(), c.fails)):
			t.Errorf("version %q: %v, want an error saying %q", c.version, err, c.fails)
		}
	}
}
