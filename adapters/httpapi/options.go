package httpapi

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kds-io/kds/adapters/httpapi/authn"
	"github.com/kds-io/kds/app/content"
)

// The defaults of the options.
const (
	// defaultBodyTimeout bounds how long a request's body may take to
	// arrive. It is not http.Server's ReadTimeout: that one also ends the
	// request's context once it passes, which would cut off event streams
	// and long polls that read no body but run for minutes.
	defaultBodyTimeout = 10 * time.Second
	// defaultKeepAlive is how often an idle event stream gets a comment.
	defaultKeepAlive = 15 * time.Second
	// defaultRateInterval is how often the message rates are read while a
	// dashboard is open.
	defaultRateInterval = 2 * time.Second
	// defaultUsageInterval is how often the topics' usage and the
	// subscriptions' lag are read.
	defaultUsageInterval = 10 * time.Second
)

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

// WithContent lets the dashboard read content: the newest messages of a
// topic (GET /api/v1/topics/{name}/messages) from follow, and the message
// rates of the active topics ("rates" events on /api/v1/events and
// kds_messages_produced_total) from produced. Without it neither is
// served.
func WithContent(follow content.Follower, produced content.ProducedCounter) Option {
	return func(s *Server) { s.follow, s.produced = follow, produced }
}

// WithRateInterval sets how often the message rates are read while a
// dashboard is open; 2s by default.
func WithRateInterval(d time.Duration) Option {
	return func(s *Server) {
		if d > 0 {
			s.rateInterval = d
		}
	}
}

// WithMetrics registers the API's metrics with reg and serves everything
// registered there at /metrics. Without it the server serves its own
// metrics only.
func WithMetrics(reg *prometheus.Registry) Option {
	return func(s *Server) { s.registry = reg }
}

// WithStreamKeepAlive sets how often an idle /api/v1/events stream gets a
// keep-alive comment; 15s by default.
func WithStreamKeepAlive(d time.Duration) Option {
	return func(s *Server) {
		if d > 0 {
			s.keepAlive = d
		}
	}
}

// WithUsage reads what the active topics hold and how far behind the live
// subscriptions are from reader, every usage interval from the start until
// EndStreams, and serves the latest reading at GET /api/v1/usage, GET
// /api/v1/topics/{name}/usage and /metrics. Without it none is served.
func WithUsage(reader content.UsageReader) Option {
	return func(s *Server) { s.usage = reader }
}

// WithUsageInterval sets how often the usage is read; 10s by default.
func WithUsageInterval(d time.Duration) Option {
	return func(s *Server) {
		if d > 0 {
			s.usageInterval = d
		}
	}
}

// WithBrowser serves pages of the active topics' messages, GET
// /api/v1/topics/{name}/records, read by browser. Without it none are.
func WithBrowser(browser content.Browser) Option {
	return func(s *Server) { s.browser = browser }
}
