package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kds-io/kds/app/declaration"
	"github.com/kds-io/kds/app/topic"
)

func writeFile(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestADeclarationIsReadWithItsDefaults: a directory's files are read in
// order of name, each topic with its file's defaults where it says
// nothing, configs merged, and where it was declared.
func TestADeclarationIsReadWithItsDefaults(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	a := writeFile(t, dir, "a/news.yaml", `defaults:
  partitions: 3
  replication_factor: 1
  owner: newsroom
  configs:
    retention.ms: 604800000
topics:
  - name: news_updates
    description: Breaking news
  - name: news_archive
    partitions: 6
    configs:
      cleanup.policy: compact
      retention.ms: -1
`)
	writeFile(t, dir, "b.yml", "topics:\n  - name: sports\n    partitions: 1\n    replication_factor: 1\n    owner: sports\n")
	writeFile(t, dir, "notes.txt", "not a declaration")
	d, err := readDeclaration(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []declaration.Topic{
		{Name: "news_updates", Spec: topic.Spec{Partitions: 3, ReplicationFactor: 1, Configs: map[string]string{"retention.ms": "604800000"}},
			Details: topic.Details{Owner: "newsroom", Description: "Breaking news"}, Source: declaration.Source{File: a, Line: 8}},
		{Name: "news_archive", Spec: topic.Spec{Partitions: 6, ReplicationFactor: 1, Configs: map[string]string{"retention.ms": "-1", "cleanup.policy": "compact"}},
			Details: topic.Details{Owner: "newsroom"}, Source: declaration.Source{File: a, Line: 10}},
		{Name: "sports", Spec: topic.Spec{Partitions: 1, ReplicationFactor: 1}, Details: topic.Details{Owner: "sports"},
			Source: declaration.Source{File: filepath.Join(dir, "b.yml"), Line: 2}},
	}
	if len(d.Topics) != len(want) {
		t.Fatalf("read %+v", d.Topics)
	}
	for i, w := range want {
		got := d.Topics[i]
		if got.Name != w.Name || !got.Spec.Equal(w.Spec) || !got.Details.Equal(w.Details) || got.Source != w.Source {
			t.Errorf("topic %d: %+v, want %+v", i, got, w)
		}
	}
}

// TestMalformedDeclarationsSayFileAndLine: unknown keys, values of the
// wrong type and topics without what they need are refused, each with its
// file and line.
func TestMalformedDeclarationsSayFileAndLine(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, c := range []struct{ text, says string }{
		{"topics:\n  - name: a\n    partitons: 3\n", ":3: field partitons is not a topic key (want name, partitions, replication_factor, configs, owner, description)"},
		{"topics:\n  - name: a\n    partitions: many\n", ":3: cannot unmarshal !!str `many` into int32"},
		{"topics:\n  - name: a\n    partitions: 1\n    replication_factor: 1\n    configs:\n      cleanup.policy: [compact]\n", ":6: a config's value must be a single value"},
		{"topics:\n  - name: a\n    partitions: 2\n", ":2: topic a has no replication_factor, and the file's defaults give none"},
		{"defaults:\n  partitions: 1\n  replication_factor: 1\ntopics:\n  - partitions: 2\n", ":5: a topic without a name"},
		{"topic:\n  - name: a\n", ":1: field topic not found"},
		{"topics: [\n", "did not find expected node content"},
	} {
		p := writeFile(t, dir, "bad.yaml", c.text)
		_, err := readDeclaration(p)
		if err == nil || !strings.Contains(err.Error(), c.says) || !strings.Contains(err.Error(), p) {
			t.Errorf("%q: %v, want an error naming %s and saying %q", c.text, err, p, c.says)
		}
	}
}

// TestAnExportReadsBackAsItWas: what writeDeclaration writes is read back
// as the same topics.
func TestAnExportReadsBackAsItWas(t *testing.T) {
	t.Parallel()
	topics := []declaration.Topic{
		{Name: "a", Spec: topic.Spec{Partitions: 3, ReplicationFactor: 1, Configs: map[string]string{"retention.ms": "60000", "cleanup.policy": "compact"}},
			Details: topic.Details{Owner: "team", Description: "line one\nline two"}},
		{Name: "b", Spec: topic.Spec{Partitions: 1, ReplicationFactor: 1}, Details: topic.Details{Owner: "team"}},
	}
	var b bytes.Buffer
	if err := writeDeclaration(&b, topics); err != nil {
		t.Fatal(err)
	}
	p := writeFile(t, t.TempDir(), "export.yaml", b.String())
	d, err := readDeclaration(p)
	if err != nil {
		t.Fatalf("%v\n%s", err, b.String())
	}
	if !strings.Contains(b.String(), "defaults:\n  owner: team\n") || len(d.Topics) != 2 {
		t.Fatalf("wrote:\n%s", b.String())
	}
	for i, w := range topics {
		if got := d.Topics[i]; got.Name != w.Name || !got.Spec.Equal(w.Spec) || !got.Details.Equal(w.Details) {
			t.Errorf("read back %+v, want %+v\n%s", got, w, b.String())
		}
	}
}
