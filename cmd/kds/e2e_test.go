package main_test

// End-to-end tests: TestMain builds the kds binary once; each test starts
// its own `kds dev` on its own database and ports and drives it through the
// CLI as a user would. Kafka is checked with kcat, a client that shares no
// code with kds.

import (
	"cmp"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kds-io/kds/adapters/mysql/mysqltest"
)

func TestTopicLifecycleAcrossGenerations(t *testing.T) {
	t.Parallel()
	kcat := requireKcat(t)
	d := startDev(t, devOptions{})

	r := d.mustKds(t, "topic", "request", "orders", "-p", "3", "-c", "retention.ms=86400000", "--reason", "order events")
	wantLines(t, r, "orders: requested, pending approval (3 partitions, replication factor 1, retention.ms=86400000)")
	want := topicDoc{Name: "orders", Status: "pending", Generation: 1, Partitions: 3, ReplicationFactor: 1,
		Configs: map[string]string{"retention.ms": "86400000"}, RequestedBy: "admin"}
	if got := d.show(t, "orders"); !reflect.DeepEqual(got, want) {
		t.Fatalf("after the request:\n got %+v\nwant %+v", got, want)
	}

	r = d.mustKds(t, "topic", "approve", "orders")
	wantLines(t, r, "orders: approved", "orders: active in Kafka (3 partitions, replication factor 1)")
	if got := d.show(t, "orders"); got.Status != "active" || got.Generation != 1 || got.Error != "" {
		t.Fatalf("after approval: %+v", got)
	}
	eventually(t, "orders in Kafka with 3 partitions", func() (bool, string) {
		topics, _ := kafkaTopics(t, kcat, d.KafkaAddrs)
		return len(topics["orders"].Partitions) == 3, fmt.Sprint(topics)
	})

	r = d.mustKds(t, "topic", "deactivate", "orders", "--yes", "--reason", "replaced by orders.v2")
	wantLines(t, r, "orders: deactivated", "orders: deleted from Kafka")
	if got := d.show(t, "orders"); got.Status != "deleted" || got.Generation != 1 {
		t.Fatalf("after deactivation: %+v", got)
	}
	eventually(t, "orders gone from Kafka", func() (bool, string) {
		topics, _ := kafkaTopics(t, kcat, d.KafkaAddrs)
		_, ok := topics["orders"]
		return !ok, fmt.Sprint(topics)
	})

	var requested []commandDoc
	decodeJSON(t, d.kds(t, "topic", "request", "orders", "-p", "2", "-o", "json"), &requested)
	if len(requested) != 1 {
		t.Fatalf("second request printed %d outcomes, want 1", len(requested))
	}
	again := requested[0]
	if again.Type != "RequestTopic" || again.Status != "applied" || again.CommandID == "" {
		t.Fatalf("second request: %+v", again)
	}
	if got := d.show(t, "orders"); got.Status != "pending" || got.Generation != 2 || got.Partitions != 2 || len(got.Configs) != 0 {
		t.Fatalf("after the second request: %+v", got)
	}

	type step struct {
		generation                      int
		action, from, to, actor, reason string
	}
	wantSteps := []step{
		{1, "request", "", "pending", "admin", "order events"},
		{1, "approve", "pending", "approved", "admin", ""},
		{1, "activate", "approved", "active", "topic-manager", ""},
		{1, "deactivate", "active", "inactive", "admin", "replaced by orders.v2"},
		{1, "delete", "inactive", "deleted", "topic-manager", ""},
		{2, "request", "deleted", "pending", "admin", ""},
	}
	h := d.history(t, "orders")
	gotSteps := make([]step, len(h))
	ids := map[string]bool{}
	for i, tr := range h {
		gotSteps[i] = step{tr.Generation, tr.Action, tr.From, tr.To, tr.Actor, tr.Reason}
		if tr.Topic != "orders" || tr.CommandID == "" || ids[tr.CommandID] {
			t.Errorf("transition %d: topic %q, command id %q (empty or repeated)", i, tr.Topic, tr.CommandID)
		}
		ids[tr.CommandID] = true
	}
	if !reflect.DeepEqual(gotSteps, wantSteps) {
		t.Fatalf("history:\n got %+v\nwant %+v", gotSteps, wantSteps)
	}
	if last := h[len(h)-1]; last.CommandID != again.CommandID {
		t.Fatalf("the second request's transition has command %s, the CLI printed %s", last.CommandID, again.CommandID)
	}
}

