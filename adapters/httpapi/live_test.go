package httpapi_test

// Tests of the dashboard's content: the live messages of a topic over
// Server-Sent Events, read from a real Kafka-protocol broker (kfake) with
// one shared read per topic and a bounded rate per stream; the message
// rates on the event stream and in /metrics; and the counts consumer
// processes report.

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/kds-io/kds/adapters/httpapi"
	"github.com/kds-io/kds/adapters/httpapi/apiv1"
	"github.com/kds-io/kds/adapters/kafka"
	"github.com/kds-io/kds/adapters/kafka/kafkatest"
	"github.com/kds-io/kds/adapters/mysql"
	"github.com/kds-io/kds/app/auth"
	"github.com/kds-io/kds/app/command"
	"github.com/kds-io/kds/app/content"
	"github.com/kds-io/kds/app/topic"
)

// contentAPI is a web API that reads content, and kds.poison, from an
// embedded Kafka.
type contentAPI struct {
	*webAPI
	kafka kafka.Config
}

func newContentAPI(t *testing.T, opts ...httpapi.Option) *contentAPI {
	t.Helper()
	_, kc := kafkatest.Start(t)
	kafkatest.CreateTopics(t, kc, 1, topic.PoisonTopic)
	keys, err := kafka.ParseMessageKeys([]string{"test:" + base64.StdEncoding.EncodeToString(make([]byte, kafka.MinMessageKeyBytes))})
	if err != nil {
		t.Fatal(err)
	}
	signer, err := kafka.NewSigner(keys, mysql.KeyMetadata)
	if err != nil {
		t.Fatal(err)
	}
	a := newAPI(t)
	a.app.Commands.Poison = command.NewPoison(kafka.NewPoisonQueue(kc, nil, signer))
	offsets, usage := kafka.NewOffsets(kc), kafka.NewUsage(kc)
	t.Cleanup(func() { offsets.Close(); usage.Close() })
	w := a.serve(t, append([]httpapi.Option{httpapi.WithContent(kafka.NewTail(kc, watermill.NopLogger{}), offsets), httpapi.WithMetrics(prometheus.NewRegistry()),
		httpapi.WithUsage(usage), httpapi.WithUsageInterval(200 * time.Millisecond), httpapi.WithBrowser(kafka.NewBrowser(kc))}, opts...)...)
	// Streams still open end before the test server waits for them.
	t.Cleanup(w.server.EndStreams)
	return &contentAPI{webAPI: w, kafka: kc}
}

// activeTopic makes a topic active in kds and creates it in Kafka, as the
// topic manager would.
func (c *contentAPI) activeTopic(t *testing.T, name string, partitions int32) {
	t.Helper()
	c.active(t, name)
	kafkatest.CreateTopics(t, c.kafka, partitions, name)
}

// produce writes values to a topic as kds send does, in batches.
func (c *contentAPI) produce(t *testing.T, name string, values ...string) {
	t.Helper()
	pub, err := kafka.NewBatchPublisher(c.kafka, "key")
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	const batch = 2000
	for len(values) > 0 {
		n := min(batch, len(values))
		msgs := make([]*message.Message, n)
		for i, v := range values[:n] {
			m := message.NewMessage(watermill.NewUUID(), []byte(v))
			m.Metadata.Set(content.ProducerHeader, "ada")
			m.Metadata.Set(content.SentAtHeader, time.Now().UTC().Format(time.RFC3339Nano))
			msgs[i] = m
		}
		if err := pub.Publish(name, msgs...); err != nil {
			t.Fatalf("produce to %s: %v", name, err)
		}
		values = values[n:]
	}
}

// openPath opens a Server-Sent Events stream at path.
func (w *webAPI) openPath(t *testing.T, ctx context.Context, path string, header map[string]string, cookies ...*http.Cookie) (*http.Response, <-chan sseFrame) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, w.url+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	for _, c := range cookies {
		req.AddCookie(c)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	frames := make(chan sseFrame, 16)
	go readFrames(resp.Body, frames)
	return resp, frames
}

