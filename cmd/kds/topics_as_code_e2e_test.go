package main_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

// planDoc is `kds plan -o json`.
type planDoc struct {
	Changes []struct {
		Topic  string   `json:"topic"`
		Action string   `json:"action"`
		Status string   `json:"status"`
		What   []string `json:"changes"`
		Reason string   `json:"reason"`
		Source string   `json:"source"`
	} `json:"changes"`
}

// appliedDoc is one change in `kds apply -o json`.
type appliedDoc struct {
	Topic   string `json:"topic"`
	Action  string `json:"action"`
	Outcome string `json:"outcome"`
	Error   string `json:"error"`
}

// plan runs kds plan -o json, wants exit code, and counts the changes by
// action.
func (d *devServer) plan(t *testing.T, code int, args ...string) (planDoc, map[string]int) {
	t.Helper()
	r := d.kds(t, append([]string{"plan", "-o", "json"}, args...)...)
	if r.Code != code {
		t.Fatalf("want exit %d\n%s", code, r)
	}
	var p planDoc
	if err := json.Unmarshal([]byte(r.Stdout), &p); err != nil {
		t.Fatalf("%v\n%s", err, r)
	}
	counts := map[string]int{}
	for _, c := range p.Changes {
		counts[c.Action]++
	}
	return p, counts
}

// apply runs kds apply -o json and fails the test unless it exits 0 with
// every change made.
func (d *devServer) apply(t *testing.T, args ...string) []appliedDoc {
	t.Helper()
	var out []appliedDoc
	decodeJSON(t, d.kds(t, append([]string{"apply", "-o", "json"}, args...)...), &out)
	for _, a := range out {
		if a.Error != "" || a.Outcome == "" {
			t.Errorf("%s: %s: outcome %q, error %q", a.Topic, a.Action, a.Outcome, a.Error)
		}
	}
	return out
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// declaredTopics is a declaration's topics list: one item per name, each
// with the extra YAML lines extra gives it.
func declaredTopics(names []string, extra func(name string) string) string {
	var b strings.Builder
	b.WriteString("topics:\n")
	for _, n := range names {
		fmt.Fprintf(&b, "  - name: %s\n", n)
		if extra != nil {
			b.WriteString(extra(n))
		}
	}
	return b.String()
}

// topicConfigs asks Kafka, through python3-kafka's admin client, for the
// configs set on each topic (not Kafka's defaults).
func topicConfigs(t *testing.T, brokers []string, names []string) map[string]map[string]string {
	t.Helper()
	python := requirePythonKafka(t)
	const script = `
import json, sys
from kafka.admin import KafkaAdminClient, ConfigResource, ConfigResourceType
admin = KafkaAdminClient(bootstrap_servers=sys.argv[1].split(","))
out = {}
for resp in admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, n) for n in sys.argv[2:]]):
    for r in resp.resources:
        # config_source 1 is DYNAMIC_TOPIC_CONFIG: set on the topic.
        out[r[3]] = {e[0]: e[1] for e in r[4] if e[3] == 1}
print(json.dumps(out))
`
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, python, append([]string{"-c", script, strings.Join(brokers, ",")}, names...)...).Output()
	if err != nil {
		var stderr []byte
		if exit, ok := err.(*exec.ExitError); ok {
			stderr = exit.Stderr
		}
		t.Fatalf("python3-kafka describe_configs: %v\n%s", err, stderr)
	}
	configs := map[string]map[string]string{}
	if err := json.Unmarshal(out, &configs); err != nil {
		t.Fatalf("python3-kafka describe_configs: %v\n%s", err, out)
	}
	return configs
}

