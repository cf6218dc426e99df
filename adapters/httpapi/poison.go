package httpapi

import (
	"net/http"

	"github.com/kds-io/kds/app/auth"
)

func (s *Server) listPoison(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	ms, err := s.app.Commands.Poison.List(r.Context(), p)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, nonNilSlice(ms))
}

func (s *Server) requeuePoison(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	m, err := s.app.Commands.Poison.Requeue(r.Context(), p, r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, m)
}
