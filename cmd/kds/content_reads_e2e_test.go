package main_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kds-io/kds/adapters/httpapi/apiclient"
)

// liveStream is a topic's live messages as one token follows them.
type liveStream struct {
	code int
	// refusal is the body of an answer other than 200.
	refusal string
	lines   *bufio.Scanner
}

// openMessages opens a topic's live messages as token, until the test
// ends or commandTimeout passes.
func (d *devServer) openMessages(t *testing.T, token, topic string) *liveStream {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, d.APIURL+"/api/v1/topics/"+topic+"/messages", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	s := &liveStream{code: resp.StatusCode, lines: bufio.NewScanner(resp.Body)}
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(resp.Body)
		s.refusal = string(body)
	}
	return s
}

// next is the stream's next event and its data.
func (s *liveStream) next() (event, data string) {
	for s.lines.Scan() {
		line := s.lines.Text()
		switch {
		case strings.HasPrefix(line, "event: "):
			event = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			data = strings.TrimPrefix(line, "data: ")
		case line == "" && event != "":
			return event, data
		}
	}
	return "", fmt.Sprintf("the stream ended: %v", s.lines.Err())
}

// TestContentReadsFollowTheGrants: with kds dev --kafka-sasl, the API
// reads a topic's messages (kds topic read, the dashboard's live
// messages) only for those kds lets use the topic in Kafka, and for
// admins; the others are told how to get access, and get it that way.
func TestContentReadsFollowTheGrants(t *testing.T) {
	t.Parallel()
	d := startDev(t, devOptions{args: []string{"--kafka-sasl", "SCRAM-SHA-512"}, env: []string{"KDS_KAFKA_SASL_MECHANISM=SCRAM-SHA-512",
		"KDS_KAFKA_SASL_USERNAME=kds", "KDS_KAFKA_SASL_PASSWORD=" + aclPassword}})
	alice := d.createToken(t, "alice", "producer")
	dave := d.createToken(t, "dave", "consumer")
	carol := d.createToken(t, "carol", "consumer")
	vic := d.createToken(t, "vic", "viewer")
	root := d.createToken(t, "root", "admin")
	if r := d.kdsAs(t, alice, "topic", "request", "orders", "-p", "1", "--consumer", "dave"); r.Code != 0 {
		t.Fatalf("request\n%s", r)
	}
	d.mustKds(t, "topic", "approve", "orders")
	if r := d.kdsAs(t, alice, "send", "orders", "hello orders"); r.Code != 0 {
		t.Fatalf("alice sends\n%s", r)
	}

	reads := func(who, token string) {
		t.Helper()
		if r := d.kdsAs(t, token, "topic", "read", "orders", "--offset", "0:0"); r.Code != 0 || !strings.Contains(r.Stdout, "hello orders") {
			t.Errorf("%s may read orders through kds topic read\n%s", who, r)
		}
		s := d.openMessages(t, token, "orders")
		if first, data := s.next(); s.code != http.StatusOK || first != "ready" {
			t.Errorf("%s may follow orders' live messages: %d %s %s", who, s.code, first, data)
		}
	}
	refused := func(who, token string) {
		t.Helper()
		wantFailure(t, d.kdsAs(t, token, "topic", "read", "orders", "--offset", "0:0"), 1,
			`may not read the messages of topic "orders"`, "kds consume --id ID --topics orders", "kds topic update orders --consumer ID")
		s := d.openMessages(t, token, "orders")
		if s.code != http.StatusForbidden || !strings.Contains(s.refusal, `may not read the messages of topic \"orders\"`) || !strings.Contains(s.refusal, "kds topic update orders --consumer ID") {
			t.Errorf("%s follows orders' live messages: %d %s", who, s.code, s.refusal)
		}
	}
	reads("dave, a named consumer", dave)
	reads("root, an admin", root)
	reads("the bootstrap admin token", d.AdminToken)
	reads("alice, the owner", alice)
	refused("vic, a viewer", vic)
	refused("carol, a consumer neither named nor subscribed", carol)

	// The dashboard says so in the panels a viewer would read orders in.
	page := openDashboard(t, d, 1280, 900)
	page.signIn(vic)
	page.selectTopic("active", "orders")
	// The details may re-render as they load, moving their buttons: press
	// each where it is when pressed.
	eval[bool](page.browser, `document.getElementById("watch").click(), true`)
	page.waitFor("the live view refused", `(s => s.dataset.state === "ended" && s.textContent.includes('"vic" may not read the messages of topic "orders"'))(document.getElementById("live-status"))`)
	eval[bool](page.browser, `document.getElementById("browse-topic-button").click(), true`)
	page.waitFor("the browser refused", `(s => s.dataset.state === "error" && s.textContent.includes("kds topic update orders --consumer ID"))(document.getElementById("browse-status"))`)
	page.screenshot("content-read-refused")

	// What the refusal says, done: carol subscribes, and reads.
	carolAPI, _ := apiclient.New(d.APIURL, carol)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := carolAPI.Subscribe(ctx, "carol", "orders", true); err != nil {
		t.Fatal(err)
	}
	reads("carol, subscribed", carol)
	// Unsubscribing ends what carol follows, saying why.
	following := d.openMessages(t, carol, "orders")
	if ev, data := following.next(); ev != "ready" {
		t.Fatalf("carol follows orders: %d %s %s", following.code, ev, data)
	}
	if err := carolAPI.Unsubscribe(ctx, "carol", "orders"); err != nil {
		t.Fatal(err)
	}
	if ev, data := following.next(); ev != "end" || !strings.Contains(data, `may not read the messages of topic \"orders\"`) {
		t.Errorf("carol's live messages after unsubscribing: %s %s", ev, data)
	}
	refused("carol, unsubscribed", carol)
}