// requirePythonKafka is Debian's python3 with python3-kafka, the second
// independent Kafka client the tests check Kafka with.
func requirePythonKafka(t *testing.T) string {
	t.Helper()
	const python = "/usr/bin/python3"
	if err := exec.Command(python, "-c", "import kafka").Run(); err != nil {
		msg := fmt.Sprintf("%s with python3-kafka is needed to read topic configs independently of kds (%v); apt-get install python3-kafka", python, err)
		if mysqlRequired() {
			t.Fatal(msg + " (KDS_TEST_REQUIRE_MYSQL=1)")
		}
		t.Skip("skipping: " + msg)
	}
	return python
}

// TestTopicsAsCode: a declaration of 200 topics in two files is planned
// and applied by an admin, then changed (partitions, configs, new topics,
// topics removed with --prune) and applied again; MySQL, kcat and
// python3-kafka each show the declared state, every change is in the
// topics' history, and an export plans as no change.
func TestTopicsAsCode(t *testing.T) {
	t.Parallel()
	kcat := requireKcat(t)
	d := startDev(t, devOptions{})
	db := openDB(t, d.DB)
	dir := t.TempDir()
	payments, search := numbered("payments", 1, 150), numbered("search", 1, 50)
	paymentsFile, searchFile := filepath.Join(dir, "payments.yaml"), filepath.Join(dir, "search.yaml")
	writeFile(t, paymentsFile, "defaults:\n  partitions: 2\n  replication_factor: 1\n  owner: payments\n  configs:\n    retention.ms: 86400000\n"+
		declaredTopics(payments, nil))
	writeFile(t, searchFile, "defaults: {partitions: 1, replication_factor: 1, owner: search}\n"+
		declaredTopics(search, func(name string) string {
			if strings.HasSuffix(name, "0") {
				return "    description: Search index changes\n    configs: {cleanup.policy: compact}\n"
			}
			return ""
		}))

	_, counts := d.plan(t, 3, "-f", dir)
	if counts["request"] != 200 || len(counts) != 1 {
		t.Fatalf("first plan: %v, want 200 requests", counts)
	}
	for _, a := range d.apply(t, "-f", dir, "--approve") {
		if !strings.Contains(a.Outcome, "active in Kafka") {
			t.Errorf("%s: %s", a.Topic, a.Outcome)
		}
	}
	if _, counts := d.plan(t, 0, "-f", dir); counts["none"] != 200 {
		t.Fatalf("plan after apply: %v, want 200 as declared", counts)
	}
	wantCount(t, db, 150, `SELECT COUNT(*) FROM topics WHERE status = 'active' AND owner = 'payments' AND partitions = 2
		AND JSON_UNQUOTE(JSON_EXTRACT(configs, '$."retention.ms"')) = '86400000'`)
	wantCount(t, db, 5, `SELECT COUNT(*) FROM topics WHERE status = 'active' AND owner = 'search'
		AND description = 'Search index changes' AND JSON_UNQUOTE(JSON_EXTRACT(configs, '$."cleanup.policy"')) = 'compact'`)
	inKafka, _ := kafkaTopics(t, kcat, d.KafkaAddrs)
	if got := userTopics(inKafka); len(got) != 200 {
		t.Fatalf("kcat sees %d topics, want 200", len(got))
	}
	for _, n := range payments {
		if p := len(inKafka[n].Partitions); p != 2 {
			t.Errorf("kcat: %s has %d partitions, want 2", n, p)
		}
	}

	// Grow ten topics, change the configs of ten more, drop five and add
	// five.
	grown, reconfigured, dropped, added := payments[:10], payments[10:20], payments[145:], numbered("payments_new", 1, 5)
	writeFile(t, paymentsFile, "defaults:\n  partitions: 2\n  replication_factor: 1\n  owner: payments\n  configs:\n    retention.ms: 86400000\n"+
		declaredTopics(append(slices.Clone(payments[:145]), added...), func(name string) string {
			switch {
			case slices.Contains(grown, name):
				return "    partitions: 4\n"
			case slices.Contains(reconfigured, name):
				return "    configs:\n      retention.ms: 3600000\n      max.message.bytes: 2097152\n"
			}
			return ""
		}))
	if _, counts := d.plan(t, 3, "-f", dir); counts["update"] != 20 || counts["request"] != 5 || counts["deactivate"] != 0 {
		t.Fatalf("plan of the change without --prune: %v, want 20 updates, 5 requests and nothing ended", counts)
	}
	p, counts := d.plan(t, 3, "-f", dir, "--prune")
	if counts["update"] != 20 || counts["request"] != 5 || counts["deactivate"] != 5 || counts["none"] != 175 {
		t.Fatalf("plan of the change with --prune: %v", counts)
	}
	for _, c := range p.Changes {
		if c.Topic == grown[0] && !slices.Contains(c.What, "partitions 2 → 4") {
			t.Errorf("plan says of %s: %v, want partitions 2 → 4", c.Topic, c.What)
		}
	}
	// Pruning deletes data: without --yes and without a terminal, it asks
	// for --yes and changes nothing.
	wantFailure(t, d.kds(t, "apply", "-f", dir, "--prune", "--approve"), 2, "--yes")
	d.apply(t, "-f", dir, "--prune", "--approve", "--yes")
	d.plan(t, 0, "-f", dir, "--prune")

	wantCount(t, db, 10, `SELECT COUNT(*) FROM topics WHERE status = 'active' AND partitions = 4`)
	wantCount(t, db, 5, `SELECT COUNT(*) FROM topics WHERE status = 'deleted' AND owner = 'payments'`)
	wantCount(t, db, 20, `SELECT COUNT(*) FROM transitions WHERE action = 'update' AND reason = ?`, "kds apply -f "+dir)
	wantCount(t, db, 200, `SELECT COUNT(*) FROM topics WHERE status = 'active'`)
	inKafka, _ = kafkaTopics(t, kcat, d.KafkaAddrs)
	for _, n := range grown {
		if p := len(inKafka[n].Partitions); p != 4 {
			t.Errorf("kcat: %s has %d partitions, want 4", n, p)
		}
	}
	for _, n := range dropped {
		if _, ok := inKafka[n]; ok {
			t.Errorf("kcat: pruned %s is still in Kafka", n)
		}
	}
	for _, n := range added {
		if _, ok := inKafka[n]; !ok {
			t.Errorf("kcat: new %s is not in Kafka", n)
		}
	}
	configs := topicConfigs(t, d.KafkaAddrs, append(slices.Clone(reconfigured), grown[0]))
	for _, n := range reconfigured {
		if c := configs[n]; c["retention.ms"] != "3600000" || c["max.message.bytes"] != "2097152" {
			t.Errorf("python3-kafka: %s has configs %v, want retention.ms=3600000 max.message.bytes=2097152", n, c)
		}
	}
	if c := configs[grown[0]]; len(c) != 1 || c["retention.ms"] != "86400000" {
		t.Errorf("python3-kafka: %s has configs %v, want only retention.ms=86400000", grown[0], c)
	}

	// An export is a declaration of what is there.
	exported := filepath.Join(t.TempDir(), "exported.yaml")
	writeFile(t, exported, d.mustKds(t, "export").Stdout)
	if _, counts := d.plan(t, 0, "-f", exported, "--prune"); counts["none"] != 200 || len(counts) != 1 {
		t.Fatalf("plan of the export: %v, want 200 as declared", counts)
	}
	writeFile(t, exported, d.mustKds(t, "export", "--owner", "search").Stdout)
	if _, counts := d.plan(t, 0, "-f", exported, "--prune"); counts["none"] != 50 || len(counts) != 1 {
		t.Fatalf("plan of one owner's export: %v, want its 50 topics as declared", counts)
	}
}

