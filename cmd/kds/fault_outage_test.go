package main_test

// Fault tests that take kds serve's dependencies away and give them back:
// the Kafka broker process stopped and started again on the same port and
// data, and MySQL cut off by a proxy. kds serve keeps running through
// both, says what is missing, and recovers by itself.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kds-io/kds/adapters/httpapi/apiv1"
	"github.com/kds-io/kds/adapters/kafka/kafkatest"
	"github.com/kds-io/kds/app/command"
	"github.com/kds-io/kds/app/query"
	"github.com/kds-io/kds/app/topic"
)

// readiness is GET /readyz: its status and its checks.
func readiness(t *testing.T, url string) (int, apiv1.Readiness) {
	t.Helper()
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Get(url + "/readyz")
	if err != nil {
		t.Fatalf("GET %s/readyz: %v", url, err)
	}
	defer resp.Body.Close()
	var rd apiv1.Readiness
	if err := json.NewDecoder(resp.Body).Decode(&rd); err != nil {
		t.Fatalf("GET /readyz: %v", err)
	}
	return resp.StatusCode, rd
}

// TestKafkaOutageQueuesCommandsUntilTheBrokerIsBack stops the broker
// process while kds serve runs: the API still accepts commands, which wait
// in the outbox, and /readyz says Kafka is the problem. Once the broker is
// back on the same port with the same data, everything completes without
// kds serve being restarted, and what Kafka held before is still there.
func TestKafkaOutageQueuesCommandsUntilTheBrokerIsBack(t *testing.T) {
	t.Parallel()
	kcat := requireKcat(t)
	broker, kafkaAddr := startBroker(t, t.TempDir())
	brokers := []string{kafkaAddr}
	cfg := newServeConfig(t, kafkaAddr)
	serve := newServe(t, "kds serve", cfg)
	serve.mustStart(t)
	cli := cliFor(t, serve.URL, cfg.token, kafkaAddr)
	client := apiClient(t, serve.URL, cfg.token)
	admin := kafkatest.Admin(t, kafkatest.Config(kafkaAddr))
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()

	// Before the outage: an active topic with content, topics waiting for
	// approval and active topics to deactivate.
	cli.activeTopic(t, "kept", 2)
	content := numbered("kept", 1, 5)
	kcatWrite(t, kcat, brokers, "kept", content)
	before := kcatRead(t, kcat, brokers, "kept")
	toApprove, toDeactivate, toRequest := topicNames("approve", 10), topicNames("deactivate", 5), topicNames("request", 10)
	var d commandDriver
	if err := d.issue(ctx, client, requests(append(slices.Clone(toApprove), toDeactivate...), func(int) int32 { return 2 })...); err != nil {
		t.Fatal(err)
	}
	if err := waitStatuses(ctx, client, statusOf(topic.Pending, toApprove, toDeactivate)); err != nil {
		t.Fatal(err)
	}
	if err := d.issue(ctx, client, decisions(command.ApproveTopicType, toDeactivate)...); err != nil {
		t.Fatal(err)
	}
	if err := waitStatuses(ctx, client, statusOf(topic.Active, toDeactivate)); err != nil {
		t.Fatal(err)
	}

	// What the lifecycle has committed, once it has committed everything.
	var committed map[int32][3]int64
	eventually(t, "the lifecycle's offsets committed", func() (bool, string) {
		var err error
		committed, err = groupOffsets(ctx, admin, "kds-lifecycle", topic.CommandsTopic)
		for _, o := range committed {
			if o[0] != o[2] {
				return false, fmt.Sprint(committed)
			}
		}
		return err == nil, fmt.Sprint(committed, err)
	})

	stopTook := broker.terminate(t)
	stoppedAt := time.Now()
	var rd apiv1.Readiness
	eventually(t, "/readyz to say Kafka is unreachable", func() (bool, string) {
		code, r := readiness(t, serve.URL)
		rd = r
		return code == http.StatusServiceUnavailable && r.Checks["kafka"] != "ok", fmt.Sprintf("%d %+v", code, r)
	})
	if !strings.Contains(rd.Checks["kafka"], "Kafka at "+kafkaAddr) || rd.Checks["mysql"] != "ok" {
		t.Errorf("/readyz while Kafka is down: %+v, want the kafka check to name Kafka at %s and mysql ok", rd, kafkaAddr)
	}
	noticed := time.Since(stoppedAt)

	// The API accepts commands while Kafka is down; they wait.
	start := time.Now()
	decided, err := client.Batch(ctx, apiv1.BatchRequest{Commands: append(decisions(command.ApproveTopicType, toApprove), decisions(command.DeactivateTopicType, toDeactivate)...)})
	if err != nil {
		t.Fatalf("decisions while Kafka is down: %v", err)
	}
	decideTook := time.Since(start)
	start = time.Now()
	requested, err := client.Batch(ctx, apiv1.BatchRequest{Commands: requests(toRequest, func(int) int32 { return 1 })})
	if err != nil {
		t.Fatalf("requests while Kafka is down: %v", err)
	}
	requestTook := time.Since(start)
	r := cli.mustKds(t, "topic", "request", "by-cli", "--no-wait")
	if !regexp.MustCompile(`^by-cli: request queued \(command [0-9a-f-]{36}\)\n$`).MatchString(r.Stdout) {
		t.Fatalf("kds topic request --no-wait while Kafka is down:\n%s", r)
	}
	queued := len(decided) + len(requested) + 1
	// A while later, nothing has moved and every command still waits.
	time.Sleep(2 * time.Second)
	waiting, err := client.Commands(ctx, query.CommandFilter{Status: command.Queued})
	if err != nil || len(waiting) != queued {
		t.Fatalf("%d commands queued while Kafka is down (%v), want %d", len(waiting), err, queued)
	}
	if err := waitStatuses(ctx, client, statusOf(topic.Pending, toApprove)); err != nil {
		t.Fatal(err)
	}

	startTook := broker.mustStart(t)
	restartedAt := time.Now()
	// The broker kept the lifecycle's committed offsets: it goes on where
	// it stopped instead of reading kds.commands from the start.
	after, err := groupOffsets(ctx, admin, "kds-lifecycle", topic.CommandsTopic)
	if err != nil {
		t.Fatal(err)
	}
	for p, o := range committed {
		if after[p][0] < o[0] || after[p][2] < o[2] {
			t.Errorf("kds.commands/%d after the broker's restart: committed %d, end %d; before: committed %d, end %d", p, after[p][0], after[p][2], o[0], o[2])
		}
	}
	want := statusOf(topic.Active, toApprove)
	for n, st := range statusOf(topic.Deleted, toDeactivate) {
		want[n] = st
	}
	for n, st := range statusOf(topic.Pending, toRequest, []string{"by-cli"}) {
		want[n] = st
	}
	if err := waitStatuses(ctx, client, want); err != nil {
		t.Fatal(err)
	}
	eventually(t, "no command still queued", func() (bool, string) {
		waiting, err := client.Commands(ctx, query.CommandFilter{Status: command.Queued})
		return err == nil && len(waiting) == 0, fmt.Sprintf("%d queued, %v", len(waiting), err)
	})
	recovered := time.Since(restartedAt)
	eventually(t, "/readyz ready again", func() (bool, string) {
		code, r := readiness(t, serve.URL)
		return code == http.StatusOK, fmt.Sprintf("%d %+v", code, r)
	})
	readyAgain := time.Since(restartedAt)

	active := map[string]int{"kept": 2}
	for _, n := range toApprove {
		active[n] = 2
	}
	checkKafkaAgrees(t, kcat, brokers, active, toDeactivate)
	// The broker kept its data: kept's records are where they were.
	records := kcatRead(t, kcat, brokers, "kept")
	type rec struct {
		Partition int32
		Offset    int64
		Payload   string
	}
	key := func(rs []kcatRecord) []rec {
		var out []rec
		for _, r := range rs {
			out = append(out, rec{r.Partition, r.Offset, *r.Payload})
		}
		slices.SortFunc(out, func(a, b rec) int { return strings.Compare(a.Payload, b.Payload) })
		return out
	}
	if got, want := key(records), key(before); !slices.Equal(got, want) || len(got) != len(content) {
		t.Errorf("kept's records after the broker's restart:\n got %v\nwant %v", got, want)
	}
	if serve.starts() != 1 || !serve.running() {
		t.Errorf("kds serve was started %d times and runs: %v; want one run throughout", serve.starts(), serve.running())
	}
	t.Logf("broker stopped in %v; /readyz said so %v later: %q", stopTook.Round(time.Millisecond), noticed.Round(time.Millisecond), rd.Checks["kafka"])
	t.Logf("while Kafka was down the API queued %d decisions in %v and %d requests in %v (each request checks with the broker)",
		len(decided), decideTook.Round(time.Millisecond), len(requested), requestTook.Round(time.Millisecond))
	t.Logf("broker back in %v; every command done %v later, /readyz ready %v later", startTook.Round(time.Millisecond),
		recovered.Round(time.Millisecond), readyAgain.Round(time.Millisecond))
}

