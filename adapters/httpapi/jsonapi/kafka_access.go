package jsonapi

import (
	"context"
	"net/http"

	"github.com/kds-io/kds/adapters/httpapi/internal/httpjson"
	"github.com/kds-io/kds/app/access"
	"github.com/kds-io/kds/app/auth"
)

// kafkaCredentials hands the caller its own Kafka login, never another's.
func (api *API) kafkaCredentials(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	if api.app.Access == nil {
		httpjson.WriteError(w, r, api.log, httpjson.ErrACLsNotManaged)
		return
	}
	c, err := api.app.Access.Credentials(r.Context(), p)
	if err != nil {
		httpjson.WriteError(w, r, api.log, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	httpjson.Write(w, http.StatusOK, c)
}

// listAccess lists who may write and read each topic, as kds decided.
func (api *API) listAccess(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	if err := auth.Authorize(p, auth.ReadTopics); err != nil {
		httpjson.WriteError(w, r, api.log, err)
		return
	}
	if api.app.Access == nil {
		httpjson.WriteError(w, r, api.log, httpjson.ErrACLsNotManaged)
		return
	}
	grants, err := api.app.Access.Grants(r.Context())
	if err != nil {
		httpjson.WriteError(w, r, api.log, err)
		return
	}
	if grants == nil {
		grants = map[string][]access.Grant{}
	}
	httpjson.Write(w, http.StatusOK, grants)
}

// decideAccess makes a change by p and, when kds manages Kafka's ACLs,
// brings them in line before it returns.
func (api *API) decideAccess(ctx context.Context, p auth.Principal, change func() error) error {
	if api.app.Access == nil {
		return change()
	}
	_, err := api.app.Access.ConvergeAfter(ctx, p.Name, change)
	return err
}
