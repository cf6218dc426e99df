package httpapi

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strings"
)

// The dashboard's session: the token in an HttpOnly cookie that scripts
// cannot read, and a CSRF value in a cookie that the page's scripts echo
// in a header on every request that changes something. A cross-site page
// can make the browser send the cookies (SameSite=Strict already stops
// most of that) but can neither read the CSRF cookie nor set the header.
const (
	sessionCookie = "kds_session"
	csrfCookie    = "kds_csrf"
	csrfHeader    = "X-CSRF-Token"
)

// SessionRequest signs in to the dashboard with an API token.
type SessionRequest struct {
	Token string `json:"token"`
}

// errCrossSite refuses a cookie-authenticated request that did not come
// from a page of this server.
var errCrossSite = errors.New("request refused: a request authenticated by the session cookie must come from this server's page (Origin) and carry the " + csrfHeader + " header")

// credentials finds the caller's token: the Authorization header when
// there is one, otherwise the session cookie.
func credentials(r *http.Request) (raw string, fromCookie, ok bool) {
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, raw, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			return "", false, false
		}
		return strings.TrimSpace(raw), false, true
	}
	if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" {
		return c.Value, true, true
	}
	return "", false, false
}

// checkCSRF lets a cookie-authenticated request through when it only
// reads, or when it comes from this server's page: its Origin, if any, is
// this server, and it echoes the CSRF cookie in the header.
func checkCSRF(r *http.Request) error {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return nil
	}
	if err := sameOrigin(r); err != nil {
		return err
	}
	c, err := r.Cookie(csrfCookie)
	if err != nil || c.Value == "" {
		return errCrossSite
	}
	got := r.Header.Get(csrfHeader)
	if got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(c.Value)) != 1 {
		return errCrossSite
	}
	return nil
}

// sameOrigin refuses a request whose Origin header names another host.
func sameOrigin(r *http.Request) error {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return nil
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" || !strings.EqualFold(u.Host, r.Host) {
		return errCrossSite
	}
	return nil
}

// refuseCrossSite answers 403 without saying more than errCrossSite does.
func (s *Server) refuseCrossSite(w http.ResponseWriter, r *http.Request) {
	s.log.Warn("cross-site request refused", "method", r.Method, "path", r.URL.Path, "remote", r.RemoteAddr)
	writeJSON(w, http.StatusForbidden, ErrorBody{Error: errCrossSite.Error()})
}

// signIn checks the token and keeps it in the session cookie.
func (s *Server) signIn(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if sameOrigin(r) != nil {
		s.refuseCrossSite(w, r)
		return
	}
	var req SessionRequest
	if err := decode(r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	token := strings.TrimSpace(req.Token)
	p, err := s.app.Tokens.Authenticate(r.Context(), token)
	if lockout := s.authLimit.lockedOut(remoteAddr(r)); lockout != nil && !admit(p, err) {
		s.refuseLockedOut(w, lockout)
		return
	}
	if err != nil {
		s.web.metrics.signIn(err)
		s.authFailed(r, token, err, "sign-in refused")
		s.writeError(w, r, err)
		return
	}
	if !cookieSafe(token) {
		err := badRequest("this token cannot be kept in a cookie; sign in with a token made by kds token create")
		s.web.metrics.signIn(err)
		s.writeError(w, r, err)
		return
	}
	csrf, err := newCSRFValue()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	secure := r.TLS != nil
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: token, Path: "/", HttpOnly: true, Secure: secure, SameSite: http.SameSiteStrictMode})
	http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: csrf, Path: "/", Secure: secure, SameSite: http.SameSiteStrictMode})
	s.web.metrics.signIn(nil)
	s.log.Info("signed in", "name", p.Name, "role", p.Role, "remote", r.RemoteAddr)
	writeJSON(w, http.StatusOK, Whoami{Name: p.Name, Role: p.Role})
}

// signOut expires both cookies.
func (s *Server) signOut(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if sameOrigin(r) != nil {
		s.refuseCrossSite(w, r)
		return
	}
	secure := r.TLS != nil
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: secure, SameSite: http.SameSiteStrictMode})
	http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: "", Path: "/", MaxAge: -1, Secure: secure, SameSite: http.SameSiteStrictMode})
	w.WriteHeader(http.StatusNoContent)
}

// cookieSafe reports whether s can be a cookie value as it is: kds's
// tokens always can; a bootstrap token chosen by hand might not.
func cookieSafe(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || c == '"' || c == ',' || c == ';' || c == '\\' {
			return false
		}
	}
	return s != ""
}

func newCSRFValue() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}
