// Package httpapi is kds's HTTP API: JSON over HTTP for the CLI, the
// dashboard and scripts, with token authentication. Its Go client is
// apiclient.
package httpapi

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/kds-io/kds/adapters/httpapi/apiv1"
	"github.com/kds-io/kds/adapters/httpapi/authn"
	"github.com/kds-io/kds/adapters/httpapi/internal/httpjson"
	"github.com/kds-io/kds/app"
)

// maxBodyBytes bounds a request body; a batch of a thousand commands fits.
const maxBodyBytes = 1 << 20

// maxWait bounds how long a request may wait for an outcome.
const maxWait = 5 * time.Minute

// defaultBodyTimeout bounds how long a request's body may take to arrive.
// It is not http.Server's ReadTimeout: that one also ends the request's
// context once it passes, which would cut off event streams and long polls
// that read no body but run for minutes.
const defaultBodyTimeout = 10 * time.Second

// Check is one dependency readiness depends on.
type Check struct {
	Name string
	Fn   func(ctx context.Context) error
}

// Server answers the API.
type Server struct {
	app          app.Application
	events       *Broadcaster
	checks       []Check
	log          *slog.Logger
	mux          *http.ServeMux
	kafkaBrokers []string
	web          web // the dashboard, event streams and metrics: web.go
	// authn finds who a request comes from, as authConfig says.
	authn       *authn.Authenticator
	authConfig  authn.Config
	bodyTimeout time.Duration
	// allowedHosts are the names the API answers to besides IP addresses
	// and localhost (hosts.go).
	allowedHosts []string
	// metricsToken, when set, is a bearer token that may read /metrics
	// and nothing else (metrics.go).
	metricsToken string
}

// Option configures a Server.
type Option func(*Server)

// WithRequestBodyTimeout sets how long a request's body may take to
// arrive before the request is answered 408 and its connection closed;
// 10s by default.
func WithRequestBodyTimeout(d time.Duration) Option {
	return func(s *Server) {
		if d > 0 {
			s.bodyTimeout = d
		}
	}
}

// WithKafkaBrokers tells producers and consumers where Kafka is.
func WithKafkaBrokers(brokers []string) Option {
	return func(s *Server) { s.kafkaBrokers = brokers }
}

// WithAuthLimit limits failed authentications; without it they are not.
func WithAuthLimit(l authn.Limit) Option {
	return func(s *Server) { s.authConfig.Limit = l }
}

// WithSecureCookies marks the dashboard's cookies Secure even when a
// request came over plain HTTP, as it does behind a proxy that ends TLS
// (server.secure_cookies). Requests that came over TLS always get Secure
// cookies.
func WithSecureCookies(on bool) Option {
	return func(s *Server) { s.authConfig.SecureCookies = on }
}

// NewServer serves a, waking waiting requests with events from events;
// /readyz runs checks.
func NewServer(a app.Application, events *Broadcaster, checks []Check, log *slog.Logger, opts ...Option) *Server {
	s := &Server{app: a, events: events, checks: checks, log: log, mux: http.NewServeMux(), bodyTimeout: defaultBodyTimeout,
		web: web{keepAlive: defaultKeepAlive, rateInterval: defaultRateInterval}}
	for _, o := range opts {
		o(s)
	}
	s.initWeb()
	s.routes()
	return s
}

func (s *Server) routes() {
	s.mux.HandleFunc("GET /healthz", s.healthz)
	s.mux.HandleFunc("GET /readyz", s.readyz)

	s.mux.HandleFunc("GET /api/v1/whoami", s.authn.Require(s.whoami))
	s.mux.HandleFunc("GET /api/v1/topics", s.authn.Require(s.listTopics))
	s.mux.HandleFunc("POST /api/v1/topics", s.authn.Require(s.requestTopic))
	s.mux.HandleFunc("GET /api/v1/topics/{name}", s.authn.Require(s.showTopic))
	s.mux.HandleFunc("GET /api/v1/topics/{name}/history", s.authn.Require(s.topicHistory))
	s.mux.HandleFunc("POST /api/v1/topics/{name}/{action}", s.authn.Require(s.decideTopic))
	s.mux.HandleFunc("POST /api/v1/commands", s.authn.Require(s.issueCommands))
	s.mux.HandleFunc("GET /api/v1/commands", s.authn.Require(s.listCommands))
	s.mux.HandleFunc("GET /api/v1/commands/{id}", s.authn.Require(s.showCommand))
	s.mux.HandleFunc("POST /api/v1/tokens", s.authn.Require(s.createToken))
	s.mux.HandleFunc("GET /api/v1/tokens", s.authn.Require(s.listTokens))
	s.mux.HandleFunc("DELETE /api/v1/tokens/{id}", s.authn.Require(s.revokeToken))
	s.mux.HandleFunc("GET /api/v1/cluster", s.authn.Require(s.cluster))
	s.mux.HandleFunc("GET /api/v1/drift", s.authn.Require(s.drift))
	s.mux.HandleFunc("GET /api/v1/poison", s.authn.Require(s.listPoison))
	s.mux.HandleFunc("POST /api/v1/poison/{id}/requeue", s.authn.Require(s.requeuePoison))
	s.mux.HandleFunc("GET /api/v1/consumers", s.authn.Require(s.listConsumers))
	s.mux.HandleFunc("GET /api/v1/consumers/{id}", s.authn.Require(s.showConsumer))
	s.mux.HandleFunc("PUT /api/v1/consumers/{id}/subscriptions/{topic}", s.authn.Require(s.subscribe))
	s.mux.HandleFunc("DELETE /api/v1/consumers/{id}/subscriptions/{topic}", s.authn.Require(s.unsubscribe))
	s.mux.HandleFunc("PUT /api/v1/consumers/{id}/instances/{instance}", s.authn.Require(s.reportInstance))
	s.mux.HandleFunc("DELETE /api/v1/consumers/{id}/instances/{instance}", s.authn.Require(s.leaveInstance))
	// The dashboard: its session, its event stream, the page, the live
	// messages; and metrics.
	s.authn.Routes(s.mux)
	s.web.dashboard.Routes(s.mux)
	s.web.messages.Routes(s.mux)
	s.mux.HandleFunc("GET /metrics", s.metrics)
	s.mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		httpjson.Write(w, http.StatusNotFound, apiv1.ErrorBody{Error: fmt.Sprintf("no API route %s %s", r.Method, r.URL.Path)})
	})
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

// waitParam reads the wait query parameter: how long to wait for an outcome.
func waitParam(r *http.Request) (time.Duration, error) {
	v := r.URL.Query().Get("wait")
	if v == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 || d > maxWait {
		return 0, httpjson.BadRequest(fmt.Sprintf("wait=%q: want a duration from 0s to %s, such as 30s", v, maxWait))
	}
	return d, nil
}