// watch opens a topic's live messages as the admin and waits for "ready".
func (c *contentAPI) watch(t *testing.T, ctx context.Context, name string, cookies ...*http.Cookie) <-chan sseFrame {
	t.Helper()
	header := map[string]string{"Authorization": "Bearer " + bootstrapToken}
	if len(cookies) > 0 {
		header = nil
	}
	resp, frames := c.openPath(t, ctx, "/api/v1/topics/"+name+"/messages", header, cookies...)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("live messages of %s: %d %v", name, resp.StatusCode, resp.Header)
	}
	f := nextEvent(t, frames, "the ready event")
	var start apiv1.LiveStart
	if err := json.Unmarshal([]byte(f.data), &start); f.event != "ready" || err != nil || start.Topic != name || start.MaxPerSecond != 20 {
		t.Fatalf("first event %+v (%v), want ready for %s at 20 a second", f, err, name)
	}
	return frames
}

// liveMessage decodes a "message" event.
func liveMessage(t *testing.T, f sseFrame) apiv1.LiveMessage {
	t.Helper()
	var m apiv1.LiveMessage
	if f.event != "message" {
		t.Fatalf("frame %+v, want a message", f)
	}
	if err := json.Unmarshal([]byte(f.data), &m); err != nil {
		t.Fatalf("message data %q: %v", f.data, err)
	}
	return m
}

// TestLiveMessagesRefusals checks that the live view is refused, before
// any stream starts and with a JSON error that says why, to callers
// without a token and for topics that are not active; and that a server
// without Kafka says so.
func TestLiveMessagesRefusals(t *testing.T) {
	t.Parallel()
	c := newContentAPI(t)
	pending, gone := uniqueName("live-pending"), uniqueName("live-gone")
	c.pending(t, pending)
	c.active(t, gone)
	cmd, err := c.admin.Decide(context.Background(), gone, "deactivate", "test")
	if err != nil {
		t.Fatal(err)
	}
	c.apply(t, cmd)

	for _, tc := range []struct {
		name, path, token string
		status            int
		says              string
	}{
		{"no token", "/api/v1/topics/" + pending + "/messages", "", http.StatusUnauthorized, "token"},
		{"unknown topic", "/api/v1/topics/nowhere/messages", bootstrapToken, http.StatusNotFound, `"nowhere"`},
		{"pending topic", "/api/v1/topics/" + pending + "/messages", bootstrapToken, http.StatusConflict, "pending, not active"},
		{"deactivated topic", "/api/v1/topics/" + gone + "/messages", bootstrapToken, http.StatusConflict, "inactive, not active"},
	} {
		got := c.do(t, http.MethodGet, tc.path, tc.token, nil)
		if got.status != tc.status {
			t.Errorf("%s: %d %s, want %d", tc.name, got.status, got.body, tc.status)
			continue
		}
		if eb := got.errorBody(t); !strings.Contains(eb.Error, tc.says) {
			t.Errorf("%s: error %q does not say %q", tc.name, eb.Error, tc.says)
		}
	}

	// A viewer reads; the permission is ReadTopics.
	name := uniqueName("live-viewer")
	c.activeTopic(t, name, 1)
	viewer := c.token(t, "vic", auth.Viewer).Secret
	ctx, leave := context.WithCancel(context.Background())
	defer leave()
	resp, frames := c.openPath(t, ctx, "/api/v1/topics/"+name+"/messages", map[string]string{"Authorization": "Bearer " + viewer})
	if resp.StatusCode != http.StatusOK || nextEvent(t, frames, "ready").event != "ready" {
		t.Fatalf("a viewer's live view: %d", resp.StatusCode)
	}

	// Without Kafka the API says what is missing.
	plain := newWebAPI(t)
	plain.active(t, name)
	got := plain.do(t, http.MethodGet, "/api/v1/topics/"+name+"/messages", bootstrapToken, nil)
	if eb := got.errorBody(t); got.status != http.StatusServiceUnavailable || !strings.Contains(eb.Error, "without a Kafka configuration") {
		t.Errorf("without Kafka: %d %s", got.status, got.body)
	}
	if strings.Contains(c.log.String(), bootstrapToken) || strings.Contains(c.log.String(), viewer) {
		t.Error("the log holds a token")
	}
}