func TestRejectedTopicCannotBeApproved(t *testing.T) {
	t.Parallel()
	d := startDev(t, devOptions{})
	d.request(t, "dupes")

	r := d.mustKds(t, "topic", "reject", "dupes", "--reason", "duplicate of orders")
	wantLines(t, r, "dupes: rejected")

	wantFailure(t, d.kds(t, "topic", "approve", "dupes"), 1, `dupes: cannot approve topic "dupes": it is already rejected`)
	if got := d.show(t, "dupes"); got.Status != "rejected" {
		t.Fatalf("after the refused approval: %+v", got)
	}
	h := d.history(t, "dupes")
	if len(h) != 2 {
		t.Fatalf("history has %d transitions, want request and reject: %+v", len(h), h)
	}
	if rej := h[1]; rej.Action != "reject" || rej.To != "rejected" || rej.Reason != "duplicate of orders" || rej.Actor != "admin" {
		t.Fatalf("reject transition: %+v", rej)
	}
}

func TestBadInputIsRefusedAndChangesNothing(t *testing.T) {
	t.Parallel()
	kcat := requireKcat(t)
	d := startDev(t, devOptions{})
	d.request(t, "a.b")

	unreachable := "http://127.0.0.1:" + strconv.Itoa(closedPort(t))
	notKds := httptest.NewServer(http.NotFoundHandler())
	defer notKds.Close()
	tests := []struct {
		name  string
		token string // the admin's when empty
		url   string // the dev server's when empty
		args  []string
		code  int
		want  string
	}{
		{name: "space in name", args: []string{"topic", "request", "bad name"}, code: 1,
			want: `invalid topic name "bad name": character ' ' at position 4 is not allowed`},
		{name: "kds prefix", args: []string{"topic", "request", "kds.x"}, code: 1,
			want: `invalid topic name "kds.x": names starting with "kds." are reserved`},
		{name: "underscores prefix", args: []string{"topic", "request", "__x"}, code: 1,
			want: `names starting with "__" are reserved`},
		{name: "250 characters", args: []string{"topic", "request", strings.Repeat("n", 250)}, code: 1,
			want: "it is 250 characters long, Kafka allows at most 249"},
		{name: "dot underscore collision", args: []string{"topic", "request", "a_b"}, code: 1,
			want: `topic "a_b" collides with existing topic "a.b"`},
		{name: "dot underscore collision, dry run", args: []string{"topic", "request", "a_b", "--dry-run"}, code: 1,
			want: `topic "a_b" collides with existing topic "a.b"`},
		{name: "more replicas than brokers", args: []string{"topic", "request", "replicated", "-r", "3"}, code: 1,
			want: "replication factor 3 is more than the 1 broker(s) in the cluster"},
		{name: "too many partitions", args: []string{"topic", "request", "wide", "-p", "5000"}, code: 1,
			want: "partitions must be at most 1000, got 5000"},
		{name: "zero partitions", args: []string{"topic", "request", "none", "-p", "0"}, code: 2,
			want: "--partitions must be at least 1, got 0"},
		{name: "negative replication factor", args: []string{"topic", "request", "none", "-r", "-1"}, code: 2,
			want: "--replication-factor must be at least 1, got -1"},
		{name: "negative linger", args: []string{"send", "a.b", "--linger", "-1s"}, code: 2,
			want: "--linger must be at least 0s, got -1s"},
		{name: "reject without a reason", args: []string{"topic", "reject", "a.b"}, code: 2,
			want: "--reason: a reason is required to reject: the requester is told why"},
		{name: "reject with a blank reason", args: []string{"topic", "reject", "a.b", "--reason", " "}, code: 2,
			want: "--reason: a reason is required to reject: the requester is told why"},
		{name: "not the kds API", url: notKds.URL, args: []string{"topic", "list"}, code: 1,
			want: "GET /api/v1/topics: the server at " + notKds.URL + " answered 404 Not Found, not as the kds API answers (is KDS_API_URL right?)"},
		{name: "consume without an id", args: []string{"consume", "--topics", "a.b"}, code: 2,
			want: "--id is required: the consumer's id"},
		{name: "bad config value", args: []string{"topic", "request", "cfg", "-c", "retention.ms=abc"}, code: 1,
			want: `config retention.ms="abc": want a whole number`},
		{name: "config without value", args: []string{"topic", "request", "cfg", "-c", "retention.ms"}, code: 2,
			want: `--topic-config "retention.ms": want key=value`},
		{name: "approve unknown topic", args: []string{"topic", "approve", "nosuch"}, code: 1,
			want: `topic "nosuch" not found`},
		{name: "wrong token", token: "kds_000000000000_not-a-real-token", args: []string{"topic", "request", "sneaky"}, code: 1,
			want: "missing or invalid API token"},
		{name: "unreachable API", url: unreachable, args: []string{"topic", "request", "lost"}, code: 1,
			want: "cannot reach the kds API at " + unreachable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			token, url := cmp.Or(tt.token, d.AdminToken), cmp.Or(tt.url, d.APIURL)
			r := runKds(t, d.workDir, []string{"KDS_API_URL=" + url, "KDS_TOKEN=" + token}, "", tt.args...)
			wantFailure(t, r, tt.code, tt.want)
			if r.Stdout != "" {
				t.Errorf("a refused command printed to stdout\n%s", r)
			}
		})
	}

	if got, want := d.statuses(t), map[string]string{"a.b": "pending"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("topics after the refusals: %v, want %v", got, want)
	}
	if topics, _ := kafkaTopics(t, kcat, d.KafkaAddrs); len(userTopics(topics)) != 0 {
		t.Fatalf("Kafka has user topics after the refusals: %v", userTopics(topics))
	}
}

