package authn_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kds-io/kds/adapters/httpapi/apiv1"
	"github.com/kds-io/kds/adapters/httpapi/authn"
	"github.com/kds-io/kds/app/auth"
	"github.com/kds-io/kds/app/auth/authtest"
)

// limitedAPI is an Authenticator over tokens and sessions kept in memory,
// with a failure limit of 10 a minute with a one-minute lockout, a clock
// the test moves, and its log in a buffer, in front of a whoami route and
// the dashboard's sign-in.
type limitedAPI struct {
	handler http.Handler
	now     time.Time
	mu      sync.Mutex
	log     bytes.Buffer
	tokens  *auth.Tokens
}

const bootstrapForLimits = "bootstrap-Admin-Secret-4-limits"

func newLimitedAPI(t *testing.T, limit authn.Limit) *limitedAPI {
	t.Helper()
	a := &limitedAPI{now: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}
	a.tokens = auth.NewTokens(authtest.NewTokens(), bootstrapForLimits)
	log := slog.New(slog.NewTextHandler(&lockedWriter{mu: &a.mu, w: &a.log}, nil))
	au := authn.New(a.tokens, auth.NewSessions(authtest.NewSessions(), a.tokens), authn.Config{Limit: limit}, prometheus.NewRegistry(), log)
	authn.SetClock(au, func() time.Time {
		a.mu.Lock()
		defer a.mu.Unlock()
		return a.now
	})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/whoami", au.Require(func(w http.ResponseWriter, _ *http.Request, p auth.Principal) {
		_ = json.NewEncoder(w).Encode(apiv1.Whoami{Name: p.Name, Role: p.Role})
	}))
	au.Routes(mux)
	a.handler = mux
	return a
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func (a *limitedAPI) advance(d time.Duration) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.now = a.now.Add(d)
}

func (a *limitedAPI) logText() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.log.String()
}

// token makes a real token of the given role.
func (a *limitedAPI) token(t *testing.T, name string) string {
	t.Helper()
	raw, _, err := a.tokens.Create(context.Background(), auth.Principal{Name: "admin", Role: auth.Admin}, name, auth.Viewer)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// whoami calls GET /api/v1/whoami from remote with token.
func (a *limitedAPI) whoami(remote, token string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodGet, "/api/v1/whoami", nil)
	r.RemoteAddr = remote + ":40000"
	r.Header.Set("Authorization", "Bearer "+token)
	w := httptest.NewRecorder()
	a.handler.ServeHTTP(w, r)
	return w
}

// whoamiWithSession calls GET /api/v1/whoami from remote with the session
// cookie of a sign-in's answer.
func (a *limitedAPI) whoamiWithSession(remote string, signedIn *httptest.ResponseRecorder) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodGet, "/api/v1/whoami", nil)
	r.RemoteAddr = remote + ":40000"
	for _, c := range signedIn.Result().Cookies() {
		r.AddCookie(c)
	}
	w := httptest.NewRecorder()
	a.handler.ServeHTTP(w, r)
	return w
}

// signIn posts the dashboard's sign-in from remote with token.
func (a *limitedAPI) signIn(remote, token string) *httptest.ResponseRecorder {
	body, _ := json.Marshal(apiv1.SessionRequest{Token: token})
	r := httptest.NewRequest(http.MethodPost, "/api/v1/session", bytes.NewReader(body))
	r.RemoteAddr = remote + ":40000"
	w := httptest.NewRecorder()
	a.handler.ServeHTTP(w, r)
	return w
}

func wantStatus(t *testing.T, what string, w *httptest.ResponseRecorder, code int) {
	t.Helper()
	if w.Code != code {
		t.Fatalf("%s: %d %s, want %d", what, w.Code, w.Body, code)
	}
}

var limit10 = authn.Limit{MaxFailures: 10, Window: time.Minute, Lockout: time.Minute}

