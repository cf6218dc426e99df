package main

import (
	"maps"
	"strings"
	"testing"
)

// TestParseConfigs: a config is split at its first '=', since Kafka's
// config values may hold '=' and its names never do; a key given twice
// is an error rather than the last one winning.
func TestParseConfigs(t *testing.T) {
	t.Parallel()
	got, err := parseConfigs([]string{"a=b=c", "retention.ms=1000", "empty="})
	if want := map[string]string{"a": "b=c", "retention.ms": "1000", "empty": ""}; err != nil || !maps.Equal(got, want) {
		t.Fatalf("parseConfigs = %v, %v; want %v", got, err, want)
	}
	for _, c := range []struct {
		args []string
		says string
	}{
		{[]string{"retention.ms"}, `--topic-config "retention.ms": want key=value`},
		{[]string{"=1"}, `--topic-config "=1": want key=value`},
		{[]string{"retention.ms=1", "retention.ms=2"}, `--topic-config retention.ms is given twice`},
	} {
		if _, err := parseConfigs(c.args); err == nil || !strings.Contains(err.Error(), c.says) {
			t.Errorf("parseConfigs(%q) = %v, want an error saying %q", c.args, err, c.says)
		}
	}
}
