package httpapi

import (
	"crypto/subtle"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/kds-io/kds/adapters/httpapi/authn"
	"github.com/kds-io/kds/adapters/httpapi/internal/httpjson"
	"github.com/kds-io/kds/app/auth"
)

// WithMetricsToken lets a bearer token read /metrics and nothing else
// (auth.metrics_token), for a Prometheus that should hold no API token.
func WithMetricsToken(token string) Option {
	return func(s *Server) { s.metricsToken = token }
}

// metrics serves the registry in Prometheus's text format to the metrics
// token, or to any caller who may read topics: the metrics name topics
// and count what flows through them. A collector that fails is logged and
// left out, and the rest is served.
func (s *Server) metrics(w http.ResponseWriter, r *http.Request) {
	serve := promhttp.HandlerFor(s.registry, promhttp.HandlerOpts{
		ErrorLog:      promLogger{s.log},
		ErrorHandling: promhttp.ContinueOnError,
	})
	if token, ok := authn.BearerToken(r); ok && s.metricsToken != "" &&
		subtle.ConstantTimeCompare([]byte(token), []byte(s.metricsToken)) == 1 {
		serve.ServeHTTP(w, r)
		return
	}
	s.authn.Require(func(w http.ResponseWriter, r *http.Request, p auth.Principal) {
		if err := auth.Authorize(p, auth.ReadTopics); err != nil {
			httpjson.WriteError(w, r, s.log, err)
			return
		}
		serve.ServeHTTP(w, r)
	})(w, r)
}

type promLogger struct{ log *slog.Logger }

func (l promLogger) Println(v ...any) { l.log.Warn("metrics", "err", fmt.Sprint(v...)) }
