package httpapi

import (
	"net/http"

	"github.com/kds-io/kds/app/auth"
)

// authenticated runs next with the caller's principal, from the bearer
// token or, without an Authorization header, the dashboard's session
// cookie; a cookie-authenticated request that changes something must also
// pass the CSRF check (session.go).
func (s *Server) authenticated(next func(http.ResponseWriter, *http.Request, auth.Principal)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		raw, fromCookie, ok := credentials(r)
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="kds"`)
			s.writeError(w, r, auth.ErrUnauthenticated)
			return
		}
		if fromCookie && checkCSRF(r) != nil {
			s.refuseCrossSite(w, r)
			return
		}
		p, err := s.app.Tokens.Authenticate(r.Context(), raw)
		if lockout := s.authLimit.lockedOut(remoteAddr(r)); lockout != nil && !admit(p, err) {
			s.refuseLockedOut(w, lockout)
			return
		}
		if err != nil {
			s.authFailed(r, raw, err, "authentication failed")
			w.Header().Set("WWW-Authenticate", `Bearer realm="kds"`)
			s.writeError(w, r, err)
			return
		}
		next(w, r, p)
	}
}

// Whoami is who the token belongs to.
type Whoami struct {
	Name string    `json:"name"`
	Role auth.Role `json:"role"`
}

func (s *Server) whoami(w http.ResponseWriter, _ *http.Request, p auth.Principal) {
	writeJSON(w, http.StatusOK, Whoami{Name: p.Name, Role: p.Role})
}