// TestTheReadCheckCosts times refused pages, interleaved: one refused by
// the grants (the topic read, then the access state) and one refused as
// not active before the check, so the difference is the check's cost.
// KDS_READ_CHECK_ROUNDS runs more rounds (docs/BENCHMARKS.md); the times
// are logged, never asserted.
func TestTheReadCheckCosts(t *testing.T) {
	t.Parallel()
	rounds := roundsFromEnv("KDS_READ_CHECK_ROUNDS", 20)
	d := startDev(t, devOptions{args: []string{"--kafka-sasl", "SCRAM-SHA-512"}})
	alice := d.createToken(t, "alice", "producer")
	carol := d.createToken(t, "carol", "consumer")
	for i := range 5 {
		name := fmt.Sprintf("granted_%d", i)
		if r := d.kdsAs(t, alice, "topic", "request", name, "-p", "1", "--consumer", "dave"); r.Code != 0 {
			t.Fatalf("request\n%s", r)
		}
		d.mustKds(t, "topic", "approve", name)
	}
	if r := d.kdsAs(t, alice, "topic", "request", "waiting", "-p", "1"); r.Code != 0 {
		t.Fatalf("request\n%s", r)
	}
	page := func(topic string, want int) time.Duration {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, d.APIURL+"/api/v1/topics/"+topic+"/records", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+carol)
		start := time.Now()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		took := time.Since(start)
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Fatalf("carol reads %s: %d, want %d", topic, resp.StatusCode, want)
		}
		return took
	}
	var checked, unchecked []time.Duration
	for range rounds {
		checked = append(checked, page("granted_0", http.StatusForbidden))
		unchecked = append(unchecked, page("waiting", http.StatusConflict))
	}
	slices.Sort(checked)
	slices.Sort(unchecked)
	t.Logf("%d pages each: refused by the grants p50 %v (%v-%v); refused before the check p50 %v (%v-%v)", rounds,
		checked[rounds/2], checked[0], checked[rounds-1], unchecked[rounds/2], unchecked[0], unchecked[rounds-1])
}

// roundsFromEnv is the whole number the environment variable name sets
// above 0, or def: how many rounds a measuring test runs.
func roundsFromEnv(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}
