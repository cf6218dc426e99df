package authn

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/kds-io/kds/adapters/httpapi/apiv1"
	"github.com/kds-io/kds/adapters/httpapi/internal/httpjson"
	"github.com/kds-io/kds/app/auth"
)

// Limit bounds failed authentications by remote address: after
// MaxFailures different wrong, unknown or revoked tokens within Window, the address
// is locked out for Lockout, and for twice as long each time it goes on
// failing (at most 32 times Lockout). While locked out, a request from it
// gets 429 unless it carries a token kds made or a dashboard session:
// their secrets are 256 random bits that no number of attempts guesses,
// so letting them through slows no guessing, while the bootstrap admin
// token, which a person may have chosen, is refused with the rest. Neither
// a session cookie that is no longer valid nor a token id counts as a
// failure: a token id is no secret, and counting against it would let
// anyone lock a token's holder out. A token that already failed from the
// address within Window counts no more: a client left running with a
// token that is no longer valid (a stale terminal, a consumer started
// before a restart) tells a guesser nothing by repeating it, and must not
// lock out the address's valid tokens. Successful authentications neither
// count nor are limited. Behind a reverse proxy every client has the
// proxy's address.
type Limit struct {
	MaxFailures int
	Window      time.Duration
	Lockout     time.Duration
}

// maxDoublings bounds the backoff: a lockout lasts at most 2^5 = 32
// times auth.lockout.
const maxDoublings = 5

// maxTrackedAddrs bounds the limiter's memory when failures come from
// very many addresses; past it, new addresses are not tracked until old
// entries expire, while those already locked out stay so.
const maxTrackedAddrs = 100_000

// limiter counts failed authentications per remote address. Nil
// limits nothing.
type limiter struct {
	limit Limit
	now   func() time.Time

	mu    sync.Mutex
	addrs map[string]*authFailures
}

type authFailures struct {
	// recent are the failures within the window, oldest first.
	recent      []failure
	lockedUntil time.Time
	// lockouts counts the lockouts in a row, and lastLockout is how long
	// the latest lasted: an address quiet that long after it starts over.
	lockouts    int
	lastLockout time.Duration
}

// failure is one failed authentication: when, and the SHA-256 of the
// secret that failed, so that the limiter holds no secret.
type failure struct {
	at     time.Time
	secret [sha256.Size]byte
}

// errLockedOut is the answer to a locked-out address; it repeats nothing
// the caller sent.
type errLockedOut struct {
	retryAfter time.Duration
}

func (e *errLockedOut) Error() string {
	return fmt.Sprintf("too many failed authentications from this address; try again in %s", e.retryAfter.Round(time.Second))
}

// remoteAddr is the address a request's failures count against.
func remoteAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// newLimiter limits as l says, or returns nil when l limits nothing.
func newLimiter(l Limit) *limiter {
	if l.MaxFailures <= 0 || l.Window <= 0 || l.Lockout <= 0 {
		return nil
	}
	return &limiter{limit: l, now: time.Now, addrs: map[string]*authFailures{}}
}

// lockedOut returns the address's lockout, or nil.
func (l *limiter) lockedOut(addr string) *errLockedOut {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if f, ok := l.addrs[addr]; ok && now.Before(f.lockedUntil) {
		return &errLockedOut{retryAfter: f.lockedUntil.Sub(now)}
	}
	return nil
}

// fail counts a failure of secret from addr, unless that secret already
// failed from addr within the window; it returns how long the address is
// now locked out, or 0.
func (l *limiter) fail(addr, secret string) time.Duration {
	if l == nil {
		return 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	f, ok := l.addrs[addr]
	if !ok {
		if len(l.addrs) >= maxTrackedAddrs {
			l.sweep(now)
		}
		if len(l.addrs) >= maxTrackedAddrs {
			return 0
		}
		f = &authFailures{}
		l.addrs[addr] = f
	}
	f.recent = append(f.recent[:0], recentOnly(f.recent, now.Add(-l.limit.Window))...)
	sum := sha256.Sum256([]byte(secret))
	if slices.ContainsFunc(f.recent, func(r failure) bool { return r.secret == sum }) {
		return 0
	}
	f.recent = append(f.recent, failure{at: now, secret: sum})
	if len(f.recent) < l.limit.MaxFailures {
		return 0
	}
	if now.Sub(f.lockedUntil) >= f.lastLockout {
		f.lockouts = 0
	}
	f.lockouts++
	f.lastLockout = l.limit.Lockout << min(f.lockouts-1, maxDoublings)
	f.lockedUntil, f.recent = now.Add(f.lastLockout), nil
	return f.lastLockout
}

func recentOnly(failures []failure, since time.Time) []failure {
	for i, f := range failures {
		if f.at.After(since) {
			return failures[i:]
		}
	}
	return nil
}

// sweep forgets addresses with neither a lockout nor a failure in the
// window.
func (l *limiter) sweep(now time.Time) {
	since := now.Add(-l.limit.Window)
	for addr, f := range l.addrs {
		if !now.Before(f.lockedUntil) && len(recentOnly(f.recent, since)) == 0 {
			delete(l.addrs, addr)
		}
	}
}

// admit decides whether a request from a locked-out address may go on:
// only with a valid credential whose secret is random, a session or a
// token kds made (p.TokenID is empty for the bootstrap admin token).
func admit(c credential, p auth.Principal, err error) bool {
	return err == nil && (c.session || p.TokenID != "")
}

// refuseLockedOut answers a request from a locked-out address with 429;
// such refusals are not logged one by one, since the lockout was.
func (a *Authenticator) refuseLockedOut(w http.ResponseWriter, e *errLockedOut) {
	w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(e.retryAfter.Seconds()))))
	httpjson.Write(w, http.StatusTooManyRequests, apiv1.ErrorBody{Error: e.Error()})
}

// authFailed logs a failed authentication, never the token itself but
// the id of a well-formed one, and counts it against the address when the
// token was refused (not when the token store could not answer).
func (a *Authenticator) authFailed(r *http.Request, raw string, err error, msg string) {
	addr := remoteAddr(r)
	attrs := []any{"path", r.URL.Path, "remote", r.RemoteAddr}
	if secret, err := auth.ParseSecret(raw); err == nil {
		attrs = append(attrs, "token_id", secret.ID)
	}
	if !errors.Is(err, auth.ErrUnauthenticated) {
		a.log.Warn(msg, append(attrs, "err", err)...)
		return
	}
	a.log.Warn(msg, attrs...)
	if d := a.limit.fail(addr, raw); d > 0 {
		a.log.Warn("authentication locked out after repeated failures", "remote", addr, "failures", a.limit.limit.MaxFailures,
			"window", a.limit.limit.Window, "lockout", d)
	}
}