// TestFailedAuthenticationsLockOutTheAddress: the tenth wrong token from
// one address within a minute locks the address out for a minute with 429
// and Retry-After: wrong tokens and the bootstrap admin token, which a
// person may have chosen, are not even tried, while the tokens kds made,
// whose secrets cannot be guessed, still get in. Other addresses carry on.
func TestFailedAuthenticationsLockOutTheAddress(t *testing.T) {
	t.Parallel()
	a := newLimitedAPI(t, limit10)
	good := a.token(t, "good")
	const attacker, neighbour = "192.0.2.7", "198.51.100.9"
	bootSession := a.signIn(attacker, bootstrapForLimits)
	wantStatus(t, "bootstrap sign-in", bootSession, http.StatusOK)
	for i := range 9 {
		wantStatus(t, "wrong token "+strconv.Itoa(i+1), a.whoami(attacker, "wrong-"+strconv.Itoa(i)), http.StatusUnauthorized)
		a.advance(time.Second)
	}
	wantStatus(t, "good token after 9 failures", a.whoami(attacker, good), http.StatusOK)
	wantStatus(t, "tenth wrong token", a.whoami(attacker, "wrong-10"), http.StatusUnauthorized)
	for _, token := range []string{"wrong-11", bootstrapForLimits, good[:len(good)-1] + "x"} {
		w := a.whoami(attacker, token)
		wantStatus(t, "locked out", w, http.StatusTooManyRequests)
		if ra, err := strconv.Atoi(w.Header().Get("Retry-After")); err != nil || ra < 1 || ra > 60 {
			t.Fatalf("Retry-After %q, want 1 to 60 seconds", w.Header().Get("Retry-After"))
		}
		if !strings.Contains(w.Body.String(), "too many failed authentications from this address") {
			t.Fatalf("429 body: %s", w.Body)
		}
	}
	wantStatus(t, "a token kds made, while locked out", a.whoami(attacker, good), http.StatusOK)
	wantStatus(t, "sign-in with it while locked out", a.signIn(attacker, good), http.StatusOK)
	wantStatus(t, "bootstrap sign-in while locked out", a.signIn(attacker, bootstrapForLimits), http.StatusTooManyRequests)
	wantStatus(t, "a session from before the lockout", a.whoamiWithSession(attacker, bootSession), http.StatusOK)
	wantStatus(t, "another address", a.whoami(neighbour, bootstrapForLimits), http.StatusOK)
	wantStatus(t, "another address, wrong token", a.whoami(neighbour, "wrong"), http.StatusUnauthorized)

	a.advance(59 * time.Second)
	wantStatus(t, "a second before the end", a.whoami(attacker, bootstrapForLimits), http.StatusTooManyRequests)
	a.advance(time.Second)
	wantStatus(t, "after the lockout", a.whoami(attacker, bootstrapForLimits), http.StatusOK)
	wantStatus(t, "wrong token after the lockout", a.whoami(attacker, "wrong-12"), http.StatusUnauthorized)
}

// TestRepeatedLockoutsBackOff: an address that goes on failing after its
// lockout is locked out twice as long each time, up to 32 times
// auth.lockout; one that stays quiet as long as its last lockout lasted
// starts again from one.
func TestRepeatedLockoutsBackOff(t *testing.T) {
	t.Parallel()
	a := newLimitedAPI(t, limit10)
	const addr = "192.0.2.99"
	lockFor := func(what string, want time.Duration) {
		t.Helper()
		for i := range 10 {
			wantStatus(t, what+": failure", a.whoami(addr, "wrong-"+strconv.Itoa(i)), http.StatusUnauthorized)
		}
		w := a.whoami(addr, "wrong-10")
		wantStatus(t, what+": locked out", w, http.StatusTooManyRequests)
		if got := w.Header().Get("Retry-After"); got != strconv.Itoa(int(want.Seconds())) {
			t.Fatalf("%s: Retry-After %s, want %.0f", what, got, want.Seconds())
		}
		a.advance(want - time.Second)
		wantStatus(t, what+": a second before the end", a.whoami(addr, bootstrapForLimits), http.StatusTooManyRequests)
		a.advance(time.Second)
		wantStatus(t, what+": after it", a.whoami(addr, bootstrapForLimits), http.StatusOK)
	}
	for i, want := range []time.Duration{1, 2, 4, 8, 16, 32, 32} {
		lockFor("lockout "+strconv.Itoa(i+1), want*time.Minute)
	}
	a.advance(32 * time.Minute)
	lockFor("after a quiet half hour", time.Minute)
}

