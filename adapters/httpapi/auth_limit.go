package httpapi

import (
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/kds-io/kds/app/auth"
)

// AuthLimit bounds failed authentications: MaxFailures wrong, unknown or
// revoked tokens within Window, from one remote address or for one token
// id, and further attempts from that address or with that token id are
// answered 429 for Lockout, whatever token they carry. Successful
// authentications neither count nor are limited otherwise. Behind a
// reverse proxy every client has the proxy's address.
type AuthLimit struct {
	MaxFailures int
	Window      time.Duration
	Lockout     time.Duration
}

// WithAuthLimit limits failed authentications; without it they are not.
func WithAuthLimit(l AuthLimit) Option {
	return func(s *Server) {
		if l.MaxFailures > 0 && l.Window > 0 && l.Lockout > 0 {
			s.authLimit = &authLimiter{limit: l, now: time.Now, keys: map[string]*authFailures{}}
		}
	}
}

// maxTrackedKeys bounds the limiter's memory when failures come from very
// many addresses; past it, new addresses are not tracked until old entries
// expire, while those already locked out stay so.
const maxTrackedKeys = 100_000

// authLimiter counts failed authentications per key: "remote " + address
// or "token_id " + the id of a well-formed token. Nil limits nothing.
type authLimiter struct {
	limit AuthLimit
	now   func() time.Time

	mu   sync.Mutex
	keys map[string]*authFailures
}

type authFailures struct {
	// recent are the failures within the window, oldest first.
	recent      []time.Time
	lockedUntil time.Time
}

// errLockedOut is the answer to a locked-out address or token id; it says
// which of the two without repeating anything the caller sent.
type errLockedOut struct {
	key        string
	retryAfter time.Duration
}

func (e *errLockedOut) Error() string {
	what := "with this token"
	if strings.HasPrefix(e.key, "remote ") {
		what = "from this address"
	}
	return fmt.Sprintf("too many failed authentications %s; try again in %s", what, e.retryAfter.Round(time.Second))
}

// authKeys are what a request's failures count against.
func authKeys(r *http.Request, raw string) []string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	keys := []string{"remote " + host}
	if s, err := auth.ParseSecret(raw); err == nil {
		keys = append(keys, "token_id "+s.ID)
	}
	return keys
}

// lockedOut returns the lockout of the first of keys that is locked out.
func (l *authLimiter) lockedOut(keys []string) *errLockedOut {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	for _, k := range keys {
		if f, ok := l.keys[k]; ok && now.Before(f.lockedUntil) {
			return &errLockedOut{key: k, retryAfter: f.lockedUntil.Sub(now)}
		}
	}
	return nil
}

// fail counts a failure against each key and returns those it locked out.
func (l *authLimiter) fail(keys []string) (locked []string) {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	for _, k := range keys {
		f, ok := l.keys[k]
		if !ok {
			if len(l.keys) >= maxTrackedKeys {
				l.sweep(now)
			}
			if len(l.keys) >= maxTrackedKeys {
				continue
			}
			f = &authFailures{}
			l.keys[k] = f
		}
		f.recent = append(f.recent[:0], recentOnly(f.recent, now.Add(-l.limit.Window))...)
		f.recent = append(f.recent, now)
		if len(f.recent) >= l.limit.MaxFailures {
			f.lockedUntil, f.recent = now.Add(l.limit.Lockout), nil
			locked = append(locked, k)
		}
	}
	return locked
}

func recentOnly(times []time.Time, since time.Time) []time.Time {
	for i, t := range times {
		if t.After(since) {
			return times[i:]
		}
	}
	return nil
}

// sweep forgets keys with neither a lockout nor a failure in the window.
func (l *authLimiter) sweep(now time.Time) {
	since := now.Add(-l.limit.Window)
	for k, f := range l.keys {
		if !now.Before(f.lockedUntil) && len(recentOnly(f.recent, since)) == 0 {
			delete(l.keys, k)
		}
	}
}

// checkAuthLimit answers a request from a locked-out address or token id
// with 429 and returns false; such refusals are not logged one by one,
// since the lockout was.
func (s *Server) checkAuthLimit(w http.ResponseWriter, keys []string) bool {
	e := s.authLimit.lockedOut(keys)
	if e == nil {
		return true
	}
	w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(e.retryAfter.Seconds()))))
	writeJSON(w, http.StatusTooManyRequests, ErrorBody{Error: e.Error()})
	return false
}

// authFailed logs a failed authentication, never the token itself but
// the id of a well-formed one, and counts it when the token was refused
// (not when the token store could not answer).
func (s *Server) authFailed(r *http.Request, keys []string, err error, msg string) {
	attrs := []any{"path", r.URL.Path, "remote", r.RemoteAddr}
	for _, k := range keys[1:] {
		attrs = append(attrs, "token_id", strings.TrimPrefix(k, "token_id "))
	}
	if !errors.Is(err, auth.ErrUnauthenticated) {
		s.log.Warn(msg, append(attrs, "err", err)...)
		return
	}
	s.log.Warn(msg, attrs...)
	for _, k := range s.authLimit.fail(keys) {
		kind, value, _ := strings.Cut(k, " ")
		s.log.Warn("authentication locked out after repeated failures", kind, value, "failures", s.authLimit.limit.MaxFailures,
			"window", s.authLimit.limit.Window, "lockout", s.authLimit.limit.Lockout)
	}
}
