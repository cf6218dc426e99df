package httpapi

import (
	"context"
	"net/http"

	"github.com/kds-io/kds/app/auth"
)

// authenticated runs next with the caller's principal, from the bearer
// token or, without an Authorization header, the dashboard's session
// cookie; a cookie-authenticated request that changes something must also
// pass the CSRF check (session.go).
func (s *Server) authenticated(next func(http.ResponseWriter, *http.Request, auth.Principal)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, ok := credentials(r)
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="kds"`)
			s.writeError(w, r, auth.ErrUnauthenticated)
			return
		}
		if c.session && checkCSRF(r) != nil {
			s.refuseCrossSite(w, r)
			return
		}
		p, err := s.principal(r.Context(), c)
		if lockout := s.authLimit.lockedOut(remoteAddr(r)); lockout != nil && !admit(c, p, err) {
			s.refuseLockedOut(w, lockout)
			return
		}
		if err != nil {
			if !c.session {
				s.authFailed(r, c.secret, err, "authentication failed")
			}
			w.Header().Set("WWW-Authenticate", `Bearer realm="kds"`)
			s.writeError(w, r, err)
			return
		}
		next(w, r, p)
	}
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

// Whoami is who the token belongs to.
type Whoami struct {
	Name string    `json:"name"`
	Role auth.Role `json:"role"`
}

func (s *Server) whoami(w http.ResponseWriter, _ *http.Request, p auth.Principal) {
	writeJSON(w, http.StatusOK, Whoami{Name: p.Name, Role: p.Role})
}
