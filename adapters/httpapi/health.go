package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/kds-io/kds/adapters/httpapi/apiv1"
	"github.com/kds-io/kds/adapters/httpapi/internal/httpjson"
)

// Check is one dependency readiness depends on.
type Check struct {
	Name string
	Fn   func(ctx context.Context) error
}

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	httpjson.Write(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readyz is ready only when every check passes: MySQL and Kafka answer
// and the roles run.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	rd := apiv1.Readiness{Ready: true, Checks: map[string]string{}}
	for _, c := range s.checks {
		if err := c.Fn(ctx); err != nil {
			rd.Ready = false
			rd.Checks[c.Name] = err.Error()
			continue
		}
		rd.Checks[c.Name] = "ok"
	}
	code := http.StatusOK
	if !rd.Ready {
		code = http.StatusServiceUnavailable
	}
	httpjson.Write(w, code, rd)
}
