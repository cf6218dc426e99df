package main

import (
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/kds-io/kds/app/topic"
)

// TestTheDeclarationSchemaMatchesKds: configs/topics.schema.json, which
// editors validate declarations with, has every key readDeclaration takes
// and only those, every topic config kds knows and only those, and the
// example declaration reads and validates.
func TestTheDeclarationSchemaMatchesKds(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile(filepath.Join(examplesDir, "topics.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	var schema struct {
		Properties struct {
			Defaults struct {
				Properties map[string]any `json:"properties"`
			} `json:"defaults"`
			Topics struct {
				Items struct {
					Properties map[string]any `json:"properties"`
				} `json:"items"`
			} `json:"topics"`
		} `json:"properties"`
		Defs struct {
			Configs struct {
				Properties map[string]any `json:"properties"`
			} `json:"configs"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal(b, &schema); err != nil {
		t.Fatal(err)
	}
	keys := func(v any) []string {
		var out []string
		ty := reflect.TypeOf(v)
		for i := range ty.NumField() {
			name, _, _ := strings.Cut(ty.Field(i).Tag.Get("yaml"), ",")
			out = append(out, name)
		}
		slices.Sort(out)
		return out
	}
	for _, c := range []struct {
		what       string
		schema     map[string]any
		understood []string
	}{
		{"defaults", schema.Properties.Defaults.Properties, keys(topicDefaults{})},
		{"topic", schema.Properties.Topics.Items.Properties, keys(declaredTopic{})},
		{"configs", schema.Defs.Configs.Properties, topic.KafkaConfigNames()},
	} {
		if got := slices.Sorted(maps.Keys(c.schema)); !slices.Equal(got, c.understood) {
			t.Errorf("the schema's %s keys are %v, kds takes %v", c.what, got, c.understood)
		}
	}
	d, err := readDeclaration(filepath.Join(examplesDir, "topics.example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Validate(topic.Limits{}); err != nil || len(d.Topics) != 3 {
		t.Fatalf("the example: %d topics, %v", len(d.Topics), err)
	}
}
