package httpapi

import (
	"net/http"
	"time"

	"github.com/kds-io/kds/app/auth"
)

// TokenRequest asks for a new API token.
type TokenRequest struct {
	Name string    `json:"name"`
	Role auth.Role `json:"role"`
	// Consumers are the consumer ids a consumer's token acts for; by
	// default the one that is its name.
	Consumers []string `json:"consumers,omitempty"`
}

// TokenView describes a token; Secret is only set when it is created.
type TokenView struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	Role      auth.Role  `json:"role"`
	Consumers []string   `json:"consumers,omitempty"`
	CreatedBy string     `json:"created_by"`
	CreatedAt time.Time  `json:"created_at"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
	LastUsed  *time.Time `json:"last_used,omitempty"`
	Secret    string     `json:"token,omitempty"`
}

func viewToken(t auth.Token) TokenView {
	return TokenView{ID: t.ID, Name: t.Name, Role: t.Role, Consumers: t.Consumers, CreatedBy: t.CreatedBy, CreatedAt: t.CreatedAt, RevokedAt: t.RevokedAt, LastUsed: t.LastUsed}
}

func (s *Server) createToken(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	var req TokenRequest
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
	views := make([]TokenView, len(toks))
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
