package httpapi

import (
	"net/http"

	"github.com/kds-io/kds/adapters/httpapi/internal/httpjson"
	"github.com/kds-io/kds/app/auth"
)

func (s *Server) listPoison(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	ms, err := s.app.Commands.Poison.List(r.Context(), p)
	if err != nil {
		httpjson.WriteError(w, r, s.log, err)
		return
	}
	httpjson.Write(w, http.StatusOK, httpjson.NonNil(ms))
}

func (s *Server) requeuePoison(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	m, err := s.app.Commands.Poison.Requeue(r.Context(), p, r.PathValue("id"))
	if err != nil {
		httpjson.WriteError(w, r, s.log, err)
		return
	}
	httpjson.Write(w, http.StatusOK, m)
}
