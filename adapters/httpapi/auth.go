package httpapi

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/kds-io/kds/adapters/httpapi/apiv1"
	"github.com/kds-io/kds/adapters/httpapi/internal/httpjson"
	"github.com/kds-io/kds/app/auth"
)

// authenticated runs next with the caller's principal, from the bearer
// token or, without an Authorization header, the dashboard's session
// cookie; a cookie-authenticated request that changes something must also
// pass the CSRF check (session.go).
func (s *Server) authenticated(next func(http.ResponseWriter, *http.Request, auth.Principal)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if _, p, ok := s.authenticate(w, r); ok {
			next(w, r, p)
		}
	}
}

// credentialRecheck is how often an open stream checks that the token or
// session it was opened with still stands for the same caller.
const credentialRecheck = time.Second

// authenticatedStream is authenticated for a handler that streams: ended
// is closed once the token or session the stream was opened with is
// revoked, ended or stands for another role. The check asks the token
// store, so it holds whichever api instance revoked the token.
func (s *Server) authenticatedStream(next func(w http.ResponseWriter, r *http.Request, p auth.Principal, ended <-chan struct{})) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, p, ok := s.authenticate(w, r)
		if !ok {
			return
		}
		ctx, stop := context.WithCancel(r.Context())
		defer stop()
		ended := make(chan struct{})
		go s.watchCredential(ctx, c, p, ended)
		next(w, r, p, ended)
	}
}

// watchCredential closes ended once c no longer stands for p. A store
// that cannot answer ends nothing: the next check asks again.
func (s *Server) watchCredential(ctx context.Context, c credential, p auth.Principal, ended chan<- struct{}) {
	t := time.NewTicker(credentialRecheck)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now, err := s.principal(ctx, c)
		if ctx.Err() != nil {
			return
		}
		if err != nil && !errors.Is(err, auth.ErrUnauthenticated) {
			s.log.Warn("stream: cannot check its credential; trying again", "name", p.Name, "err", err)
			continue
		}
		if err != nil || !now.Equal(p) {
			s.log.Info("stream ended: its token or session is no longer valid", "name", p.Name, "role", p.Role)
			close(ended)
			return
		}
	}
}

// authenticate finds the caller's principal, or answers the request
// itself and returns false.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request) (credential, auth.Principal, bool) {
	c, ok := credentials(r)
	if !ok {
		w.Header().Set("WWW-Authenticate", `Bearer realm="kds"`)
		httpjson.WriteError(w, r, s.log, auth.ErrUnauthenticated)
		return credential{}, auth.Principal{}, false
	}
	if c.session && checkCSRF(r) != nil {
		s.refuseCrossSite(w, r)
		return credential{}, auth.Principal{}, false
	}
	p, err := s.principal(r.Context(), c)
	if lockout := s.authLimit.lockedOut(remoteAddr(r)); lockout != nil && !admit(c, p, err) {
		s.refuseLockedOut(w, lockout)
		return credential{}, auth.Principal{}, false
	}
	if err != nil {
		if !c.session {
			s.authFailed(r, c.secret, err, "authentication failed")
		}
		w.Header().Set("WWW-Authenticate", `Bearer realm="kds"`)
		httpjson.WriteError(w, r, s.log, err)
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
func (s *Server) principal(ctx context.Context, c credential) (auth.Principal, error) {
	if c.session {
		return s.app.Sessions.Authenticate(ctx, c.secret)
	}
	return s.app.Tokens.Authenticate(ctx, c.secret)
}

func (s *Server) whoami(w http.ResponseWriter, _ *http.Request, p auth.Principal) {
	httpjson.Write(w, http.StatusOK, apiv1.Whoami{Name: p.Name, Role: p.Role})
}
