package httpapi

import (
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kds-io/kds/adapters/httpapi/authn"
	"github.com/kds-io/kds/adapters/httpapi/dashboard"
	"github.com/kds-io/kds/adapters/httpapi/live"
	"github.com/kds-io/kds/app/content"
)

// contentSecurityPolicy lets a page from kds load only kds's own files and
// talk only to kds: no inline scripts or styles, no frames around it, and
// Trusted Types, under which assigning a string to innerHTML throws, so
// that untrusted text can only ever reach the page as text.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; " +
	"connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; " +
	"frame-ancestors 'none'; require-trusted-types-for 'script'; trusted-types 'none'"

// setSecurityHeaders is set on every answer, the API's JSON included: none
// of it is meant to be framed, sniffed or followed by a Referer.
func setSecurityHeaders(h http.Header) {
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
}

// The defaults of the options: how often an idle event stream gets a
// comment, and how often the message rates are read while a dashboard is
// open.
const (
	defaultKeepAlive    = 15 * time.Second
	defaultRateInterval = 2 * time.Second
)

// web is what serves people rather than scripts: the dashboard, the event
// streams it follows, and the metrics.
type web struct {
	dashboard *dashboard.Dashboard
	keepAlive time.Duration
	registry  *prometheus.Registry
	metrics   *apiMetrics
	// closing ends every event stream when the server shuts down.
	closing   chan struct{}
	closeOnce sync.Once

	// Content, when the server reads it: the live messages, and the
	// message rates.
	follow       content.Follower
	produced     content.ProducedCounter
	rateInterval time.Duration
	messages     *live.Messages
	rates        *live.Rates // nil without content
	// consumed counts what consumer processes report, of the active
	// topics.
	consumed *live.Consumption
}

// WithContent lets the dashboard read content: the newest messages of a
// topic (GET /api/v1/topics/{name}/messages) from follow, and the message
// rates of the active topics ("rates" events on /api/v1/events and
// kds_messages_produced_total) from produced. Without it neither is
// served.
func WithContent(follow content.Follower, produced content.ProducedCounter) Option {
	return func(s *Server) { s.web.follow, s.web.produced = follow, produced }
}

// WithRateInterval sets how often the message rates are read while a
// dashboard is open; 2s by default.
func WithRateInterval(d time.Duration) Option {
	return func(s *Server) {
		if d > 0 {
			s.web.rateInterval = d
		}
	}
}

// WithMetrics registers the API's metrics with reg and serves everything
// registered there at /metrics. Without it the server serves its own
// metrics only.
func WithMetrics(reg *prometheus.Registry) Option {
	return func(s *Server) { s.web.registry = reg }
}

// WithStreamKeepAlive sets how often an idle /api/v1/events stream gets a
// keep-alive comment; 15s by default.
func WithStreamKeepAlive(d time.Duration) Option {
	return func(s *Server) {
		if d > 0 {
			s.web.keepAlive = d
		}
	}
}

// initWeb builds what serves the dashboard, once the options are applied.
func (s *Server) initWeb() {
	s.web.closing = make(chan struct{})
	if s.web.registry == nil {
		s.web.registry = prometheus.NewRegistry()
	}
	s.web.metrics = newAPIMetrics(s.web.registry)
	s.authn = authn.New(s.app.Tokens, s.app.Sessions, s.authConfig, s.web.registry, s.log)
	active := live.NewActiveTopics(s.app.Queries, s.events.Transitions)
	s.web.consumed = live.NewConsumption(active, s.web.registry, s.log)
	if s.web.follow != nil {
		s.web.rates = live.NewRates(s.web.produced, active, s.web.rateInterval, s.web.registry, s.log.With("component", "message-rates"))
	}
	s.web.messages = live.NewMessages(s.app.Queries, s.authn, s.events, s.web.follow, s.web.keepAlive, s.web.closing, s.web.registry, s.log)
	s.web.dashboard = dashboard.New(s.authn, s.events, s.web.rates, s.web.keepAlive, s.web.closing, s.web.registry, s.log)
}

// EndStreams ends every event stream, now and from now on, so that a
// graceful shutdown need not wait for browsers to leave; pass it to
// http.Server.RegisterOnShutdown.
func (s *Server) EndStreams() {
	s.web.closeOnce.Do(func() { close(s.web.closing) })
}
