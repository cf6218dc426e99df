package authn

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/kds-io/kds/adapters/httpapi/apiv1"
	"github.com/kds-io/kds/adapters/httpapi/internal/httpjson"
)

// The dashboard's session: a random session id in an HttpOnly cookie that
// scripts cannot read, kept by the server (auth.Sessions) and never the
// token itself, and a CSRF value in a cookie that the page's scripts echo
// in a header on every request that changes something. A cross-site page
// can make the browser send the cookies (SameSite=Strict already stops
// most of that) but can neither read the CSRF cookie nor set the header.
const (
	sessionCookie = "kds_session"
	csrfCookie    = "kds_csrf"
	csrfHeader    = "X-CSRF-Token"
)

// Routes serves the dashboard's sign-in (POST /api/v1/session) and
// sign-out (DELETE /api/v1/session).
func (a *Authenticator) Routes(mux *http.ServeMux) {
	mux.HandleFunc("POST /api/v1/session", a.signIn)
	mux.HandleFunc("DELETE /api/v1/session", a.signOut)
}

// errCrossSite refuses a cookie-authenticated request that did not come
// from a page of this server.
var errCrossSite = errors.New("request refused: a request authenticated by the session cookie must come from this server's page (Origin) and carry the " + csrfHeader + " header")

// credentials finds what the caller authenticates with: the bearer token
// of the Authorization header when there is one, otherwise the session
// cookie's id.
func credentials(r *http.Request) (credential, bool) {
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, raw, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			return credential{}, false
		}
		return credential{secret: strings.TrimSpace(raw)}, true
	}
	if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" {
		return credential{secret: c.Value, session: true}, true
	}
	return credential{}, false
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
func (a *Authenticator) refuseCrossSite(w http.ResponseWriter, r *http.Request) {
	a.log.Warn("cross-site request refused", "method", r.Method, "path", r.URL.Path, "remote", r.RemoteAddr)
	httpjson.Write(w, http.StatusForbidden, apiv1.ErrorBody{Error: errCrossSite.Error()})
}

// signIn checks the token and starts a session, whose id goes in the
// session cookie.
func (a *Authenticator) signIn(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if sameOrigin(r) != nil {
		a.refuseCrossSite(w, r)
		return
	}
	var req apiv1.SessionRequest
	if err := httpjson.Decode(r, &req); err != nil {
		httpjson.WriteError(w, r, a.log, err)
		return
	}
	token := credential{secret: strings.TrimSpace(req.Token)}
	if lockout := a.limit.lockedOut(remoteAddr(r)); lockout != nil {
		if p, err := a.principal(r.Context(), token); !admit(token, p, err) {
			a.refuseLockedOut(w, lockout)
			return
		}
	}
	id, p, err := a.sessions.SignIn(r.Context(), token.secret)
	if err != nil {
		a.signedIn(err)
		a.authFailed(r, token.secret, err, "sign-in refused")
		httpjson.WriteError(w, r, a.log, err)
		return
	}
	csrf, err := newCSRFValue()
	if err != nil {
		httpjson.WriteError(w, r, a.log, err)
		return
	}
	secure := a.secureCookies || r.TLS != nil
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: id, Path: "/", HttpOnly: true, Secure: secure, SameSite: http.SameSiteStrictMode})
	http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: csrf, Path: "/", Secure: secure, SameSite: http.SameSiteStrictMode})
	a.signedIn(nil)
	a.log.Info("signed in", "name", p.Name, "role", p.Role, "remote", r.RemoteAddr)
	httpjson.Write(w, http.StatusOK, apiv1.Whoami{Name: p.Name, Role: p.Role})
}

// signOut ends the session and expires both cookies.
func (a *Authenticator) signOut(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if sameOrigin(r) != nil {
		a.refuseCrossSite(w, r)
		return
	}
	if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" {
		if err := a.sessions.SignOut(r.Context(), c.Value); err != nil {
			httpjson.WriteError(w, r, a.log, err)
			return
		}
	}
	secure := a.secureCookies || r.TLS != nil
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: secure, SameSite: http.SameSiteStrictMode})
	http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: "", Path: "/", MaxAge: -1, Secure: secure, SameSite: http.SameSiteStrictMode})
	w.WriteHeader(http.StatusNoContent)
}

// signedIn counts a sign-in, refused with err when it is not nil.
func (a *Authenticator) signedIn(err error) {
	outcome := "ok"
	if err != nil {
		outcome = "refused"
		if httpjson.Status(err) >= 500 {
			outcome = "error"
		}
	}
	a.signIns.WithLabelValues(outcome).Inc()
}

func newCSRFValue() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}
