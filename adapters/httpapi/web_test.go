package httpapi_test

// Tests of what the dashboard adds to the API: the session cookie and its
// CSRF rules, the event stream, the security headers and the page, and
// /metrics.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kds-io/kds/adapters/httpapi"
	"github.com/kds-io/kds/adapters/httpapi/apiv1"
	"github.com/kds-io/kds/app/auth"
	"github.com/kds-io/kds/app/query"
	"github.com/kds-io/kds/app/topic"
)

// logBuffer collects a server's log.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// webAPI is the test API of newAPI served again with opts and a log the
// test can read; a.url and a.admin point at the new server.
type webAPI struct {
	*api
	server *httpapi.Server
	log    *logBuffer
}

func newWebAPI(t *testing.T, opts ...httpapi.Option) *webAPI {
	t.Helper()
	return newAPI(t).serve(t, opts...)
}

// serve serves a's application again, as it is now, with opts.
func (a *api) serve(t *testing.T, opts ...httpapi.Option) *webAPI {
	t.Helper()
	logs := &logBuffer{}
	server := httpapi.NewServer(a.app, a.events, nil, slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})), opts...)
	srv := httptest.NewServer(server)
	t.Cleanup(srv.Close)
	a.url = srv.URL
	a.admin = a.client(t, bootstrapToken)
	return &webAPI{api: a, server: server, log: logs}
}

// request is a raw request with any headers and cookies.
type request struct {
	method, path string
	body         string
	header       map[string]string
	cookies      []*http.Cookie
}