func TestTokensAndRoles(t *testing.T) {
	t.Parallel()
	d := startDev(t, devOptions{})

	var producer tokenDoc
	decodeJSON(t, d.kds(t, "token", "create", "alice", "--role", "producer", "-o", "json"), &producer)
	if producer.Role != "producer" || producer.Name != "alice" || producer.ID == "" || producer.Token == "" {
		t.Fatalf("producer token: %+v", producer)
	}
	r := d.mustKds(t, "token", "create", "vic", "--role", "viewer")
	m := regexp.MustCompile(`(?m)^created viewer token (\S+) for "vic"; this is the only time it is shown:\n(\S+)\n`).FindStringSubmatch(r.Stdout)
	if m == nil {
		t.Fatalf("cannot read the viewer token\n%s", r)
	}
	viewerID, viewer := m[1], m[2]

	// A producer requests, and is recorded as the requester, but may not decide.
	if r := d.kdsAs(t, producer.Token, "topic", "request", "clicks"); r.Code != 0 {
		t.Fatalf("producer request: %s", r)
	}
	if got := d.show(t, "clicks"); got.Status != "pending" || got.RequestedBy != "alice" {
		t.Fatalf("the producer's topic: %+v", got)
	}
	wantFailure(t, d.kdsAs(t, producer.Token, "topic", "approve", "clicks"), 1, `producer "alice" may not approve, reject, update or deactivate topics (admins only)`)
	wantFailure(t, d.kdsAs(t, producer.Token, "token", "list"), 1, "admins only")

	// A viewer reads, and nothing more.
	var seen []topicDoc
	decodeJSON(t, d.kdsAs(t, viewer, "topic", "list", "-o", "json"), &seen)
	if len(seen) != 1 || seen[0].Name != "clicks" {
		t.Fatalf("the viewer sees %+v", seen)
	}
	wantFailure(t, d.kdsAs(t, viewer, "topic", "request", "views"), 1, `viewer "vic" may not request topics`)
	wantFailure(t, d.kdsAs(t, viewer, "token", "create", "mallory", "--role", "admin"), 1, "admins only")
	if got, want := d.statuses(t), map[string]string{"clicks": "pending"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("topics: %v, want %v", got, want)
	}

	// Revocation takes effect at once.
	wantLines(t, d.mustKds(t, "token", "revoke", producer.ID), "revoked token "+producer.ID)
	wantFailure(t, d.kdsAs(t, producer.Token, "topic", "list"), 1, "missing or invalid API token")
	if r := d.kdsAs(t, viewer, "topic", "list"); r.Code != 0 {
		t.Fatalf("revoking one token affected another: %s", r)
	}
	var tokens []tokenDoc
	decodeJSON(t, d.kds(t, "token", "list", "-o", "json"), &tokens)
	revoked := map[string]bool{}
	for _, tok := range tokens {
		if tok.Token != "" {
			t.Errorf("token list shows the secret of %s", tok.ID)
		}
		revoked[tok.ID] = tok.RevokedAt != nil
	}
	// The bootstrap admin token this kds dev was given is listed too, and
	// only the configuration can take it away.
	if want := map[string]bool{"bootstrap": false, producer.ID: true, viewerID: false}; !reflect.DeepEqual(revoked, want) {
		t.Fatalf("token list: revoked %v, want %v", revoked, want)
	}
	if !regexp.MustCompile(`(?m)^bootstrap\s+admin\s+admin\s.*active \(bootstrap admin token, from the server's configuration\)$`).MatchString(d.mustKds(t, "token", "list").Stdout) {
		t.Errorf("token list does not show the bootstrap admin token in use:\n%s", d.mustKds(t, "token", "list").Stdout)
	}
	wantFailure(t, d.kds(t, "token", "revoke", "bootstrap"), 1, "the bootstrap admin token is set in the server's configuration")
}