// rawCall is an HTTP request to the API and what it answered.
type rawCall struct {
	status int
	body   string
	took   time.Duration
}

// call sends a request with token (none when empty) and body (none when
// empty).
func call(t *testing.T, method, url, token, body string) rawCall {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	start := time.Now()
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return rawCall{status: resp.StatusCode, body: string(b), took: time.Since(start)}
}

// TestMySQLOutageIsReportedAndRecoveredFrom cuts kds serve off from MySQL
// with a proxy that closes every connection and refuses new ones. The API
// answers 503 with a JSON reason, /readyz names MySQL, kds serve keeps
// running and keeps trying, and content keeps flowing, since it goes
// straight to Kafka. Once MySQL is reachable again, everything works
// again without a restart.
func TestMySQLOutageIsReportedAndRecoveredFrom(t *testing.T) {
	t.Parallel()
	_, kafkaAddr := startBroker(t, "")
	cfg := newServeConfig(t, kafkaAddr)
	proxy := startProxy(t, cfg.db.Addr())
	cfg.mysqlAddr = proxy.Addr
	serve := newServe(t, "kds serve", cfg)
	serve.mustStart(t)
	cli := cliFor(t, serve.URL, cfg.token, kafkaAddr)
	cli.activeTopic(t, "feed", 2)
	viewer := cli.createToken(t, "vic", "viewer")

	consumer := cli.start(t, "consume", "--id", "watcher", "--topics", "feed", "-o", "json")
	cli.waitAttached(t, "watcher", consumer.pid(), "feed")
	sender := cli.stream(t, "feed", 20*time.Millisecond)
	consumer.waitMessages(t, "feed", []string{"feed-1"})

	proxy.cut()
	cutAt := time.Now()
	sentBefore := sender.begun()
	tests := []struct {
		name, method, path, token, body string
	}{
		{"list topics as the bootstrap admin", "GET", "/api/v1/topics", cfg.token, ""},
		{"list topics with a stored token", "GET", "/api/v1/topics", viewer, ""},
		{"request a topic", "POST", "/api/v1/topics", cfg.token, `{"name":"during-outage"}`},
		{"approve a topic", "POST", "/api/v1/topics/feed/approve", cfg.token, ""},
	}
	for _, tt := range tests {
		c := call(t, tt.method, serve.URL+tt.path, tt.token, tt.body)
		var eb apiv1.ErrorBody
		if c.status != http.StatusServiceUnavailable || json.Unmarshal([]byte(c.body), &eb) != nil ||
			!strings.HasPrefix(eb.Error, "service unavailable: ") || !strings.Contains(eb.Error, "MySQL") {
			t.Errorf("%s while MySQL is down: %d %s, want 503 with a JSON error that says MySQL is unavailable", tt.name, c.status, c.body)
		}
		if c.took > 6*time.Second {
			t.Errorf("%s while MySQL is down took %v to answer", tt.name, c.took)
		}
		t.Logf("%s: %d in %v: %s", tt.name, c.status, c.took.Round(time.Millisecond), strings.TrimSpace(c.body))
	}
	code, rd := readiness(t, serve.URL)
	if code != http.StatusServiceUnavailable || !strings.Contains(rd.Checks["mysql"], "cannot reach MySQL at "+proxy.Addr) ||
		strings.Count(rd.Checks["mysql"], "cannot reach") != 1 || rd.Checks["kafka"] != "ok" {
		t.Errorf("/readyz while MySQL is down: %d %+v, want 503 naming MySQL at %s", code, rd, proxy.Addr)
	}

	// Content goes straight to Kafka: what is sent during the outage
	// arrives. A new kds send asks the API whether the topic is active
	// first, and says it cannot.
	consumer.waitMessages(t, "feed", numbered("feed", sentBefore+1, sentBefore+25))
	wantFailure(t, cli.kds(t, "send", "feed", "one more"), 1, "service unavailable", "MySQL")
	// kds serve keeps running and keeps trying to read the outbox, once a second.
	eventually(t, "kds serve to try the outbox again and again", func() (bool, string) {
		n := strings.Count(serve.stderr(), "Cannot read the outbox")
		return n >= 3, fmt.Sprintf("%d attempts", n)
	})
	if !serve.running() {
		t.Fatal("kds serve stopped while MySQL was down")
	}
	outage := time.Since(cutAt)

	if err := proxy.restore(); err != nil {
		t.Fatal(err)
	}
	restoredAt := time.Now()
	eventually(t, "/readyz ready again", func() (bool, string) {
		code, rd := readiness(t, serve.URL)
		return code == http.StatusOK, fmt.Sprintf("%d %+v", code, rd)
	})
	readyAgain := time.Since(restoredAt)
	cli.request(t, "after")
	wantLines(t, cli.mustKds(t, "topic", "approve", "after"), "after: active in Kafka (3 partitions, replication factor 1)")
	recovered := time.Since(restoredAt)

	n := sender.finish(t)
	msgs := consumer.waitMessages(t, "feed", numbered("feed", 1, n))
	wantExactly(t, "kds consume", msgs, "feed", numbered("feed", 1, n))
	consumer.interrupt(t)
	if serve.starts() != 1 || !serve.running() {
		t.Errorf("kds serve was started %d times and runs: %v; want one run throughout", serve.starts(), serve.running())
	}
	t.Logf("MySQL was cut off for %v; %d outbox read attempts failed; %d messages flowed, %d of them during the outage",
		outage.Round(time.Millisecond), strings.Count(serve.stderr(), "Cannot read the outbox"), n, n-sentBefore)
	t.Logf("after MySQL came back: /readyz ready in %v, a new topic requested and active in %v",
		readyAgain.Round(time.Millisecond), recovered.Round(time.Millisecond))
}