// TestLiveMessagesShareOneTail opens three streams on one topic (two with
// a token, one with the session cookie) and one on another: Kafka is read
// once per topic, every stream gets every message with its metadata and
// its value untouched, and the read stops when the last stream leaves.
func TestLiveMessagesShareOneTail(t *testing.T) {
	t.Parallel()
	c := newContentAPI(t)
	name, other := uniqueName("live-shared"), uniqueName("live-other")
	c.activeTopic(t, name, 3)
	c.activeTopic(t, other, 1)
	session, _ := c.signIn(t, bootstrapToken)

	var leaves []context.CancelFunc
	var streams []<-chan sseFrame
	for i := range 3 {
		ctx, leave := context.WithCancel(context.Background())
		defer leave()
		leaves = append(leaves, leave)
		if i == 2 {
			streams = append(streams, c.watch(t, ctx, name, session))
		} else {
			streams = append(streams, c.watch(t, ctx, name))
		}
	}
	otherCtx, leaveOther := context.WithCancel(context.Background())
	defer leaveOther()
	c.watch(t, otherCtx, other)
	if n := gauge(t, c.webAPI, "kds_dashboard_message_tails"); n != 2 {
		t.Errorf("kds_dashboard_message_tails = %v with 3 streams on one topic and 1 on another, want 2", n)
	}
	if n := gauge(t, c.webAPI, "kds_dashboard_message_streams"); n != 4 {
		t.Errorf("kds_dashboard_message_streams = %v, want 4", n)
	}

	markup := `<script>alert(1)</script><img src=x onerror=alert(2)> "quoted" & more`
	c.produce(t, name, markup)
	for i, frames := range streams {
		m := liveMessage(t, nextEvent(t, frames, fmt.Sprintf("the message on stream %d", i)))
		if m.Topic != name || m.Value != markup || m.Producer != "ada" || m.SentAt.IsZero() || m.Offset != 0 || m.Size != len(markup) || m.Truncated {
			t.Errorf("stream %d got %+v, want the message as written, with its producer and send time", i, m)
		}
	}

	// A long value is cut, at a character boundary, and says so.
	long := strings.Repeat("é", 3000) // 6000 bytes
	c.produce(t, name, long)
	for i, frames := range streams {
		m := liveMessage(t, nextEvent(t, frames, "the long message"))
		if !m.Truncated || m.Size != len(long) || len(m.Value) > 4096 || !strings.HasPrefix(long, m.Value) || !strings.HasSuffix(m.Value, "é") {
			t.Errorf("stream %d: a %d-byte value came as %d bytes, truncated %v, size %d", i, len(long), len(m.Value), m.Truncated, m.Size)
		}
	}

	// Leaving: the tail stays while anyone watches, and stops after.
	leaves[0]()
	leaves[1]()
	waitGauge(t, c.webAPI, "kds_dashboard_message_streams", 2)
	if n := gauge(t, c.webAPI, "kds_dashboard_message_tails"); n != 2 {
		t.Errorf("kds_dashboard_message_tails = %v while one stream still follows each topic", n)
	}
	c.produce(t, name, "still here")
	if m := liveMessage(t, nextEvent(t, streams[2], "a message after the others left")); m.Value != "still here" {
		t.Errorf("the remaining stream got %q", m.Value)
	}
	leaves[2]()
	leaveOther()
	waitGauge(t, c.webAPI, "kds_dashboard_message_streams", 0)
	waitGauge(t, c.webAPI, "kds_dashboard_message_tails", 0)

	// A new watcher starts a new read, from the newest messages.
	ctx, leave := context.WithCancel(context.Background())
	defer leave()
	again := c.watch(t, ctx, name)
	c.produce(t, name, "after the restart")
	if m := liveMessage(t, nextEvent(t, again, "a message after the restart")); m.Value != "after the restart" {
		t.Errorf("after the restart the stream got %q, want only the newest message", m.Value)
	}
}