func (w *webAPI) send(t *testing.T, r request) answer {
	t.Helper()
	var body io.Reader
	if r.body != "" {
		body = strings.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(context.Background(), r.method, w.url+r.path, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range r.header {
		req.Header.Set(k, v)
	}
	// The client sends req.Host, not a Host header.
	if h := r.header["Host"]; h != "" {
		req.Host = h
	}
	for _, c := range r.cookies {
		req.AddCookie(c)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", r.method, r.path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return answer{status: resp.StatusCode, header: resp.Header, body: b}
}

// signIn signs in with token and returns the two cookies.
func (w *webAPI) signIn(t *testing.T, token string) (session, csrf *http.Cookie) {
	t.Helper()
	got := w.send(t, request{method: "POST", path: "/api/v1/session", body: string(mustJSON(t, apiv1.SessionRequest{Token: token}))})
	if got.status != http.StatusOK {
		t.Fatalf("sign in: %d %s", got.status, got.body)
	}
	for _, c := range (&http.Response{Header: got.header}).Cookies() {
		switch c.Name {
		case "kds_session":
			session = c
		case "kds_csrf":
			csrf = c
		}
	}
	if session == nil || csrf == nil {
		t.Fatalf("sign in set cookies %q, want kds_session and kds_csrf", got.header.Values("Set-Cookie"))
	}
	return session, csrf
}

// TestSignInSetsTheSessionCookies checks the cookies of a sign-in, that a
// bad token sets none, and that signing out expires them.
func TestSignInSetsTheSessionCookies(t *testing.T) {
	t.Parallel()
	w := newWebAPI(t)
	viewer := w.token(t, "vic", auth.Viewer).Secret

	got := w.send(t, request{method: "POST", path: "/api/v1/session", body: string(mustJSON(t, apiv1.SessionRequest{Token: viewer}))})
	if got.status != http.StatusOK {
		t.Fatalf("sign in: %d %s", got.status, got.body)
	}
	var who apiv1.Whoami
	if err := json.Unmarshal(got.body, &who); err != nil || who.Name != "vic" || who.Role != auth.Viewer {
		t.Fatalf("sign-in answer %s (%v), want vic the viewer", got.body, err)
	}
	if bytes.Contains(got.body, []byte(viewer)) || got.header.Get("Location") != "" {
		t.Errorf("the sign-in answer holds the token or redirects: %s %v", got.body, got.header)
	}
	if cc := got.header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("sign-in answer Cache-Control %q, want no-store", cc)
	}
	setCookies := got.header.Values("Set-Cookie")
	if len(setCookies) != 2 {
		t.Fatalf("Set-Cookie %q, want two cookies", setCookies)
	}
	session, csrf := setCookies[0], setCookies[1]
	if !regexp.MustCompile(`^kds_session=[A-Za-z0-9_-]{43};`).MatchString(session) || strings.Contains(session, viewer) {
		t.Errorf("session cookie %q, want a random session id, not the token", session)
	}
	for _, attr := range []string{"Path=/", "HttpOnly", "SameSite=Strict"} {
		if !strings.Contains(session, attr) {
			t.Errorf("session cookie %q lacks %s", session, attr)
		}
	}
	if !regexp.MustCompile(`^kds_csrf=[A-Za-z0-9_-]{43}; Path=/; SameSite=Strict$`).MatchString(csrf) {
		t.Errorf("CSRF cookie %q, want 32 random bytes, readable by scripts, SameSite=Strict", csrf)
	}
	if strings.Contains(session+csrf, "Secure") {
		t.Errorf("cookies over plain HTTP are Secure: %q", setCookies)
	}
	_, csrf1 := w.signIn(t, viewer)
	_, csrf2 := w.signIn(t, viewer)
	if csrf1.Value == csrf2.Value {
		t.Error("two sign-ins got the same CSRF value")
	}

	for _, c := range []struct{ name, body string }{
		{"wrong token", `{"token":"kds_000000000000_nope"}`},
		{"empty token", `{"token":""}`},
	} {
		got := w.send(t, request{method: "POST", path: "/api/v1/session", body: c.body})
		if got.status != http.StatusUnauthorized || len(got.header.Values("Set-Cookie")) != 0 {
			t.Errorf("%s: %d %q %s, want 401 and no cookie", c.name, got.status, got.header.Values("Set-Cookie"), got.body)
		}
	}
	if got := w.send(t, request{method: "POST", path: "/api/v1/session", body: `{"token":"x","remember":true}`}); got.status != http.StatusBadRequest {
		t.Errorf("unknown field: %d %s, want 400", got.status, got.body)
	}
	if got := w.send(t, request{method: "POST", path: "/api/v1/session", body: string(mustJSON(t, apiv1.SessionRequest{Token: viewer})),
		header: map[string]string{"Origin": "https://evil.example"}}); got.status != http.StatusForbidden || len(got.header.Values("Set-Cookie")) != 0 {
		t.Errorf("sign-in from another site: %d %s, want 403 and no cookie", got.status, got.body)
	}

	out := w.send(t, request{method: "DELETE", path: "/api/v1/session"})
	if out.status != http.StatusNoContent {
		t.Fatalf("sign out: %d %s", out.status, out.body)
	}
	expired := map[string]bool{}
	for _, c := range (&http.Response{Header: out.header}).Cookies() {
		expired[c.Name] = c.MaxAge < 0 && c.Value == ""
	}
	if !expired["kds_session"] || !expired["kds_csrf"] {
		t.Errorf("sign out set %q, want both cookies expired", out.header.Values("Set-Cookie"))
	}

	// Tokens are never logged, whether accepted or refused.
	logs := w.log.String()
	if strings.Contains(logs, viewer) || strings.Contains(logs, "kds_000000000000_nope") || strings.Contains(logs, bootstrapToken) {
		t.Errorf("the log holds a token:\n%s", logs)
	}
	if !strings.Contains(logs, `msg="signed in" name=vic role=viewer`) || !strings.Contains(logs, `msg="sign-in refused"`) {
		t.Errorf("the log does not tell sign-ins:\n%s", logs)
	}
}

// TestSessionsEndAtSignOutAndRevocation: the session cookie is no token
// (it is refused as a bearer token), and it stops working when its holder
// signs out or its token is revoked.
func TestSessionsEndAtSignOutAndRevocation(t *testing.T) {
	t.Parallel()
	w := newWebAPI(t)
	viewer := w.token(t, "vic", auth.Viewer)
	whoami := func(session *http.Cookie) int {
		return w.send(t, request{method: "GET", path: "/api/v1/whoami", cookies: []*http.Cookie{session}}).status
	}

	session, csrf := w.signIn(t, viewer.Secret)
	if got := whoami(session); got != http.StatusOK {
		t.Fatalf("the session: %d", got)
	}
	if got := w.do(t, "GET", "/api/v1/whoami", session.Value, nil); got.status != http.StatusUnauthorized {
		t.Fatalf("the session cookie as a bearer token: %d %s, want 401", got.status, got.body)
	}
	other, _ := w.signIn(t, viewer.Secret)
	out := w.send(t, request{method: "DELETE", path: "/api/v1/session", cookies: []*http.Cookie{session, csrf}})
	if out.status != http.StatusNoContent {
		t.Fatalf("sign out: %d %s", out.status, out.body)
	}
	if got := whoami(session); got != http.StatusUnauthorized {
		t.Fatalf("the session after sign-out: %d, want 401", got)
	}
	if got := whoami(other); got != http.StatusOK {
		t.Fatalf("another session of the same token after one signed out: %d", got)
	}

	if got := w.do(t, "DELETE", "/api/v1/tokens/"+viewer.ID, bootstrapToken, nil); got.status != http.StatusNoContent {
		t.Fatalf("revoke: %d %s", got.status, got.body)
	}
	if got := whoami(other); got != http.StatusUnauthorized {
		t.Fatalf("the session of a revoked token: %d, want 401", got)
	}
	if logs := w.log.String(); strings.Contains(logs, session.Value) || strings.Contains(logs, other.Value) {
		t.Errorf("the log holds a session id:\n%s", logs)
	}
}

// TestSecureCookiesBySetting: behind a proxy that ends TLS, the request
// reaches kds over plain HTTP; server.secure_cookies makes the cookies
// Secure anyway.
func TestSecureCookiesBySetting(t *testing.T) {
	t.Parallel()
	w := newAPI(t).serve(t, httpapi.WithSecureCookies(true))
	got := w.send(t, request{method: "POST", path: "/api/v1/session", body: `{"token":"` + bootstrapToken + `"}`})
	cookies := got.header.Values("Set-Cookie")
	if got.status != http.StatusOK || len(cookies) != 2 {
		t.Fatalf("sign in: %d %q", got.status, cookies)
	}
	out := w.send(t, request{method: "DELETE", path: "/api/v1/session"})
	for _, c := range append(cookies, out.header.Values("Set-Cookie")...) {
		if !strings.Contains(c, "; Secure") {
			t.Errorf("cookie without Secure: %q", c)
		}
	}
}

// TestSessionCookiesOverTLSAreSecure checks the Secure attribute when the
// request came over TLS.
func TestSessionCookiesOverTLSAreSecure(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	srv := httptest.NewTLSServer(httpapi.NewServer(a.app, a.events, nil, slog.New(slog.DiscardHandler)))
	t.Cleanup(srv.Close)
	resp, err := srv.Client().Post(srv.URL+"/api/v1/session", "application/json", strings.NewReader(`{"token":"`+bootstrapToken+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	cookies := resp.Header.Values("Set-Cookie")
	if resp.StatusCode != http.StatusOK || len(cookies) != 2 {
		t.Fatalf("sign in over TLS: %d %q", resp.StatusCode, cookies)
	}
	for _, c := range cookies {
		if !strings.Contains(c, "; Secure") {
			t.Errorf("cookie over TLS without Secure: %q", c)
		}
	}
}

// TestCookieRequestsNeedTheCSRFHeader checks who may change things with the
// session cookie: only requests that echo the CSRF cookie and, when they
// say where they come from, come from this server. Reads need neither, and
// bearer tokens are not affected.
func TestCookieRequestsNeedTheCSRFHeader(t *testing.T) {
	t.Parallel()
	w := newWebAPI(t)
	session, csrf := w.signIn(t, bootstrapToken)
	host := strings.TrimPrefix(w.url, "http://")
	otherCSRF := &http.Cookie{Name: "kds_csrf", Value: strings.Repeat("A", 43)}

	cases := []struct {
		name    string
		header  map[string]string
		cookies []*http.Cookie
		want    int
	}{
		{name: "cookie, no CSRF header", cookies: []*http.Cookie{session, csrf}, want: 403},
		{name: "cookie, wrong CSRF header", header: map[string]string{"X-CSRF-Token": otherCSRF.Value}, cookies: []*http.Cookie{session, csrf}, want: 403},
		{name: "cookie, CSRF header without the CSRF cookie", header: map[string]string{"X-CSRF-Token": csrf.Value}, cookies: []*http.Cookie{session}, want: 403},
		{name: "cookie, empty CSRF header and cookie", header: map[string]string{"X-CSRF-Token": ""}, cookies: []*http.Cookie{session, {Name: "kds_csrf", Value: ""}}, want: 403},
		{name: "cookie, CSRF header from another site", header: map[string]string{"X-CSRF-Token": csrf.Value, "Origin": "https://evil.example"}, cookies: []*http.Cookie{session, csrf}, want: 403},
		{name: "cookie, CSRF header, Origin null", header: map[string]string{"X-CSRF-Token": csrf.Value, "Origin": "null"}, cookies: []*http.Cookie{session, csrf}, want: 403},
		{name: "cookie and CSRF header", header: map[string]string{"X-CSRF-Token": csrf.Value}, cookies: []*http.Cookie{session, csrf}, want: 202},
		{name: "cookie, CSRF header, this Origin", header: map[string]string{"X-CSRF-Token": csrf.Value, "Origin": "http://" + host}, cookies: []*http.Cookie{session, csrf}, want: 202},
		{name: "bearer without CSRF", header: map[string]string{"Authorization": "Bearer " + bootstrapToken}, want: 202},
		{name: "bearer from another site", header: map[string]string{"Authorization": "Bearer " + bootstrapToken, "Origin": "https://evil.example"}, want: 202},
		{name: "bearer beside a cookie", header: map[string]string{"Authorization": "Bearer " + bootstrapToken}, cookies: []*http.Cookie{session}, want: 202},
		{name: "bad bearer beside a good cookie", header: map[string]string{"Authorization": "Bearer nope", "X-CSRF-Token": csrf.Value}, cookies: []*http.Cookie{session, csrf}, want: 401},
		{name: "wrong session cookie", header: map[string]string{"X-CSRF-Token": csrf.Value}, cookies: []*http.Cookie{{Name: "kds_session", Value: "kds_000000000000_nope"}, csrf}, want: 401},
	}
	t.Run("requests", func(t *testing.T) {
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				t.Parallel()
				name := uniqueName("csrf")
				body := string(mustJSON(t, apiv1.TopicRequest{Name: name}))
				got := w.send(t, request{method: "POST", path: "/api/v1/topics", body: body, header: c.header, cookies: c.cookies})
				if got.status != c.want {
					t.Fatalf("got %d, want %d: %s", got.status, c.want, got.body)
				}
				if c.want == 403 {
					if msg := got.errorBody(t).Error; !strings.Contains(msg, "X-CSRF-Token") {
						t.Errorf("403 says %q, want it to name the header", msg)
					}
				}
				if c.want != 202 {
					if cmds, err := w.admin.Commands(context.Background(), query.CommandFilter{Topic: name}); err != nil || len(cmds) != 0 {
						t.Errorf("a refused request queued %v (%v)", cmds, err)
					}
				}
			})
		}
	})

	t.Run("reads need no CSRF header", func(t *testing.T) {
		for _, path := range []string{"/api/v1/whoami", "/api/v1/topics"} {
			got := w.send(t, request{method: "GET", path: path, cookies: []*http.Cookie{session}, header: map[string]string{"Origin": "https://evil.example"}})
			if got.status != http.StatusOK {
				t.Errorf("GET %s with the cookie: %d %s", path, got.status, got.body)
			}
		}
	})

	t.Run("deleting a token", func(t *testing.T) {
		doomed := w.token(t, uniqueName("doomed"), auth.Viewer)
		path := "/api/v1/tokens/" + doomed.ID
		if got := w.send(t, request{method: "DELETE", path: path, cookies: []*http.Cookie{session, csrf}}); got.status != http.StatusForbidden {
			t.Errorf("DELETE with the cookie and no CSRF header: %d %s", got.status, got.body)
		}
		if got := w.send(t, request{method: "DELETE", path: path, cookies: []*http.Cookie{session, csrf}, header: map[string]string{"X-CSRF-Token": csrf.Value}}); got.status != http.StatusNoContent {
			t.Errorf("DELETE with the cookie and the CSRF header: %d %s", got.status, got.body)
		}
	})

	if logs := w.log.String(); !strings.Contains(logs, `msg="cross-site request refused"`) || strings.Contains(logs, bootstrapToken) || strings.Contains(logs, csrf.Value) {
		t.Errorf("log of the refusals:\n%s", logs)
	}
}

// sseFrame is one Server-Sent Event, or a comment.
type sseFrame struct {
	event, data, comment string
}

// readFrames parses a Server-Sent Events stream into frames until it ends.
func readFrames(body io.Reader, frames chan<- sseFrame) {
	defer close(frames)
	sc := bufio.NewScanner(body)
	var f sseFrame
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if f != (sseFrame{}) {
				frames <- f
			}
			f = sseFrame{}
		case strings.HasPrefix(line, ":"):
			f.comment = strings.TrimSpace(line[1:])
		case strings.HasPrefix(line, "event: "):
			f.event = line[len("event: "):]
		case strings.HasPrefix(line, "data: "):
			f.data += line[len("data: "):]
		}
	}
}

