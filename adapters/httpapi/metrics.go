package httpapi

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/kds-io/kds/adapters/httpapi/authn"
	"github.com/kds-io/kds/adapters/httpapi/internal/httpjson"
	"github.com/kds-io/kds/app/auth"
	"github.com/kds-io/kds/app/command"
)

// apiMetrics counts what the API does.
type apiMetrics struct {
	issued *prometheus.CounterVec
}

func newAPIMetrics(reg prometheus.Registerer) *apiMetrics {
	return &apiMetrics{
		issued: register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kds_commands_issued_total",
			Help: "Commands issued through the API, by type and outcome: queued, refused (bad input or an illegal move), forbidden (the role may not) or error.",
		}, []string{"type", "outcome"})),
	}
}

// register registers c, or returns the collector already registered in
// its place, so that servers may share a registry.
func register[C prometheus.Collector](reg prometheus.Registerer, c C) C {
	if err := reg.Register(c); err != nil {
		var already prometheus.AlreadyRegisteredError
		if errors.As(err, &already) {
			if existing, ok := already.ExistingCollector.(C); ok {
				return existing
			}
		}
		panic(fmt.Sprintf("register metric: %v", err))
	}
	return c
}

// issuedTypes are the command types the API issues; anything else a
// client sends is counted as "unknown", so that clients cannot mint
// label values.
var issuedTypes = map[command.Type]bool{
	command.RequestTopicType: true, command.ApproveTopicType: true,
	command.RejectTopicType: true, command.DeactivateTopicType: true,
}

// commandsIssued counts issues, all queued or all refused with err.
func (m *apiMetrics) commandsIssued(err error, issues ...command.Issue) {
	outcome := "queued"
	if err != nil {
		switch code := httpjson.Status(err); {
		case code == http.StatusUnauthorized || code == http.StatusForbidden:
			outcome = "forbidden"
		case code >= 500:
			outcome = "error"
		default:
			outcome = "refused"
		}
	}
	for _, is := range issues {
		t := string(is.Type)
		if !issuedTypes[is.Type] {
			t = "unknown"
		}
		m.issued.WithLabelValues(t, outcome).Inc()
	}
}

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
	serve := promhttp.HandlerFor(s.web.registry, promhttp.HandlerOpts{
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