// TestRequestAndDecisionsPrintOneJSONShape: -o json of topic request and of
// approve is the same: a list of outcomes, one per topic, each with the
// command's fields, the topic's state once the command took effect, and
// "command" as approve printed it before.
func TestRequestAndDecisionsPrintOneJSONShape(t *testing.T) {
	t.Parallel()
	d := startDev(t, devOptions{})
	type outcomeDoc struct {
		commandDoc
		State   *topicDoc   `json:"state"`
		Command *commandDoc `json:"command"`
	}
	var requested, approved []outcomeDoc
	decodeJSON(t, d.kds(t, "topic", "request", "shaped", "-o", "json"), &requested)
	decodeJSON(t, d.kds(t, "topic", "approve", "shaped", "-o", "json"), &approved)
	if len(requested) != 1 || requested[0].Type != "RequestTopic" || requested[0].Status != "applied" || requested[0].Topic != "shaped" ||
		requested[0].Command == nil || requested[0].Command.CommandID != requested[0].CommandID {
		t.Fatalf("request -o json: %+v, want one outcome of the applied RequestTopic", requested)
	}
	if len(approved) != 1 || approved[0].Type != "ApproveTopic" || approved[0].Status != "applied" || approved[0].Topic != "shaped" ||
		approved[0].Command == nil || approved[0].Command.Status != "applied" || approved[0].State == nil || approved[0].State.Status != "active" {
		t.Fatalf("approve -o json: %+v, want one outcome of the applied ApproveTopic, the topic active", approved)
	}
}