// openStream opens /api/v1/events with the given header and cookies.
func (w *webAPI) openStream(t *testing.T, ctx context.Context, header map[string]string, cookies ...*http.Cookie) (*http.Response, <-chan sseFrame) {
	t.Helper()
	return w.openPath(t, ctx, "/api/v1/events", header, cookies...)
}

func nextFrame(t *testing.T, frames <-chan sseFrame, what string) sseFrame {
	t.Helper()
	select {
	case f, ok := <-frames:
		if !ok {
			t.Fatalf("%s: the stream ended", what)
		}
		return f
	case <-time.After(5 * time.Second):
		t.Fatalf("%s: nothing within 5s", what)
	}
	return sseFrame{}
}

// nextEvent is the next frame that is not a comment, such as a keep-alive.
func nextEvent(t *testing.T, frames <-chan sseFrame, what string) sseFrame {
	t.Helper()
	for {
		if f := nextFrame(t, frames, what); f.event != "" || f.data != "" {
			return f
		}
	}
}

// nextNamed is the next event called name, passing over the others, such as
// the rates a stream sends every few seconds.
func nextNamed(t *testing.T, frames <-chan sseFrame, name, what string) sseFrame {
	t.Helper()
	for {
		if f := nextEvent(t, frames, what); f.event == name {
			return f
		}
	}
}