// TestSuccessfulAuthenticationsAreNotLimited: any number of good tokens
// pass, failures spread over more than the window never lock out, and
// sign-ins count like any other authentication.
func TestSuccessfulAuthenticationsAreNotLimited(t *testing.T) {
	t.Parallel()
	a := newLimitedAPI(t, limit10)
	good := a.token(t, "busy")
	const addr = "203.0.113.5"
	for i := range 200 {
		wantStatus(t, "good token "+strconv.Itoa(i), a.whoami(addr, good), http.StatusOK)
	}
	for round := range 3 {
		for i := range 9 {
			wantStatus(t, "spread failures", a.whoami(addr, "wrong-"+strconv.Itoa(round)+"-"+strconv.Itoa(i)), http.StatusUnauthorized)
		}
		a.advance(61 * time.Second)
		wantStatus(t, "round "+strconv.Itoa(round), a.whoami(addr, bootstrapForLimits), http.StatusOK)
	}
	for i := range 10 {
		wantStatus(t, "wrong sign-in", a.signIn(addr, "wrong-sign-in-"+strconv.Itoa(i)), http.StatusUnauthorized)
	}
	wantStatus(t, "after ten wrong sign-ins", a.whoami(addr, bootstrapForLimits), http.StatusTooManyRequests)

	off := newLimitedAPI(t, authn.Limit{})
	for range 50 {
		wantStatus(t, "no limit", off.whoami(addr, "wrong"), http.StatusUnauthorized)
	}
}

// TestFailuresForOneTokenIDDoNotLockItOut: a token's id is no secret (it
// is in every listing and log line), so wrong secrets for one id from many
// addresses lock out none of them, and never the token itself; an address
// that sends ten locks out only that address, and the real token still
// gets in from there.
func TestFailuresForOneTokenIDDoNotLockItOut(t *testing.T) {
	t.Parallel()
	a := newLimitedAPI(t, limit10)
	target := a.token(t, "target")
	id := strings.Split(target, "_")[1]
	forged := func(i int) string { return "kds_" + id + "_garbage" + strconv.Itoa(i) }
	for i := range 10 {
		wantStatus(t, "forged secret", a.whoami("192.0.2."+strconv.Itoa(i+1), forged(i)), http.StatusUnauthorized)
	}
	wantStatus(t, "the real token from elsewhere", a.whoami("198.51.100.1", target), http.StatusOK)
	wantStatus(t, "the real token from an address that sent a forgery", a.whoami("192.0.2.1", target), http.StatusOK)
	wantStatus(t, "sign-in with the real token", a.signIn("198.51.100.1", target), http.StatusOK)

	const attacker = "203.0.113.66"
	for i := range 10 {
		wantStatus(t, "forged from one address", a.whoami(attacker, forged(i)), http.StatusUnauthorized)
	}
	wantStatus(t, "another forgery from the locked-out address", a.whoami(attacker, forged(11)), http.StatusTooManyRequests)
	wantStatus(t, "the real token from the locked-out address", a.whoami(attacker, target), http.StatusOK)
	wantStatus(t, "the real token from elsewhere, after", a.whoami("198.51.100.1", target), http.StatusOK)
}

