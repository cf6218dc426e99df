package httpapi

import (
	"net/http"

	"github.com/kds-io/kds/adapters/httpapi/apiv1"
	"github.com/kds-io/kds/app/auth"
)

func viewToken(t auth.Token) apiv1.TokenView {
	return apiv1.TokenView{ID: t.ID, Name: t.Name, Role: t.Role, Consumers: t.Consumers, CreatedBy: t.CreatedBy, CreatedAt: t.CreatedAt, RevokedAt: t.RevokedAt, LastUsed: t.LastUsed}
}

func (s *Server) createToken(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	var req apiv1.TokenRequest
	if err := decode(r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	if _, err := auth.ParseRole(string(req.Role)); err != nil {
		s.writeError(w, r, badRequest(err.Error()))
		return
	}
	raw, tok, err := s.app.Tokens.Create(r.Context(), p, req.Name, req.Role, req.Consumers...)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	v := viewToken(tok)
	v.Secret = raw
	writeJSON(w, http.StatusCreated, v)
}

func (s *Server) listTokens(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	toks, err := s.app.Tokens.List(r.Context(), p)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	views := make([]apiv1.TokenView, len(toks))
	for i, t := range toks {
		views[i] = viewToken(t)
	}
	writeJSON(w, http.StatusOK, views)
}

func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	if err := s.app.Tokens.Revoke(r.Context(), p, r.PathValue("id")); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