// TestEventStream checks /api/v1/events: every event as it comes, as JSON
// under the name lifecycle; keep-alive comments when idle; the session
// cookie works as a bearer token does; and the stream ends when the client
// leaves or the server shuts down.
func TestEventStream(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	w := newWebAPI(t, httpapi.WithStreamKeepAlive(100*time.Millisecond), httpapi.WithMetrics(reg))

	if got := w.send(t, request{method: "GET", path: "/api/v1/events"}); got.status != http.StatusUnauthorized {
		t.Fatalf("a stream without a token: %d %s", got.status, got.body)
	}

	ctx, leave := context.WithCancel(context.Background())
	defer leave()
	resp, frames := w.openStream(t, ctx, map[string]string{"Authorization": "Bearer " + bootstrapToken})
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" || resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("stream answer: %d %v", resp.StatusCode, resp.Header)
	}
	if f := nextFrame(t, frames, "the opening"); f.comment == "" || f.event != "" {
		t.Fatalf("first frame %+v, want a comment", f)
	}
	streams := func() float64 { return gauge(t, w, "kds_dashboard_event_streams") }
	if n := streams(); n != 1 {
		t.Errorf("kds_dashboard_event_streams = %v with one stream open", n)
	}

	at := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	sent := []topic.Event{
		{Type: topic.TopicRequested, Topic: "orders", Status: topic.Pending, Generation: 1, CommandID: "c1", Actor: "ada", Reason: "line one\nline two <b>", At: at, Partitions: 3, ReplicationFactor: 1, Configs: map[string]string{"retention.ms": "1000"}},
		{Type: topic.CommandRejected, Topic: "orders", CommandID: "c2", Actor: "ada", At: at.Add(time.Second), Error: "topic \"orders\" is already approved"},
	}
	for _, ev := range sent {
		w.events.Publish(ev)
	}
	for i, want := range sent {
		f := nextEvent(t, frames, "event "+strconv.Itoa(i))
		if f.event != "lifecycle" {
			t.Fatalf("frame %+v, want event: lifecycle", f)
		}
		var got topic.Event
		if err := json.Unmarshal([]byte(f.data), &got); err != nil {
			t.Fatalf("event data %q: %v", f.data, err)
		}
		if g, w := mustJSON(t, got), mustJSON(t, want); !bytes.Equal(g, w) {
			t.Fatalf("event %d:\n got %s\nwant %s", i, g, w)
		}
	}
	if f := nextFrame(t, frames, "a keep-alive"); f.comment != "keep-alive" || f.event != "" {
		t.Fatalf("idle stream sent %+v, want a keep-alive comment", f)
	}

	// The session cookie opens a stream too: EventSource sends cookies, and
	// reading needs no CSRF header.
	session, _ := w.signIn(t, bootstrapToken)
	cookieCtx, cookieLeave := context.WithCancel(context.Background())
	defer cookieLeave()
	resp2, frames2 := w.openStream(t, cookieCtx, nil, session)
	if resp2.StatusCode != http.StatusOK {
		t.Fatalf("a stream with the session cookie: %d", resp2.StatusCode)
	}
	nextFrame(t, frames2, "the opening of the cookie stream")
	w.events.Publish(topic.Event{Type: topic.TopicApproved, Topic: "orders", At: at})
	if f := nextEvent(t, frames2, "an event on the cookie stream"); f.event != "lifecycle" || !strings.Contains(f.data, `"type":"TopicApproved"`) {
		t.Fatalf("cookie stream: %+v", f)
	}

	// The client leaves: its stream ends on the server.
	leave()
	waitGauge(t, w, "kds_dashboard_event_streams", 1)

	// Shutting down ends the streams still open, and any opened later.
	w.server.EndStreams()
	for range frames2 {
	}
	waitGauge(t, w, "kds_dashboard_event_streams", 0)
	resp3, frames3 := w.openStream(t, context.Background(), map[string]string{"Authorization": "Bearer " + bootstrapToken})
	if resp3.StatusCode != http.StatusOK {
		t.Fatalf("a stream after EndStreams: %d", resp3.StatusCode)
	}
	for range frames3 {
	}
}