func TestDryRunAndNoWait(t *testing.T) {
	t.Parallel()
	kcat := requireKcat(t)
	d := startDev(t, devOptions{})

	r := d.mustKds(t, "topic", "request", "trial", "-p", "2", "-c", "retention.ms=60000", "--dry-run")
	wantLines(t, r, "trial: valid request (2 partitions, replication factor 1, retention.ms=60000); nothing was created")
	// A dry run asks the broker too.
	wantFailure(t, d.kds(t, "topic", "request", "trial", "-r", "3", "--dry-run"), 1, "more than the 1 broker(s)")
	wantFailure(t, d.kds(t, "topic", "show", "trial"), 1, `topic "trial" not found`)
	if got := d.statuses(t); len(got) != 0 {
		t.Fatalf("topics after dry runs: %v", got)
	}
	if topics, _ := kafkaTopics(t, kcat, d.KafkaAddrs); len(userTopics(topics)) != 0 {
		t.Fatalf("Kafka has user topics after dry runs: %v", userTopics(topics))
	}

	var queuedList []commandDoc
	decodeJSON(t, d.kds(t, "topic", "request", "later", "--no-wait", "-o", "json"), &queuedList)
	if len(queuedList) != 1 {
		t.Fatalf("request --no-wait printed %d outcomes, want 1", len(queuedList))
	}
	queued := queuedList[0]
	if queued.Status != "queued" || queued.Type != "RequestTopic" || queued.Topic != "later" || queued.CommandID == "" {
		t.Fatalf("--no-wait returned %+v, want the queued command", queued)
	}
	eventually(t, "later pending", func() (bool, string) {
		r := d.kds(t, "topic", "show", "later")
		return r.Code == 0 && strings.Contains(r.Stdout, "status:             pending"), r.String()
	})

	r = d.mustKds(t, "topic", "approve", "later", "--no-wait")
	if !regexp.MustCompile(`^later: approve queued \(command [0-9a-f-]{36}\)\n$`).MatchString(r.Stdout) {
		t.Fatalf("approve --no-wait:\n%s", r)
	}
	eventually(t, "later active in kds and in Kafka", func() (bool, string) {
		got := d.show(t, "later")
		topics, _ := kafkaTopics(t, kcat, d.KafkaAddrs)
		_, inKafka := topics["later"]
		return got.Status == "active" && inKafka, fmt.Sprintf("%+v; Kafka: %v", got, topics)
	})
}

func TestDeactivateNeedsYesOffTerminal(t *testing.T) {
	t.Parallel()
	kcat := requireKcat(t)
	d := startDev(t, devOptions{})
	d.request(t, "keep")
	d.mustKds(t, "topic", "approve", "keep")
	before := d.history(t, "keep")

	// No stdin (/dev/null), and an answer piped in: neither is a terminal.
	for _, stdin := range []string{"", "yes\n"} {
		r := d.kdsWithInput(t, stdin, "topic", "deactivate", "keep")
		wantFailure(t, r, 2, "pass --yes to confirm when not on a terminal")
	}

	if got := d.show(t, "keep"); got.Status != "active" {
		t.Fatalf("after the refused deactivations: %+v", got)
	}
	if after := d.history(t, "keep"); !reflect.DeepEqual(after, before) {
		t.Fatalf("history changed:\nbefore %+v\nafter  %+v", before, after)
	}
	if topics, _ := kafkaTopics(t, kcat, d.KafkaAddrs); len(topics["keep"].Partitions) == 0 {
		t.Fatalf("keep is no longer in Kafka: %v", topics)
	}
}