// TestConcurrentAppliesMakeEachChangeOnce: three applies of one
// declaration at once all succeed, and each topic is requested, approved,
// updated and deactivated once.
func TestConcurrentAppliesMakeEachChangeOnce(t *testing.T) {
	t.Parallel()
	d := startDev(t, devOptions{})
	db := openDB(t, d.DB)
	file := filepath.Join(t.TempDir(), "topics.yaml")
	names := numbered("orders", 1, 40)
	defaults := "defaults: {partitions: 1, replication_factor: 1, owner: shop}\n"
	applyAll := func() {
		t.Helper()
		var wg sync.WaitGroup
		results := make([]cliResult, 3)
		for i := range results {
			wg.Add(1)
			go func() {
				defer wg.Done()
				results[i] = d.kds(t, "apply", "-f", file, "--approve", "--prune", "--yes", "-o", "json")
			}()
		}
		wg.Wait()
		for _, r := range results {
			var out []appliedDoc
			decodeJSON(t, r, &out)
			for _, a := range out {
				if a.Error != "" {
					t.Errorf("%s: %s: %s", a.Topic, a.Action, a.Error)
				}
			}
		}
	}

	writeFile(t, file, defaults+declaredTopics(names, nil))
	applyAll()
	for _, action := range []string{"request", "approve", "activate"} {
		wantCount(t, db, 40, `SELECT COUNT(*) FROM transitions WHERE action = ?`, action)
	}
	wantCount(t, db, 40, `SELECT COUNT(*) FROM topics WHERE status = 'active'`)

	writeFile(t, file, defaults+declaredTopics(names[:35], func(string) string { return "    partitions: 3\n" }))
	applyAll()
	wantCount(t, db, 35, `SELECT COUNT(*) FROM transitions WHERE action = 'update'`)
	wantCount(t, db, 5, `SELECT COUNT(*) FROM transitions WHERE action = 'deactivate'`)
	wantCount(t, db, 35, `SELECT COUNT(*) FROM topics WHERE status = 'active' AND partitions = 3`)
	d.plan(t, 0, "-f", file, "--prune")
}