// scrape reads /metrics as a Prometheus with the bootstrap admin token.
func (w *webAPI) scrape(t *testing.T) string {
	t.Helper()
	got := w.send(t, request{method: "GET", path: "/metrics", header: map[string]string{"Authorization": "Bearer " + bootstrapToken}})
	if got.status != http.StatusOK || !strings.HasPrefix(got.header.Get("Content-Type"), "text/plain") {
		t.Fatalf("/metrics: %d %q %s", got.status, got.header.Get("Content-Type"), got.body)
	}
	return string(got.body)
}

// gauge reads a metric without labels from /metrics.
func gauge(t *testing.T, w *webAPI, name string) float64 {
	t.Helper()
	scrape := w.scrape(t)
	v, ok := metricValue(scrape, name)
	if !ok {
		t.Fatalf("/metrics has no %s:\n%s", name, scrape)
	}
	return v
}

func waitGauge(t *testing.T, w *webAPI, name string, want float64) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		got := gauge(t, w, name)
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s = %v, want %v", name, got, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// metricValue finds the sample series (a name with its labels, exactly as
// Prometheus's text format writes it) in a scrape.
func metricValue(scrape, series string) (float64, bool) {
	for _, line := range strings.Split(scrape, "\n") {
		rest, ok := strings.CutPrefix(line, series+" ")
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
		return v, err == nil
	}
	return 0, false
}