func TestAdminMenuFromStdin(t *testing.T) {
	t.Parallel()
	d := startDev(t, devOptions{})
	for _, name := range []string{"t1", "t2", "t3", "t4"} {
		d.request(t, name)
	}

	answers := strings.Join([]string{
		"1",          // pending topics
		"2", "t1 t2", // approve two at once
		"3", "t4", "", // reject without a reason: refused
		"3", "t3", "not needed", // reject with a reason
		"4", "t2", "no", // deactivate, not confirmed
		"4", "t1", "yes", "end of life", // deactivate, confirmed, with a reason
		"4", "t4 nope", // deactivate what is not active: refused before any question
		"5", // all topics
		"7", // exit
	}, "\n") + "\n"
	r := d.kdsWithInput(t, answers, "admin")
	if r.Code != 0 {
		t.Fatalf("want exit 0\n%s", r)
	}
	for _, want := range []string{
		"t1: approved", "t2: approved",
		"t1: active in Kafka (3 partitions, replication factor 1)", "t2: active in Kafka (3 partitions, replication factor 1)",
		"t3: rejected",
		"Nothing changed: a reason is required to reject: the requester is told why.",
		"Not confirmed; nothing changed.",
		"t1: deactivated", "t1: deleted from Kafka",
		`t4: topic "t4" is pending, not active: nothing to deactivate`, `nope: topic "nope" not found`,
	} {
		if !strings.Contains(r.Stdout, want) {
			t.Errorf("the menu did not say %q", want)
		}
	}
	// Option 1 lists the four pending topics; option 5 lists every topic
	// in its final state.
	for _, row := range []string{`t4\s+pending`, `t1\s+deleted`, `t2\s+active`, `t3\s+rejected`} {
		if !regexp.MustCompile(`(?m)^` + row + `\s`).MatchString(r.Stdout) {
			t.Errorf("no row %q in the menu's listings", row)
		}
	}
	if t.Failed() {
		t.Fatalf("menu output:\n%s", r)
	}

	want := map[string]string{"t1": "deleted", "t2": "active", "t3": "rejected", "t4": "pending"}
	if got := d.statuses(t); !reflect.DeepEqual(got, want) {
		t.Fatalf("after the menu: %v, want %v", got, want)
	}
	if h := d.history(t, "t3"); h[len(h)-1].Reason != "not needed" {
		t.Fatalf("t3's rejection: %+v", h[len(h)-1])
	}
	if h := d.history(t, "t1"); !slices.ContainsFunc(h, func(tr transitionDoc) bool {
		return tr.Action == "deactivate" && tr.Reason == "end of life"
	}) {
		t.Fatalf("t1's deactivation has no reason: %+v", h)
	}
}

func TestReplicasAcrossBrokers(t *testing.T) {
	t.Parallel()
	kcat := requireKcat(t)
	d := startDev(t, devOptions{brokers: 3})

	d.request(t, "replicated", "-p", "2", "-r", "3")
	wantLines(t, d.mustKds(t, "topic", "approve", "replicated"), "replicated: active in Kafka (2 partitions, replication factor 3)")
	d.request(t, "paired", "-p", "4", "-r", "2")
	wantLines(t, d.mustKds(t, "topic", "approve", "paired"), "paired: active in Kafka (4 partitions, replication factor 2)")
	// More replicas than brokers is refused when asked, and nothing is kept.
	wantFailure(t, d.kds(t, "topic", "request", "crowded", "-r", "4"), 1, "replication factor 4 is more than the 3 broker(s) in the cluster")
	wantFailure(t, d.kds(t, "topic", "show", "crowded"), 1, `topic "crowded" not found`)

	want := map[string]struct{ partitions, replicas int }{"replicated": {2, 3}, "paired": {4, 2}}
	eventually(t, "replicated and paired in Kafka, each partition on distinct brokers", func() (bool, string) {
		topics, brokers := kafkaTopics(t, kcat, d.KafkaAddrs)
		ok := brokers == 3 && len(userTopics(topics)) == len(want)
		for name, w := range want {
			tp := topics[name]
			ok = ok && len(tp.Partitions) == w.partitions
			for _, replicas := range tp.Partitions {
				distinct := slices.Compact(slices.Sorted(slices.Values(replicas)))
				ok = ok && len(replicas) == w.replicas && len(distinct) == w.replicas
			}
		}
		return ok, fmt.Sprintf("%d brokers, replicated: %v, paired: %v, user topics %v", brokers, topics["replicated"].Partitions, topics["paired"].Partitions, userTopics(topics))
	})
}

