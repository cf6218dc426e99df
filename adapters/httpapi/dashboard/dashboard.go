// Package dashboard is kds's web dashboard: plain HTML, CSS and JavaScript
// embedded in the binary, with no build step and nothing fetched from
// elsewhere, so that it works offline; and the Server-Sent Events stream
// it follows, /api/v1/events, of kds.events and the message rates. The
// page talks to the API of the server that serves it; it signs in with
// authn's session routes.
package dashboard

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"github.com/kds-io/kds/adapters/httpapi/authn"
	"github.com/kds-io/kds/adapters/httpapi/live"
	"github.com/kds-io/kds/app/topic"
)

// Events are the lifecycle events this process reads.
type Events interface {
	// Listen returns a channel of events, of which a slow listener misses
	// some, and a function that stops them.
	Listen(buffer int) (<-chan topic.Event, func())
}

// Dashboard serves the page and its event stream.
type Dashboard struct {
	page      *page
	auth      *authn.Authenticator
	events    Events
	rates     *live.Rates // nil when the server reads no content
	keepAlive time.Duration
	// closing ends every stream when the server shuts down.
	closing <-chan struct{}
	log     *slog.Logger
	streams prometheus.Gauge
}

// New serves the page, and streams events and, unless rates is nil, the
// message rates; an idle stream gets a comment every keepAlive, and every
// stream ends when closing is closed. It registers its metrics with reg.
func New(au *authn.Authenticator, events Events, rates *live.Rates, keepAlive time.Duration, closing <-chan struct{},
	reg prometheus.Registerer, log *slog.Logger) *Dashboard {
	return &Dashboard{page: newPage(), auth: au, events: events, rates: rates, keepAlive: keepAlive, closing: closing, log: log,
		streams: promauto.With(reg).NewGauge(prometheus.GaugeOpts{
			Name: "kds_dashboard_event_streams",
			Help: "Open /api/v1/events streams.",
		})}
}

// Routes serves the event stream and, at / and /static/, the page.
func (d *Dashboard) Routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/v1/events", d.auth.RequireStream(d.streamEvents))
	mux.Handle("/", d.page)
}
