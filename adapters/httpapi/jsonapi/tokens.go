package jsonapi

import (
	"net/http"

	"github.com/kds-io/kds/adapters/httpapi/apiv1"
	"github.com/kds-io/kds/adapters/httpapi/internal/httpjson"
	"github.com/kds-io/kds/app/auth"
)

func viewToken(t auth.Token) apiv1.TokenView {
	return apiv1.TokenView{ID: t.ID, Name: t.Name, Role: t.Role, Consumers: t.Consumers, CreatedBy: t.CreatedBy, CreatedAt: t.CreatedAt, RevokedAt: t.RevokedAt, LastUsed: t.LastUsed, Bootstrap: t.Bootstrap}
}

func (api *API) createToken(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	var req apiv1.TokenRequest
	if err := httpjson.Decode(r, &req); err != nil {
		httpjson.WriteError(w, r, api.log, err)
		return
	}
	if _, err := auth.ParseRole(string(req.Role)); err != nil {
		httpjson.WriteError(w, r, api.log, httpjson.BadRequest(err.Error()))
		return
	}
	var (
		raw string
		tok auth.Token
	)
	// A topic that names the token's holder grants them access now.
	err := api.decideAccess(r.Context(), p, func() error {
		var err error
		raw, tok, err = api.app.Tokens.Create(r.Context(), p, req.Name, req.Role, req.Consumers...)
		return err
	})
	if err != nil {
		httpjson.WriteError(w, r, api.log, err)
		return
	}
	v := viewToken(tok)
	v.Secret = raw
	httpjson.Write(w, http.StatusCreated, v)
}

func (api *API) listTokens(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	toks, err := api.app.Tokens.List(r.Context(), p)
	if err != nil {
		httpjson.WriteError(w, r, api.log, err)
		return
	}
	views := make([]apiv1.TokenView, len(toks))
	for i, t := range toks {
		views[i] = viewToken(t)
	}
	httpjson.Write(w, http.StatusOK, views)
}

func (api *API) revokeToken(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	// The holder loses every grant and their SCRAM user before this
	// answers.
	if err := api.decideAccess(r.Context(), p, func() error { return api.app.Tokens.Revoke(r.Context(), p, r.PathValue("id")) }); err != nil {
		httpjson.WriteError(w, r, api.log, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (api *API) whoami(w http.ResponseWriter, _ *http.Request, p auth.Principal) {
	httpjson.Write(w, http.StatusOK, apiv1.Whoami{Name: p.Name, Role: p.Role})
}