// TestLiveMessagesThrottleABurst writes 20,000 messages to a one-partition
// topic while a stream follows it: the stream sends at most 20 a second,
// in order, and counts every message it leaves out, so that what it sent
// and what it skipped add up to what was written.
func TestLiveMessagesThrottleABurst(t *testing.T) {
	t.Parallel()
	c := newContentAPI(t)
	name := uniqueName("live-burst")
	c.activeTopic(t, name, 1)
	ctx, leave := context.WithCancel(context.Background())
	defer leave()
	frames := c.watch(t, ctx, name)

	const n = 20000
	values := make([]string, n)
	for i := range values {
		values[i] = fmt.Sprintf("burst-%05d", i)
	}
	start := time.Now()
	c.produce(t, name, values...)
	t.Logf("%d messages written in %v", n, time.Since(start).Round(time.Millisecond))

	var (
		sent, skipped, skipEvents int64
		last                      int64 = -1
		pendingSkip               int64
	)
	deadline := time.After(60 * time.Second)
	for sent+skipped < n {
		var f sseFrame
		select {
		case f = <-frames:
		case <-deadline:
			t.Fatalf("after 60s: %d sent and %d skipped of %d", sent, skipped, n)
		}
		switch f.event {
		case "skipped":
			var s apiv1.LiveSkipped
			if err := json.Unmarshal([]byte(f.data), &s); err != nil || s.Skipped <= 0 {
				t.Fatalf("skipped event %q (%v)", f.data, err)
			}
			skipped += s.Skipped
			pendingSkip += s.Skipped
			skipEvents++
		case "message":
			m := liveMessage(t, f)
			// Skipped messages are exactly the ones between two sent.
			if gap := m.Offset - last - 1; gap != pendingSkip {
				t.Fatalf("message at offset %d after %d: %d skipped in between, the stream said %d", m.Offset, last, gap, pendingSkip)
			}
			if want := fmt.Sprintf("burst-%05d", m.Offset); m.Value != want {
				t.Fatalf("offset %d holds %q, want %q", m.Offset, m.Value, want)
			}
			last, pendingSkip = m.Offset, 0
			sent++
		case "":
		default:
			t.Fatalf("unexpected frame %+v", f)
		}
	}
	took := time.Since(start)
	t.Logf("the stream sent %d and skipped %d (in %d counts) over %v", sent, skipped, skipEvents, took.Round(time.Millisecond))
	if last != n-1 {
		t.Errorf("the last message sent is offset %d, want the newest, %d", last, n-1)
	}
	if limit := int64(20*took.Seconds()) + 5; sent > limit {
		t.Errorf("the stream sent %d messages in %v: more than 20 a second", sent, took)
	}
	if skipped < n/2 {
		t.Errorf("only %d of %d skipped: the burst was not throttled", skipped, n)
	}
}

// TestLiveMessagesEnd checks that a stream ends with an "end" event when
// its topic is deactivated, and that a client leaving ends its stream.
func TestLiveMessagesEnd(t *testing.T) {
	t.Parallel()
	c := newContentAPI(t, httpapi.WithStreamKeepAlive(50*time.Millisecond))
	name := uniqueName("live-end")
	c.activeTopic(t, name, 1)
	frames := c.watch(t, context.Background(), name)
	if f := nextFrame(t, frames, "a keep-alive"); f.comment != "keep-alive" {
		t.Fatalf("idle stream sent %+v, want a keep-alive", f)
	}
	c.events.Publish(topic.Event{Type: topic.TopicDeactivated, Topic: name, Actor: "ada", At: time.Now()})
	f := nextEvent(t, frames, "the end")
	var end apiv1.LiveEnd
	if err := json.Unmarshal([]byte(f.data), &end); f.event != "end" || err != nil || !strings.Contains(end.Reason, "deactivated by ada") {
		t.Fatalf("after the deactivation: %+v", f)
	}
	for range frames {
	}
	waitGauge(t, c.webAPI, "kds_dashboard_message_streams", 0)
	waitGauge(t, c.webAPI, "kds_dashboard_message_tails", 0)
}