// TestMetricsCountCommands checks /metrics: it counts the commands issued
// through the API by type and outcome, and serves what else is registered
// with the registry it is given.
func TestMetricsCountCommands(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	other := prometheus.NewCounter(prometheus.CounterOpts{Name: "kds_test_other_total", Help: "Registered beside the API's metrics."})
	reg.MustRegister(other)
	other.Add(7)
	w := newWebAPI(t, httpapi.WithMetrics(reg))
	viewer := w.token(t, "vic", auth.Viewer).Secret

	scrape := func() string { return w.scrape(t) }
	count := func(s, series string) float64 {
		v, _ := metricValue(s, series)
		return v
	}
	queued := `kds_commands_issued_total{outcome="queued",type="RequestTopic"}`
	before := scrape()
	if count(before, "kds_test_other_total") != 7 || count(before, queued) != 0 {
		t.Fatalf("/metrics before any command:\n%s", before)
	}

	w.pending(t, "metrics-a")
	if got := count(scrape(), queued); got != 1 {
		t.Fatalf("%s after one request: %v, want 1", queued, got)
	}
	w.do(t, "POST", "/api/v1/topics", bootstrapToken, []byte(`{"name":"no spaces"}`))
	w.do(t, "POST", "/api/v1/topics/metrics-a/approve", viewer, nil)
	w.do(t, "POST", "/api/v1/commands", bootstrapToken, []byte(`{"commands":[{"type":"RequestTopic","topic":"metrics-b"},{"type":"ApproveTopic","topic":"metrics-a"}]}`))
	w.do(t, "POST", "/api/v1/commands", bootstrapToken, []byte(`{"commands":[{"type":"LaunchRocket","topic":"metrics-c"}]}`))
	after := scrape()
	for series, want := range map[string]float64{
		queued: 2,
		`kds_commands_issued_total{outcome="refused",type="RequestTopic"}`:   1,
		`kds_commands_issued_total{outcome="forbidden",type="ApproveTopic"}`: 1,
		`kds_commands_issued_total{outcome="queued",type="ApproveTopic"}`:    1,
		`kds_commands_issued_total{outcome="refused",type="unknown"}`:        1,
	} {
		if got := count(after, series); got != want {
			t.Errorf("%s = %v, want %v", series, got, want)
		}
	}
	if strings.Contains(after, "LaunchRocket") {
		t.Error("a type a client made up became a label value")
	}
}

// TestMetricsNeedAToken: /metrics names topics and counts what flows
// through them, so it is served to callers who may read topics (a token or
// a session of any role) and to the metrics token, which opens nothing
// else.
func TestMetricsNeedAToken(t *testing.T) {
	t.Parallel()
	const scraper = "prometheus-scrape-token-0123456789"
	w := newWebAPI(t, httpapi.WithMetricsToken(scraper))
	viewer := w.token(t, "vic", auth.Viewer).Secret
	session, _ := w.signIn(t, viewer)
	for _, c := range []struct {
		name    string
		header  map[string]string
		cookies []*http.Cookie
		want    int
	}{
		{name: "no token", want: http.StatusUnauthorized},
		{name: "a wrong token", header: map[string]string{"Authorization": "Bearer " + scraper + "x"}, want: http.StatusUnauthorized},
		{name: "a viewer", header: map[string]string{"Authorization": "Bearer " + viewer}, want: http.StatusOK},
		{name: "a session", cookies: []*http.Cookie{session}, want: http.StatusOK},
		{name: "the metrics token", header: map[string]string{"Authorization": "Bearer " + scraper}, want: http.StatusOK},
		{name: "the metrics token as a cookie", cookies: []*http.Cookie{{Name: "kds_session", Value: scraper}}, want: http.StatusUnauthorized},
	} {
		got := w.send(t, request{method: "GET", path: "/metrics", header: c.header, cookies: c.cookies})
		if got.status != c.want {
			t.Errorf("/metrics with %s: %d, want %d", c.name, got.status, c.want)
		}
		if c.want == http.StatusOK && !strings.Contains(string(got.body), "kds_dashboard_event_streams") {
			t.Errorf("/metrics with %s: %s", c.name, got.body)
		}
	}
	if got := w.do(t, "GET", "/api/v1/whoami", scraper, nil); got.status != http.StatusUnauthorized {
		t.Errorf("the metrics token on the API: %d, want 401", got.status)
	}
}