// TestAStaleTokenDoesNotLockOutItsAddress: a client that keeps sending a
// token that is no longer valid (a consumer started before its token was
// revoked or its kds dev restarted) fails every time, but counts once a
// window, so the valid tokens from its address, the bootstrap admin token
// included, go on working; guesses, each a different secret, still lock
// the address out, the stale token's failure counting among them.
func TestAStaleTokenDoesNotLockOutItsAddress(t *testing.T) {
	t.Parallel()
	a := newLimitedAPI(t, limit10)
	stale := a.token(t, "stale")
	revoker := auth.Principal{Name: "admin", Role: auth.Admin}
	if err := a.tokens.Revoke(context.Background(), revoker, strings.Split(stale, "_")[1]); err != nil {
		t.Fatal(err)
	}
	const addr = "192.0.2.44"
	for i := range 100 {
		wantStatus(t, "stale token "+strconv.Itoa(i+1), a.whoami(addr, stale), http.StatusUnauthorized)
		a.advance(100 * time.Millisecond)
	}
	wantStatus(t, "stale sign-in", a.signIn(addr, stale), http.StatusUnauthorized)
	wantStatus(t, "the bootstrap admin token after 100 stale failures", a.whoami(addr, bootstrapForLimits), http.StatusOK)
	for i := range 8 {
		wantStatus(t, "guess "+strconv.Itoa(i+1), a.whoami(addr, "guess-"+strconv.Itoa(i)), http.StatusUnauthorized)
		wantStatus(t, "stale token among the guesses", a.whoami(addr, stale), http.StatusUnauthorized)
	}
	wantStatus(t, "the bootstrap admin token after 8 guesses", a.whoami(addr, bootstrapForLimits), http.StatusOK)
	wantStatus(t, "the ninth guess, the tenth different secret", a.whoami(addr, "guess-8"), http.StatusUnauthorized)
	wantStatus(t, "the bootstrap admin token once guessing locked the address out", a.whoami(addr, bootstrapForLimits), http.StatusTooManyRequests)

	a.advance(time.Minute)
	for range 50 {
		wantStatus(t, "stale token after the lockout", a.whoami(addr, stale), http.StatusUnauthorized)
	}
	wantStatus(t, "the bootstrap admin token after the lockout", a.whoami(addr, bootstrapForLimits), http.StatusOK)
}

// TestFailedAuthenticationLogsNeverShowTokens: failures are logged with
// the address and the id of a well-formed token, the lockout once, and
// no token, good or bad, ever.
func TestFailedAuthenticationLogsNeverShowTokens(t *testing.T) {
	t.Parallel()
	a := newLimitedAPI(t, limit10)
	good := a.token(t, "logged")
	id := strings.Split(good, "_")[1]
	forged := "kds_" + id + "_ForgedSecretThatMustNeverBeLogged0000000000000"
	wrong := "Not-A-Token-But-A-Secret-Password"
	for i := range 5 {
		a.whoami("192.0.2.1", forged)
		a.signIn("192.0.2.1", wrong)
		a.whoami("198.51.100."+strconv.Itoa(i), forged)
	}
	for i := range 20 {
		a.whoami("192.0.2.1", good)
		a.whoami("192.0.2.1", forged+strconv.Itoa(i))
	}
	a.whoami("192.0.2.2", good)
	log := a.logText()
	t.Logf("log:\n%s", log)
	for _, secret := range []string{good, forged, wrong, bootstrapForLimits, "ForgedSecret", strings.Split(good, "_")[2]} {
		if strings.Contains(log, secret) {
			t.Errorf("the log shows %q", secret)
		}
	}
	for _, want := range []string{"authentication failed", "sign-in refused", "token_id=" + id, "remote=192.0.2.1", `repeated failures" remote=192.0.2.1`} {
		if !strings.Contains(log, want) {
			t.Errorf("the log does not say %q", want)
		}
	}
	if n := strings.Count(log, "locked out after"); n != 1 {
		t.Errorf("%d lockout lines, want 1 (the address, once)", n)
	}
}
