// Package authn finds who a request to kds's HTTP API comes from: the
// bearer token of its Authorization header or, without one, the
// dashboard's session cookie, which a request that changes something must
// back with the CSRF header. It signs the dashboard in and out, locks out
// addresses that keep failing (limit.go), and ends a stream once the
// credential it was opened with no longer stands.
//
// Sessions and the CSRF check live here, not with the dashboard's page:
// every route accepts a session, and a session's cookies, the CSRF rule and
// the lockout change together.
package authn

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"github.com/kds-io/kds/adapters/httpapi/internal/httpjson"
	"github.com/kds-io/kds/app/auth"
)

// Config says how requests are authenticated.
type Config struct {
	// Limit bounds failed authentications; the zero Limit bounds none.
	Limit Limit
	// SecureCookies marks the dashboard's cookies Secure even when a
	// request came over plain HTTP, as it does behind a proxy that ends
	// TLS (server.secure_cookies). Requests that came over TLS always get
	// Secure cookies.
	SecureCookies bool
}

// Authenticator authenticates requests with API tokens and dashboard
// sessions.
type Authenticator struct {
	tokens        *auth.Tokens
	sessions      *auth.Sessions
	limit         *limiter // nil limits nothing
	secureCookies bool
	log           *slog.Logger
	signIns       *prometheus.CounterVec
}

// New authenticates with tokens and sessions and registers its metrics
// with reg.
func New(tokens *auth.Tokens, sessions *auth.Sessions, c Config, reg prometheus.Registerer, log *slog.Logger) *Authenticator {
	return &Authenticator{tokens: tokens, sessions: sessions, limit: newLimiter(c.Limit), secureCookies: c.SecureCookies, log: log,
		signIns: promauto.With(reg).NewCounterVec(prometheus.CounterOpts{
			Name: "kds_dashboard_sign_ins_total",
			Help: "Dashboard sign-ins, by outcome: ok, refused (an invalid token) or error.",
		}, []string{"outcome"})}
}

// Handler serves a request whose caller is p.
type Handler func(w http.ResponseWriter, r *http.Request, p auth.Principal)

// StreamHandler serves a stream whose caller is p until ended is closed:
// the token or session it was opened with no longer stands for p.
type StreamHandler func(w http.ResponseWriter, r *http.Request, p auth.Principal, ended <-chan struct{})

// Require runs next with the caller's principal, from the bearer token or,
// without an Authorization header, the dashboard's session cookie; a
// cookie-authenticated request that changes something must also pass the
// CSRF check (session.go). Other requests are answered here.
func (a *Authenticator) Require(next Handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if _, p, ok := a.authenticate(w, r); ok {
			next(w, r, p)
		}
	}
}

// credentialRecheck is how often an open stream checks that the token or
// session it was opened with still stands for the same caller.
const credentialRecheck = time.Second

// RequireStream is Require for a handler that streams: ended is closed
// once the token or session the stream was opened with is revoked, ended
// or stands for another role. The check asks the token store, so it holds
// whichever api instance revoked the token.
func (a *Authenticator) RequireStream(next StreamHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, p, ok := a.authenticate(w, r)
		if !ok {
			return
		}
		ctx, stop := context.WithCancel(r.Context())
		defer stop()
		ended := make(chan struct{})
		go a.watchCredential(ctx, c, p, ended)
		next(w, r, p, ended)
	}
}

// watchCredential closes ended once c no longer stands for p. A store
// that cannot answer ends nothing: the next check asks again.
func (a *Authenticator) watchCredential(ctx context.Context, c credential, p auth.Principal, ended chan<- struct{}) {
	t := time.NewTicker(credentialRecheck)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now, err := a.principal(ctx, c)
		if ctx.Err() != nil {
			return
		}
		if err != nil && !errors.Is(err, auth.ErrUnauthenticated) {
			a.log.Warn("stream: cannot check its credential; trying again", "name", p.Name, "err", err)
			continue
		}
		if err != nil || !now.Equal(p) {
			a.log.Info("stream ended: its token or session is no longer valid", "name", p.Name, "role", p.Role)
			close(ended)
			return
		}
	}
}

// authenticate finds the caller's principal, or answers the request
// itself and returns false.
func (a *Authenticator) authenticate(w http.ResponseWriter, r *http.Request) (credential, auth.Principal, bool) {
	c, ok := credentials(r)
	if !ok {
		w.Header().Set("WWW-Authenticate", `Bearer realm="kds"`)
		httpjson.WriteError(w, r, a.log, auth.ErrUnauthenticated)
		return credential{}, auth.Principal{}, false
	}
	if c.session && checkCSRF(r) != nil {
		a.refuseCrossSite(w, r)
		return credential{}, auth.Principal{}, false
	}
	p, err := a.principal(r.Context(), c)
	if lockout := a.limit.lockedOut(remoteAddr(r)); lockout != nil && !admit(c, p, err) {
		a.refuseLockedOut(w, lockout)
		return credential{}, auth.Principal{}, false
	}
	if err != nil {
		if !c.session {
			a.authFailed(r, c.secret, err, "authentication failed")
		}
		w.Header().Set("WWW-Authenticate", `Bearer realm="kds"`)
		httpjson.WriteError(w, r, a.log, err)
		return credential{}, auth.Principal{}, false
	}
	return c, p, true
}

// credential is what a request authenticates with: a bearer token, or the
// id of a dashboard session.
type credential struct {
	secret  string
	session bool
}

// principal is who c stands for now.
func (a *Authenticator) principal(ctx context.Context, c credential) (auth.Principal, error) {
	if c.session {
		return a.sessions.Authenticate(ctx, c.secret)
	}
	return a.tokens.Authenticate(ctx, c.secret)
}

// BearerToken is the token of the request's Authorization header, if it
// has one.
func BearerToken(r *http.Request) (string, bool) {
	c, ok := credentials(r)
	if !ok || c.session {
		return "", false
	}
	return c.secret, true
}