// TestUnknownHostsAreRefused: the API answers to IP addresses, localhost
// and the names it is given, and to no other Host, so that a page whose
// DNS name is pointed at the API (DNS rebinding) cannot read it.
func TestUnknownHostsAreRefused(t *testing.T) {
	t.Parallel()
	strict := newWebAPI(t)
	named := newWebAPI(t, httpapi.WithAllowedHosts([]string{"kds.example.", "admin.internal"}))
	open := newWebAPI(t, httpapi.WithAllowedHosts([]string{"*"}))
	auth := map[string]string{"Authorization": "Bearer " + bootstrapToken}
	for _, c := range []struct {
		server *webAPI
		host   string
		want   bool
	}{
		{strict, "127.0.0.1:8080", true},
		{strict, "[::1]:8080", true},
		{strict, "localhost:8080", true},
		{strict, "LOCALHOST.", true},
		{strict, "10.1.2.3", true},
		{strict, "rebound.attacker.example:8080", false},
		{strict, "kds.example", false},
		{named, "kds.example:8080", true},
		{named, "KDS.Example", true},
		{named, "admin.internal", true},
		{named, "admin.internal.attacker.example", false},
		{open, "anything.example", true},
	} {
		for _, path := range []string{"/metrics", "/api/v1/whoami", "/", "/healthz"} {
			got := c.server.send(t, request{method: "GET", path: path, header: map[string]string{"Authorization": auth["Authorization"], "Host": c.host}})
			if c.want && got.status != http.StatusOK {
				t.Errorf("GET %s for Host %q: %d, want 200", path, c.host, got.status)
			}
			if !c.want && (got.status != http.StatusMisdirectedRequest || !strings.Contains(got.errorBody(t).Error, "server.allowed_hosts")) {
				t.Errorf("GET %s for Host %q: %d %s, want 421", path, c.host, got.status, got.body)
			}
		}
	}
}

