// Package httpapi is the HTTP server of kds's api role: one http.Handler
// for the CLI, scripts and the dashboard, composed of parts that change
// apart, each in a package of its own:
//
//   - jsonapi, the JSON API under /api/v1, over app and nothing else of kds;
//   - authn, who a request comes from: API tokens, the dashboard's sessions
//     and their CSRF rule, the lockout of addresses that keep failing;
//   - dashboard, the page and the event stream it follows;
//   - live, the live view of what flows through topics, read through
//     app/content's ports.
//
// This package composes them and holds what applies to every request: the
// Host check, the security headers and the limits on request bodies; and
// /healthz, /readyz and /metrics. It imports no other adapter: what it
// needs of MySQL and Kafka comes through app's ports, the readiness
// checks, the metrics registry and the Broadcaster that cmd/kds wires.
// Its Go client is apiclient; apiv1 holds the bodies both speak.
package httpapi

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kds-io/kds/adapters/httpapi/apiv1"
	"github.com/kds-io/kds/adapters/httpapi/authn"
	"github.com/kds-io/kds/adapters/httpapi/dashboard"
	"github.com/kds-io/kds/adapters/httpapi/internal/httpjson"
	"github.com/kds-io/kds/adapters/httpapi/jsonapi"
	"github.com/kds-io/kds/adapters/httpapi/live"
	"github.com/kds-io/kds/app"
	"github.com/kds-io/kds/app/content"
)

// maxBodyBytes bounds a request body; a batch of a thousand commands fits.
const maxBodyBytes = 1 << 20

// Server is the api role's HTTP handler.
type Server struct {
	log    *slog.Logger
	mux    *http.ServeMux
	checks []Check // health.go
	authn  *authn.Authenticator
	// closing ends every stream when the server shuts down (EndStreams).
	closing   chan struct{}
	closeOnce sync.Once

	// What the options set (options.go).
	registry      *prometheus.Registry
	authConfig    authn.Config
	bodyTimeout   time.Duration
	allowedHosts  []string // hosts.go
	metricsToken  string   // metrics.go
	kafkaBrokers  []string
	keepAlive     time.Duration
	follow        content.Follower
	produced      content.ProducedCounter
	rateInterval  time.Duration
	usage         content.UsageReader
	browser       content.Browser
	usageInterval time.Duration
}

// NewServer serves a, waking waiting requests and the dashboard's streams
// with the events of events; /readyz runs checks.
func NewServer(a app.Application, events *Broadcaster, checks []Check, log *slog.Logger, opts ...Option) *Server {
	s := &Server{log: log, mux: http.NewServeMux(), checks: checks, closing: make(chan struct{}),
		bodyTimeout: defaultBodyTimeout, keepAlive: defaultKeepAlive, rateInterval: defaultRateInterval, usageInterval: defaultUsageInterval}
	for _, o := range opts {
		o(s)
	}
	if s.registry == nil {
		s.registry = prometheus.NewRegistry()
	}
	s.authn = authn.New(a.Tokens, a.Sessions, s.authConfig, s.registry, log)
	// The message rates and the consumed counts are of the active topics,
	// which both read from one list.
	active := live.NewActiveTopics(a.Queries, events.Transitions)
	var rates *live.Rates
	if s.follow != nil {
		rates = live.NewRates(s.produced, active, s.rateInterval, s.registry, log.With("component", "message-rates"))
	}

	s.mux.HandleFunc("GET /healthz", s.healthz)
	s.mux.HandleFunc("GET /readyz", s.readyz)
	s.mux.HandleFunc("GET /metrics", s.metrics)
	s.authn.Routes(s.mux)
	jsonapi.New(a, s.authn, events, live.NewConsumption(active, s.registry, log), s.kafkaBrokers, s.registry, log).Routes(s.mux)
	dashboard.New(s.authn, events, rates, s.keepAlive, s.closing, s.registry, log).Routes(s.mux)
	// With managed ACLs the API reads content only for those kds's grants
	// let use the topic, and admins; otherwise for every role.
	var readers live.Readers
	if a.Access != nil {
		readers = a.Access
	}
	live.NewMessages(a.Queries, s.authn, readers, events, s.follow, s.keepAlive, s.closing, s.registry, log).Routes(s.mux)
	if s.browser != nil {
		live.BrowseRoutes(s.mux, a.Queries, s.authn, readers, s.browser, log)
	}
	if s.usage != nil {
		usage := live.NewUsage(s.usage, active, a.Queries, s.usageInterval, s.registry, log.With("component", "usage"))
		usage.UsageRoutes(s.mux, s.authn, log)
		ctx, stop := context.WithCancel(context.Background())
		go func() {
			<-s.closing
			stop()
		}()
		go usage.Run(ctx)
	}
	s.mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		httpjson.Write(w, http.StatusNotFound, apiv1.ErrorBody{Error: fmt.Sprintf("no API route %s %s", r.Method, r.URL.Path)})
	})
	return s
}

// EndStreams ends every event stream, now and from now on, so that a
// graceful shutdown need not wait for browsers to leave; pass it to
// http.Server.RegisterOnShutdown.
func (s *Server) EndStreams() {
	s.closeOnce.Do(func() { close(s.closing) })
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	setSecurityHeaders(w.Header())
	if !s.hostAllowed(r) {
		s.refuseHost(w, r)
		return
	}
	if r.Body != nil && r.Body != http.NoBody {
		rc := http.NewResponseController(w)
		// Where the connection does not support deadlines (tests that call
		// the handler directly) there is no slow client to cut off.
		if err := rc.SetReadDeadline(time.Now().Add(s.bodyTimeout)); err == nil {
			r.Body = &deadlineBody{ReadCloser: r.Body, rc: rc}
		}
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
	s.mux.ServeHTTP(w, r)
}

// deadlineBody lifts the body's read deadline once the body is read, so
// that the server's watch for the client going away, which starts then,
// does not end the request when a handler works past the deadline.
type deadlineBody struct {
	io.ReadCloser
	rc   *http.ResponseController
	read bool
}

func (b *deadlineBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF && !b.read {
		b.read = true
		_ = b.rc.SetReadDeadline(time.Time{})
	}
	return n, err
}
