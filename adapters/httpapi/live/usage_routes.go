package live

import (
	"log/slog"
	"net/http"

	"github.com/kds-io/kds/adapters/httpapi/authn"
	"github.com/kds-io/kds/adapters/httpapi/internal/httpjson"
	"github.com/kds-io/kds/app/auth"
)

// UsageRoutes serves the usage readings: GET /api/v1/usage, every active
// topic and live subscription (with ?history=1 the last hour of the busy
// topics), and GET /api/v1/topics/{name}/usage, one
// active topic with its history. Any role may read them.
func (u *Usage) UsageRoutes(mux *http.ServeMux, au *authn.Authenticator, log *slog.Logger) {
	mux.HandleFunc("GET /api/v1/usage", au.Require(func(w http.ResponseWriter, r *http.Request, p auth.Principal) {
		if err := auth.Authorize(p, auth.ReadTopics); err != nil {
			httpjson.WriteError(w, r, log, err)
			return
		}
		report, err := u.Report(r.Context())
		if err != nil {
			httpjson.WriteError(w, r, log, err)
			return
		}
		if r.URL.Query().Get("history") == "1" {
			report.History = u.BusyHistory()
		}
		httpjson.Write(w, http.StatusOK, report)
	}))
	mux.HandleFunc("GET /api/v1/topics/{name}/usage", au.Require(func(w http.ResponseWriter, r *http.Request, p auth.Principal) {
		name := r.PathValue("name")
		if err := requireActive(r.Context(), u.queries, p, name); err != nil {
			httpjson.WriteError(w, r, log, err)
			return
		}
		report, err := u.Topic(r.Context(), name)
		if err != nil {
			httpjson.WriteError(w, r, log, err)
			return
		}
		httpjson.Write(w, http.StatusOK, report)
	}))
}