// TestDashboardPageAndSecurityHeaders checks that the page and its files
// are served with a strict Content-Security-Policy and the other headers,
// that the page has no inline script or style for the policy to allow, and
// that its scripts never parse text as HTML.
func TestDashboardPageAndSecurityHeaders(t *testing.T) {
	t.Parallel()
	w := newWebAPI(t)
	files := map[string]string{
		"/":                   "text/html; charset=utf-8",
		"/static/app.js":      "text/javascript; charset=utf-8",
		"/static/api.js":      "text/javascript; charset=utf-8",
		"/static/dom.js":      "text/javascript; charset=utf-8",
		"/static/topics.js":   "text/javascript; charset=utf-8",
		"/static/app.css":     "text/css; charset=utf-8",
		"/static/favicon.svg": "image/svg+xml",
	}
	wantHeaders := func(t *testing.T, path string, h http.Header) {
		t.Helper()
		csp := h.Get("Content-Security-Policy")
		for _, directive := range []string{"default-src 'self'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'", "object-src 'none'", "base-uri 'none'", "require-trusted-types-for 'script'"} {
			if !strings.Contains(csp, directive) {
				t.Errorf("%s: Content-Security-Policy %q lacks %s", path, csp, directive)
			}
		}
		if strings.Contains(csp, "unsafe") || strings.Contains(csp, "*") || strings.Contains(csp, "data:") {
			t.Errorf("%s: Content-Security-Policy %q allows too much", path, csp)
		}
		for k, v := range map[string]string{"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY"} {
			if h.Get(k) != v {
				t.Errorf("%s: %s %q, want %q", path, k, h.Get(k), v)
			}
		}
	}
	var html string
	var scripts []string
	for path, ct := range files {
		got := w.send(t, request{method: "GET", path: path})
		if got.status != http.StatusOK || got.header.Get("Content-Type") != ct || len(got.body) == 0 {
			t.Errorf("GET %s: %d %q, want 200 %q", path, got.status, got.header.Get("Content-Type"), ct)
			continue
		}
		wantHeaders(t, path, got.header)
		etag := got.header.Get("ETag")
		if again := w.send(t, request{method: "GET", path: path, header: map[string]string{"If-None-Match": etag}}); etag == "" || again.status != http.StatusNotModified {
			t.Errorf("GET %s with If-None-Match %q: %d, want 304", path, etag, again.status)
		}
		switch {
		case path == "/":
			html = string(got.body)
		case strings.HasSuffix(path, ".js"):
			scripts = append(scripts, string(got.body))
		}
	}
	for _, path := range []string{"/api/v1/whoami", "/healthz", "/metrics", "/nowhere"} {
		wantHeaders(t, path, w.send(t, request{method: "GET", path: path}).header)
	}

	// Nothing inline for the policy to have to allow.
	for _, tag := range regexp.MustCompile(`(?is)<script\b[^>]*>`).FindAllString(html, -1) {
		if !strings.Contains(tag, `src="/static/`) {
			t.Errorf("inline or foreign script: %s", tag)
		}
	}
	if m := regexp.MustCompile(`(?i)\s(on[a-z]+|style)\s*=`).FindString(html); m != "" {
		t.Errorf("the page has an inline handler or style: %q", m)
	}
	if strings.Contains(html, "<style") || strings.Contains(html, "http://") || strings.Contains(html, "https://") {
		t.Error("the page has an inline style sheet or loads something from elsewhere")
	}
	for _, js := range scripts {
		if m := regexp.MustCompile(`innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function|https?://`).FindString(js); m != "" {
			t.Errorf("a script uses %q", m)
		}
	}

	for _, c := range []struct {
		method, path string
		want         int
	}{
		{"GET", "/static/missing.js", 404},
		{"GET", "/index.html", 404},
		{"GET", "/static/", 404},
		{"POST", "/", 405},
		{"HEAD", "/", 200},
	} {
		if got := w.send(t, request{method: c.method, path: c.path}); got.status != c.want {
			t.Errorf("%s %s: %d, want %d", c.method, c.path, got.status, c.want)
		}
	}
}

// TestSlowBodiesAreCutOff: a request whose body does not arrive within the
// body timeout is answered 408 and its connection closed, so that slow
// bodies cannot hold connections open; event streams and long polls,
// which send no body, run as long as they need.
func TestSlowBodiesAreCutOff(t *testing.T) {
	t.Parallel()
	const timeout = 200 * time.Millisecond
	w := newWebAPI(t, httpapi.WithRequestBodyTimeout(timeout), httpapi.WithStreamKeepAlive(timeout/2))
	host := strings.TrimPrefix(w.url, "http://")

	var conns []net.Conn
	for range 10 {
		conn, err := net.Dial("tcp", host)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		// The headers promise 100 bytes; one comes.
		if _, err := io.WriteString(conn, "POST /api/v1/session HTTP/1.1\r\nHost: "+host+"\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"); err != nil {
			t.Fatal(err)
		}
		conns = append(conns, conn)
	}
	for i, conn := range conns {
		if err := conn.SetReadDeadline(time.Now().Add(10 * time.Second)); err != nil {
			t.Fatal(err)
		}
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatalf("slow body %d: no answer: %v", i, err)
		}
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusRequestTimeout || !strings.Contains(string(body), "request body") {
			t.Fatalf("slow body %d: %d %s, want 408", i, resp.StatusCode, body)
		}
		if _, err := conn.Read(make([]byte, 1)); err != io.EOF {
			t.Fatalf("slow body %d: the connection stays open (%v)", i, err)
		}
	}

	// An event stream outlives many body timeouts.
	ctx, leave := context.WithCancel(context.Background())
	defer leave()
	_, frames := w.openStream(t, ctx, map[string]string{"Authorization": "Bearer " + bootstrapToken})
	for i := range 10 {
		if f := nextFrame(t, frames, "frame "+strconv.Itoa(i)); i > 0 && f.comment != "keep-alive" {
			t.Fatalf("frame %d: %+v, want a keep-alive", i, f)
		}
	}
	// So does a long poll, and a body that arrives in time is read.
	queued, err := w.admin.RequestTopic(context.Background(), apiv1.TopicRequest{Name: uniqueName("slow")})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := w.admin.Command(context.Background(), queued.Command.ID, 5*timeout); err != nil || got.ID != queued.Command.ID {
		t.Fatalf("a long poll of five body timeouts: %+v, %v", got, err)
	}
}
