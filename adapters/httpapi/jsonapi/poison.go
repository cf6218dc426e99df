package jsonapi

import (
	"net/http"

	"github.com/kds-io/kds/adapters/httpapi/internal/httpjson"
	"github.com/kds-io/kds/app/auth"
)

func (api *API) listPoison(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	ms, err := api.app.Commands.Poison.List(r.Context(), p)
	if err != nil {
		httpjson.WriteError(w, r, api.log, err)
		return
	}
	httpjson.Write(w, http.StatusOK, httpjson.NonNil(ms))
}

func (api *API) requeuePoison(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	m, err := api.app.Commands.Poison.Requeue(r.Context(), p, r.PathValue("id"))
	if err != nil {
		httpjson.WriteError(w, r, api.log, err)
		return
	}
	httpjson.Write(w, http.StatusOK, m)
}