func TestUnreachableMySQLIsReportedWithoutThePassword(t *testing.T) {
	t.Parallel()
	const password = "e2e-Secret-pw-4711"
	server := mysqltest.ServerConfig()
	closed := closedPort(t)
	tests := []struct {
		name string
		host string
		port int
		user string
		args []string
	}{
		{"dev, closed port", "127.0.0.1", closed, "root", []string{"dev", "--kafka-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0"}},
		{"serve, closed port", "127.0.0.1", closed, "root", []string{"serve"}},
		{"migrate, closed port", "127.0.0.1", closed, "root", []string{"migrate"}},
		// Refused by a server that answers (or, without one, unreachable).
		{"dev, wrong password", server.Host, server.Port, "kds_e2e_nobody", []string{"dev", "--kafka-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			start := time.Now()
			r := runKds(t, t.TempDir(), []string{
				"KDS_MYSQL_HOST=" + tt.host, "KDS_MYSQL_PORT=" + strconv.Itoa(tt.port), "KDS_MYSQL_USER=" + tt.user,
				"KDS_MYSQL_PASSWORD=" + password, "KDS_MYSQL_DATABASE=kds_e2e_unused", "KDS_SERVER_HTTP_ADDR=127.0.0.1:0",
				"KDS_SECURITY_MESSAGE_KEYS=" + newMessageKeys(),
			}, "", tt.args...)
			if elapsed := time.Since(start); elapsed > 10*time.Second {
				t.Errorf("took %v to give up, want under 10s", elapsed)
			}
			wantFailure(t, r, 1, fmt.Sprintf("cannot reach MySQL at %s:%d", tt.host, tt.port))
			if strings.Contains(r.Stdout+r.Stderr, password) {
				t.Errorf("the output shows the password\n%s", r)
			}
		})
	}
}

// TestServeWithoutMessageKeysRefusesToStart: kds serve signs and verifies
// every command and event, so it will not run without a key, and says so
// before it connects to anything.
func TestServeWithoutMessageKeysRefusesToStart(t *testing.T) {
	t.Parallel()
	closed := strconv.Itoa(closedPort(t))
	r := runKds(t, t.TempDir(), []string{"KDS_MYSQL_PORT=" + closed, "KDS_KAFKA_BROKERS=127.0.0.1:" + closed}, "", "serve")
	wantFailure(t, r, 1, "security.message_keys is empty", "KDS_SECURITY_MESSAGE_KEYS=ID:SECRET")
	if strings.Contains(r.Stderr, "MySQL") || strings.Contains(r.Stderr, "Kafka at") {
		t.Errorf("kds serve tried to connect before it said what is missing\n%s", r)
	}
}

func TestDevStopsGracefullyOnSignal(t *testing.T) {
	t.Parallel()
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			t.Parallel()
			d := startDev(t, devOptions{})
			d.request(t, "busy")
			d.mustKds(t, "topic", "approve", "busy")

			if err := d.cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			select {
			case <-d.exited:
			case <-time.After(shutdownTimeout):
				t.Fatalf("kds dev still runs %v after %v", shutdownTimeout, sig)
			}
			if d.waitErr != nil {
				t.Fatalf("kds dev ended with %v after %v, want exit 0", d.waitErr, sig)
			}
			wantFailure(t, d.kds(t, "topic", "list"), 1, "cannot reach the kds API")
		})
	}
}

func TestUsageErrorsExitTwo(t *testing.T) {
	t.Parallel()
	env := []string{"KDS_API_URL=http://127.0.0.1:" + strconv.Itoa(closedPort(t)), "KDS_TOKEN=unused"}
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"topic", "request"}, "accepts 1 arg(s), received 0"},
		{[]string{"topic", "approve"}, "requires at least 1 arg(s), only received 0"},
		{[]string{"topic", "list", "extra"}, `unknown command "extra" for "kds topic list"`},
		{[]string{"topic", "aprove", "orders"}, `unknown command "aprove" for "kds topic"`},
		{[]string{"tpoic", "list"}, `unknown command "tpoic" for "kds"`},
		{[]string{"topic", "request", "orders", "-p", "many"}, `invalid argument "many"`},
		{[]string{"topic", "list", "-o", "yaml"}, "--output must be table or json"},
		{[]string{"topic", "list", "--status", "sleeping"}, "sleeping"},
		{[]string{"token", "create", "bob", "--role", "root"}, `unknown role "root"`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			t.Parallel()
			wantFailure(t, runKds(t, t.TempDir(), env, "", tt.args...), 2, tt.want)
		})
	}
	t.Run("no token", func(t *testing.T) {
		t.Parallel()
		r := runKds(t, t.TempDir(), env[:1], "", "topic", "list")
		wantFailure(t, r, 2, "no API token: set KDS_TOKEN")
	})
}