// TestDeclarationsKdsCannotApplyAreRefused: malformed files are refused
// with file, line and reason, and changes Kafka cannot make with the
// reason; either way nothing is applied.
func TestDeclarationsKdsCannotApplyAreRefused(t *testing.T) {
	t.Parallel()
	d := startDev(t, devOptions{})
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	writeFile(t, good, "topics:\n  - {name: ledger, partitions: 3, replication_factor: 1}\n")
	d.apply(t, "-f", good, "--approve")
	d.request(t, "waiting", "-p", "1", "-r", "1")

	malformed := []struct {
		name, content string
		want          []string
	}{
		{"unknown-key.yaml", "topics:\n  - name: a\n    partitons: 3\n", []string{"unknown-key.yaml:3: field partitons is not a topic key"}},
		{"wrong-type.yaml", "topics:\n  - name: a\n    partitions: many\n    replication_factor: 1\n", []string{"wrong-type.yaml:3:", "many"}},
		{"bad-name.yaml", "topics:\n  - name: \"no spaces\"\n    partitions: 1\n    replication_factor: 1\n", []string{"bad-name.yaml:2:", "no spaces"}},
		{"no-partitions.yaml", "topics:\n  - name: a\n", []string{"no-partitions.yaml:2: topic a has no partitions and no replication_factor"}},
		{"zero-partitions.yaml", "topics:\n  - {name: a, partitions: 0, replication_factor: 1}\n", []string{"zero-partitions.yaml:2:"}},
		{"unknown-config.yaml", "topics:\n  - name: a\n    partitions: 1\n    replication_factor: 1\n    configs: {retention.msec: 1000}\n",
			[]string{"unknown-config.yaml:2: topic a", "retention.msec is not a Kafka topic config (did you mean retention.ms?)"}},
		{"bad-config-value.yaml", "topics:\n  - name: a\n    partitions: 1\n    replication_factor: 1\n    configs: {cleanup.policy: sometimes}\n",
			[]string{"bad-config-value.yaml:2: topic a", "cleanup.policy"}},
		{"not-yaml.yaml", "topics: [\n", []string{"not-yaml.yaml:"}},
	}
	for _, m := range malformed {
		path := filepath.Join(t.TempDir(), m.name)
		writeFile(t, path, m.content)
		wantFailure(t, d.kds(t, "plan", "-f", path), 1, m.want...)
		wantFailure(t, d.kds(t, "apply", "-f", path, "--approve"), 1, m.want...)
	}
	// The same name in two files of a directory.
	twice := t.TempDir()
	writeFile(t, filepath.Join(twice, "a.yaml"), "topics:\n  - {name: dup, partitions: 1, replication_factor: 1}\n")
	writeFile(t, filepath.Join(twice, "b.yaml"), "topics:\n  - {name: other, partitions: 1, replication_factor: 1}\n  - {name: dup, partitions: 1, replication_factor: 1}\n")
	wantFailure(t, d.kds(t, "plan", "-f", twice), 1, "b.yaml:3: topic dup is declared again (first at "+filepath.Join(twice, "a.yaml")+":2)")
	wantFailure(t, d.kds(t, "plan"), 2, "-f PATH is required")

	// Changes Kafka cannot make, and a pending topic declared otherwise,
	// are refused with why; a new topic in the same file is not
	// requested.
	impossible := filepath.Join(dir, "impossible.yaml")
	writeFile(t, impossible, "topics:\n  - {name: ledger, partitions: 2, replication_factor: 1}\n  - {name: waiting, partitions: 2, replication_factor: 1}\n  - {name: newcomer, partitions: 1, replication_factor: 1}\n")
	p, counts := d.plan(t, 1, "-f", impossible)
	if counts["refused"] != 2 || counts["request"] != 1 {
		t.Fatalf("plan: %v, want 2 refused and 1 request", counts)
	}
	for _, c := range p.Changes {
		if c.Topic == "ledger" && !strings.Contains(c.Reason, "Kafka cannot take partitions away") {
			t.Errorf("ledger refused for %q", c.Reason)
		}
		if c.Topic == "waiting" && !strings.Contains(c.Reason, "pending as requested before") {
			t.Errorf("waiting refused for %q", c.Reason)
		}
	}
	wantFailure(t, d.kds(t, "apply", "-f", impossible, "--approve"), 1, "2 change(s) cannot be made, so none was applied")
	writeFile(t, impossible, "topics:\n  - {name: ledger, partitions: 3, replication_factor: 3}\n")
	wantFailure(t, d.kds(t, "apply", "-f", impossible), 1, "cannot be made")
	if st := d.statuses(t); st["newcomer"] != "" || len(st) != 2 {
		t.Errorf("after refused applies kds has %v, want ledger and waiting only", st)
	}
	if got := d.show(t, "ledger"); got.Partitions != 3 || got.ReplicationFactor != 1 {
		t.Errorf("ledger is now %d partitions, replication factor %d; want it unchanged", got.Partitions, got.ReplicationFactor)
	}
	// A viewer may plan, not apply.
	reader := d.createToken(t, "reader", "viewer")
	if r := d.kdsAs(t, reader, "plan", "-f", good); r.Code != 0 {
		t.Errorf("a reader cannot plan:\n%s", r)
	}
	writeFile(t, good, "topics:\n  - {name: ledger, partitions: 6, replication_factor: 1}\n")
	if r := d.kdsAs(t, reader, "apply", "-f", good); r.Code != 1 || !strings.Contains(r.Stdout, `viewer "reader" may not approve, reject, update or deactivate topics`) {
		t.Errorf("a reader's apply is not refused:\n%s", r)
	}
}

// wantCount fails the test unless query counts want.
func wantCount(t *testing.T, db *sql.DB, want int, query string, args ...any) {
	t.Helper()
	if got := mustCount(t, db, query, args...); got != want {
		t.Errorf("%s: %d, want %d", strings.Join(strings.Fields(query), " "), got, want)
	}
}