// TestMessageRates follows the event stream while messages are written:
// "rates" events carry every active topic's total and messages per second,
// in full first and then only what changed; /metrics serves the totals.
func TestMessageRates(t *testing.T) {
	t.Parallel()
	c := newContentAPI(t, httpapi.WithRateInterval(200*time.Millisecond))
	busy, idle := uniqueName("rates-busy"), uniqueName("rates-idle")
	c.activeTopic(t, busy, 3)
	c.activeTopic(t, idle, 1)
	c.produce(t, idle, "one", "two")

	ctx, leave := context.WithCancel(context.Background())
	defer leave()
	resp, frames := c.openStream(t, ctx, map[string]string{"Authorization": "Bearer " + bootstrapToken})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("event stream: %d", resp.StatusCode)
	}
	nextRates := func(what string) apiv1.RatesEvent {
		t.Helper()
		for {
			f := nextEvent(t, frames, what)
			if f.event != "rates" {
				continue
			}
			var ev apiv1.RatesEvent
			if err := json.Unmarshal([]byte(f.data), &ev); err != nil {
				t.Fatalf("rates data %q: %v", f.data, err)
			}
			return ev
		}
	}
	first := nextRates("the first reading")
	totals := map[string]int64{}
	for _, tr := range first.Topics {
		totals[tr.Topic] = tr.Produced
	}
	if !first.Full || totals[busy] != 0 || totals[idle] != 2 || first.Interval != 0.2 {
		t.Fatalf("first reading %+v, want every active topic in full with its total", first)
	}

	values := make([]string, 3000)
	for i := range values {
		values[i] = fmt.Sprint(i)
	}
	c.produce(t, busy, values...)
	var peak float64
	for totals[busy] < 3000 {
		ev := nextRates("a reading after 3,000 messages")
		if ev.Full {
			t.Fatalf("a later reading came in full: %+v", ev)
		}
		for _, tr := range ev.Topics {
			if tr.Topic == idle {
				t.Errorf("the idle topic is listed as changed: %+v", tr)
			}
			totals[tr.Topic] = tr.Produced
			if tr.Topic == busy {
				peak = max(peak, tr.Rate)
			}
		}
	}
	if totals[busy] != 3000 || peak <= 0 {
		t.Errorf("busy topic total %d with peak %v/s, want 3000 and a rate", totals[busy], peak)
	}
	// A reading with nothing new lists nothing.
	if ev := nextRates("a quiet reading"); len(ev.Topics) != 0 || ev.Topics == nil {
		t.Errorf("a quiet reading lists %+v, want an empty list", ev.Topics)
	}

	scrape := c.scrape(t)
	for series, want := range map[string]float64{
		`kds_messages_produced_total{topic="` + busy + `"}`: 3000,
		`kds_messages_produced_total{topic="` + idle + `"}`: 2,
	} {
		if got, ok := metricValue(scrape, series); !ok || got != want {
			t.Errorf("/metrics: %s = %v (present %v), want %v", series, got, ok, want)
		}
	}

	// Once the last stream leaves, the sampler stops and /metrics reads
	// Kafka itself, once the sampler's last reading is too old to serve.
	leave()
	waitGauge(t, c.webAPI, "kds_dashboard_event_streams", 0)
	c.produce(t, idle, "three")
	deadline := time.Now().Add(5 * time.Second)
	for {
		scrape = c.scrape(t)
		got, _ := metricValue(scrape, `kds_messages_produced_total{topic="`+idle+`"}`)
		if got == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/metrics after the streams closed: %s total %v, want 3", idle, got)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestConsumerHeartbeatsCountConsumedMessages reports a consumer process's
// counts twice: /metrics counts what is new each time, refuses nonsense,
// and the consumer listing answers 304 while only heartbeat times change.
func TestConsumerHeartbeatsCountConsumedMessages(t *testing.T) {
	t.Parallel()
	c := newWebAPI(t)
	name := uniqueName("consumed")
	c.active(t, name)
	ctx := context.Background()
	if _, err := c.admin.Subscribe(ctx, "reader", name, false); err != nil {
		t.Fatal(err)
	}
	report := func(instance string, consumed map[string]int64) error {
		return c.admin.ReportInstance(ctx, "reader", instance, apiv1.InstanceReport{Host: "h", PID: 1, Attached: []string{name}, Consumed: consumed})
	}
	consumed := func() float64 {
		v, _ := metricValue(c.scrape(t), `kds_messages_consumed_total{topic="`+name+`"}`)
		return v
	}
	const one, two = "instance-one", "instance-two"
	if err := report(one, map[string]int64{name: 10}); err != nil {
		t.Fatal(err)
	}
	list := c.send(t, request{method: "GET", path: "/api/v1/consumers", header: map[string]string{"Authorization": "Bearer " + bootstrapToken}})
	etag := list.header.Get("ETag")
	if list.status != http.StatusOK || !strings.HasPrefix(etag, `W/"`) {
		t.Fatalf("consumers: %d ETag %q", list.status, etag)
	}
	if err := report(one, map[string]int64{name: 25}); err != nil {
		t.Fatal(err)
	}
	if err := report(two, map[string]int64{name: 5}); err != nil {
		t.Fatal(err)
	}
	if err := report(one, map[string]int64{name: 25}); err != nil {
		t.Fatal(err)
	}
	if got := consumed(); got != 30 {
		t.Errorf("kds_messages_consumed_total = %v after reports of 10, 25, 25 and 5, want 30", got)
	}
	if err := report(one, map[string]int64{"../bad": 1}); apiStatus(err) != http.StatusBadRequest {
		t.Errorf("a count for a bad topic name: %v, want 400", err)
	}
	if err := report(one, map[string]int64{name: -1}); apiStatus(err) != http.StatusBadRequest {
		t.Errorf("a negative count: %v, want 400", err)
	}

	// Only heartbeat times changed since the listing: 304. A second process
	// changed what the listing shows: 200 with another ETag.
	cond := func(tag string) answer {
		return c.send(t, request{method: "GET", path: "/api/v1/consumers", header: map[string]string{"Authorization": "Bearer " + bootstrapToken, "If-None-Match": tag}})
	}
	got := cond(etag)
	if got.status != http.StatusOK || got.header.Get("ETag") == etag {
		t.Fatalf("after a new process: %d ETag %q, want 200 and a new ETag", got.status, got.header.Get("ETag"))
	}
	etag = got.header.Get("ETag")
	if err := report(one, map[string]int64{name: 26}); err != nil {
		t.Fatal(err)
	}
	if got := cond(etag); got.status != http.StatusNotModified || len(got.body) != 0 {
		t.Errorf("after a heartbeat only: %d %s, want 304", got.status, got.body)
	}
	if err := c.admin.Unsubscribe(ctx, "reader", name); err != nil {
		t.Fatal(err)
	}
	if got := cond(etag); got.status != http.StatusOK {
		t.Errorf("after an unsubscribe: %d, want 200", got.status)
	}
}

// TestHeartbeatCountsAreBoundedAndMonotonic: a heartbeat cannot move
// kds_messages_consumed_total by more than a real consumer could since its
// previous one, a count no consumer could reach is refused, and a lower
// count than before takes nothing back.
func TestHeartbeatCountsAreBoundedAndMonotonic(t *testing.T) {
	t.Parallel()
	c := newWebAPI(t)
	name := uniqueName("bounded")
	c.active(t, name)
	ctx := context.Background()
	report := func(n int64) error {
		return c.admin.ReportInstance(ctx, "reader", "instance-big", apiv1.InstanceReport{Host: "h", PID: 1, Attached: []string{name}, Consumed: map[string]int64{name: n}})
	}
	consumed := func() float64 {
		v, _ := metricValue(c.scrape(t), `kds_messages_consumed_total{topic="`+name+`"}`)
		return v
	}
	if err := report(math.MaxInt64); apiStatus(err) != http.StatusBadRequest {
		t.Fatalf("a count of 2^63-1: %v, want 400", err)
	}
	if got := consumed(); got != 0 {
		t.Fatalf("kds_messages_consumed_total = %v after a refused report", got)
	}
	// A first report counts at most ten million a second for one
	// heartbeat interval.
	if err := report(1e12); err != nil {
		t.Fatal(err)
	}
	first := consumed()
	if first != 2e7 {
		t.Fatalf("kds_messages_consumed_total = %v after a first report of 1e12, want it bounded to 2e7", first)
	}
	if err := report(5); err != nil {
		t.Fatal(err)
	}
	if got := consumed(); got != first {
		t.Fatalf("kds_messages_consumed_total = %v after a lower report, want %v still", got, first)
	}
	if err := report(1e12 + 3); err != nil {
		t.Fatal(err)
	}
	if got := consumed(); got != first+3 {
		t.Fatalf("kds_messages_consumed_total = %v, want %v: three more than the highest count reported", got, first+3)
	}
}

// TestHeartbeatsCountOnlyActiveTopics reports counts for topics that are
// not active: well-formed names kds does not know, and a topic still
// approved. They make no kds_messages_consumed_total series, or any
// consumer's token could add label values without bound; the approved
// topic's count is counted once it is active and this process has read
// the event that says so.
func TestHeartbeatsCountOnlyActiveTopics(t *testing.T) {
	t.Parallel()
	w := newWebAPI(t)
	ctx := context.Background()
	consumer := w.client(t, w.token(t, "reader", auth.Consumer).Secret)
	later := uniqueName("consumed-later")
	w.approved(t, later)
	counts := map[string]int64{later: 7}
	for range 50 {
		counts[uniqueName("minted")] = 1
	}
	report := func(consumed map[string]int64) {
		t.Helper()
		if err := consumer.ReportInstance(ctx, "reader", "instance-one", apiv1.InstanceReport{Host: "h", PID: 1, Consumed: consumed}); err != nil {
			t.Fatal(err)
		}
	}
	report(counts)
	if scrape := w.scrape(t); strings.Contains(scrape, "kds_messages_consumed_total{") {
		t.Fatalf("counts for topics that are not active made series:\n%s", scrape)
	}

	w.activate(t, later)
	w.events.Publish(topic.Event{Type: topic.TopicActivated, Topic: later, Status: topic.Active, At: time.Now()})
	counts[later] = 9
	report(counts)
	scrape := w.scrape(t)
	if got, _ := metricValue(scrape, `kds_messages_consumed_total{topic="`+later+`"}`); got != 9 {
		t.Errorf("kds_messages_consumed_total of %s = %v once active, want all 9 it reported", later, got)
	}
	if n := strings.Count(scrape, "kds_messages_consumed_total{"); n != 1 {
		t.Errorf("%d kds_messages_consumed_total series, want the active topic's only:\n%s", n, scrape)
	}
}

// TestStreamsEndWithTheirCredential: an open event stream or live view
// stops delivering once the token it was opened with is revoked, or the
// session it was opened with ends. The check reads the token store, so it
// holds whichever api instance the revocation went through.
func TestStreamsEndWithTheirCredential(t *testing.T) {
	t.Parallel()
	c := newContentAPI(t)
	name := uniqueName("live-revoked")
	c.activeTopic(t, name, 1)
	ctx := context.Background()

	// ended waits for a stream to end and returns the events it sent until
	// then.
	ended := func(t *testing.T, frames <-chan sseFrame, what string) []sseFrame {
		t.Helper()
		var last []sseFrame
		deadline := time.After(5 * time.Second)
		for {
			select {
			case f, ok := <-frames:
				if !ok {
					return last
				}
				if f.event != "" {
					last = append(last, f)
				}
			case <-deadline:
				t.Fatalf("%s: the stream still runs 5s later", what)
			}
		}
	}

	t.Run("revoked token", func(t *testing.T) {
		t.Parallel()
		viewer, stayer := c.token(t, uniqueName("viewer"), auth.Viewer), c.token(t, uniqueName("stayer"), auth.Viewer)
		_, events := c.openStream(t, ctx, map[string]string{"Authorization": "Bearer " + viewer.Secret})
		nextFrame(t, events, "the opening")
		resp, live := c.openPath(t, ctx, "/api/v1/topics/"+name+"/messages", map[string]string{"Authorization": "Bearer " + viewer.Secret})
		if resp.StatusCode != http.StatusOK || nextEvent(t, live, "ready").event != "ready" {
			t.Fatalf("live view: %d", resp.StatusCode)
		}
		_, kept := c.openStream(t, ctx, map[string]string{"Authorization": "Bearer " + stayer.Secret})
		nextFrame(t, kept, "the opening of the other stream")

		if err := c.admin.RevokeToken(ctx, viewer.ID); err != nil {
			t.Fatal(err)
		}
		ended(t, events, "event stream")
		last := ended(t, live, "live view")
		if len(last) != 1 || last[0].event != "end" || !strings.Contains(last[0].data, "no longer valid") {
			t.Errorf("the live view ended with %+v, want an end event that says why", last)
		}
		c.events.Publish(topic.Event{Type: topic.TopicApproved, Topic: "after-revocation", At: time.Now()})
		if f := nextNamed(t, kept, "lifecycle", "the other token's stream"); !strings.Contains(f.data, "after-revocation") {
			t.Errorf("the other token's stream got %+v", f)
		}
	})

	t.Run("signed out", func(t *testing.T) {
		t.Parallel()
		viewer := c.token(t, uniqueName("viewer"), auth.Viewer)
		session, csrf := c.signIn(t, viewer.Secret)
		_, events := c.openStream(t, ctx, nil, session)
		nextFrame(t, events, "the opening")
		out := c.send(t, request{method: "DELETE", path: "/api/v1/session", cookies: []*http.Cookie{session, csrf}})
		if out.status != http.StatusNoContent {
			t.Fatalf("sign out: %d %s", out.status, out.body)
		}
		ended(t, events, "the session's event stream")
	})
}
