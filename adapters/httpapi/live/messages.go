// Package live is the dashboard's view of what flows through the active
// topics: the newest messages of a topic as they are written, the message
// rates, and the counts consumer processes report. It reads content
// through app/content's ports, so it knows no Kafka client.
package live

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"github.com/kds-io/kds/adapters/httpapi/apiv1"
	"github.com/kds-io/kds/adapters/httpapi/authn"
	"github.com/kds-io/kds/adapters/httpapi/internal/httpjson"
	"github.com/kds-io/kds/app/access"
	"github.com/kds-io/kds/app/auth"
	"github.com/kds-io/kds/app/content"
	"github.com/kds-io/kds/app/query"
	"github.com/kds-io/kds/app/topic"
)

// The live view's limits: each stream sends at most liveRate messages a
// second, and when more arrive it sends the newest and counts the others;
// a value is cut to liveValueMax bytes, since a page shows text, not
// megabytes.
const (
	liveRate     = 20
	liveBurst    = 5
	liveValueMax = 4 << 10
	// liveStartTimeout bounds waiting for Kafka before a stream starts.
	liveStartTimeout = 15 * time.Second
)

// Events are the lifecycle events this process reads.
type Events interface {
	// Listen returns a channel of events, of which a slow listener misses
	// some, and a function that stops them.
	Listen(buffer int) (<-chan topic.Event, func())
}

// Messages serves the live messages of topics, GET
// /api/v1/topics/{name}/messages: one read of a topic, through a
// content.Follower, shared by every stream that follows it.
type Messages struct {
	queries   query.Queries
	auth      *authn.Authenticator
	readers   Readers // nil: every role reads
	events    Events
	tails     *tails // nil without content to follow
	keepAlive time.Duration
	// closing ends every stream when the server shuts down.
	closing <-chan struct{}
	log     *slog.Logger
	streams prometheus.Gauge
}

// NewMessages follows topics with follow, or answers that it cannot when
// follow is nil, for whom readers lets read them (every role when readers
// is nil). An idle stream gets a comment every keepAlive; streams
// end when their topic leaves active, as events tell, or when closing is
// closed. It registers its metrics with reg.
func NewMessages(queries query.Queries, au *authn.Authenticator, readers Readers, events Events, follow content.Follower, keepAlive time.Duration,
	closing <-chan struct{}, reg prometheus.Registerer, log *slog.Logger) *Messages {
	m := &Messages{queries: queries, auth: au, readers: readers, events: events, keepAlive: keepAlive, closing: closing, log: log,
		streams: promauto.With(reg).NewGauge(prometheus.GaugeOpts{
			Name: "kds_dashboard_message_streams",
			Help: "Open /api/v1/topics/{name}/messages streams.",
		})}
	opened := promauto.With(reg).NewGauge(prometheus.GaugeOpts{
		Name: "kds_dashboard_message_tails",
		Help: "Topics read from Kafka for the dashboard's live messages: one per topic however many streams follow it.",
	})
	if follow != nil {
		m.tails = newTails(follow, liveBurst, log.With("component", "live-messages"), opened.Add)
	}
	return m
}

// Routes serves the live messages on mux.
func (m *Messages) Routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/v1/topics/{name}/messages", m.auth.RequireStream(m.stream))
}

var errNoKafka = errors.New("live messages are not available: this API server was started without a Kafka configuration")

// stream follows an active topic's newest messages as Server-Sent
// Events: "ready" once reading, then "message" events (apiv1.LiveMessage) at most
// liveRate a second with "skipped" counts in between, comments to keep it
// alive, and "end" when the topic is deactivated, the token or session
// the stream was opened with is no longer valid (ended), or the topic's
// grants changed and readers refuse the caller now. A topic that is
// not active is refused before the stream starts: 404 unknown, 409 not
// active.
func (m *Messages) stream(w http.ResponseWriter, r *http.Request, p auth.Principal, ended <-chan struct{}) {
	if err := auth.Authorize(p, auth.ReadTopics); err != nil {
		httpjson.WriteError(w, r, m.log, err)
		return
	}
	if m.tails == nil {
		httpjson.Write(w, http.StatusServiceUnavailable, apiv1.ErrorBody{Error: errNoKafka.Error()})
		return
	}
	name := r.PathValue("name")
	if err := requireActive(r.Context(), m.queries, p, name); err != nil {
		httpjson.WriteError(w, r, m.log, err)
		return
	}
	if err := mayRead(r.Context(), m.readers, p, name); err != nil {
		httpjson.WriteError(w, r, m.log, err)
		return
	}
	// Listen before reading, so that a deactivation during the start is
	// not missed.
	events, stopEvents := m.events.Listen(64)
	defer stopEvents()
	startCtx, cancel := context.WithTimeout(r.Context(), liveStartTimeout)
	tl, wt, err := m.tails.join(startCtx, name)
	cancel()
	if err != nil {
		if r.Context().Err() != nil {
			return
		}
		httpjson.WriteError(w, r, m.log, err)
		return
	}
	defer m.tails.leave(tl, wt)
	m.streams.Inc()
	defer m.streams.Dec()

	es := httpjson.StartEventStream(w)
	start, _ := json.Marshal(apiv1.LiveStart{Topic: name, MaxPerSecond: liveRate})
	if !es.Send("retry: 2000\n: kds live messages\n\n") || !es.Event("ready", start) {
		return
	}
	// Each message sent spends one gap: liveRate a second on average, in
	// bursts of at most liveBurst.
	gap := time.Second / liveRate
	next := time.Now()
	pause := time.NewTimer(0)
	defer pause.Stop()
	keepAlive := time.NewTicker(m.keepAlive)
	defer keepAlive.Stop()
	for {
		select {
		case <-wt.wake:
		case ev := <-events:
			if ev.Topic == name && (ev.Type == topic.TopicDeactivated || ev.Type == topic.TopicDeleted) {
				end, _ := json.Marshal(apiv1.LiveEnd{Reason: "topic " + name + " was deactivated by " + ev.Actor + "; live messages are shown for active topics only"})
				es.Event("end", end)
				return
			}
			if ev.Topic == name && ev.Type == topic.TopicAccessChanged {
				if err := m.refusal(r.Context(), p, name); err != nil {
					end, _ := json.Marshal(apiv1.LiveEnd{Reason: err.Error()})
					es.Event("end", end)
					return
				}
			}
			continue
		case <-keepAlive.C:
			if !es.Send(": keep-alive\n\n") {
				return
			}
			continue
		case <-ended:
			end, _ := json.Marshal(apiv1.LiveEnd{Reason: "the token or session this view was opened with is no longer valid"})
			es.Event("end", end)
			return
		case <-r.Context().Done():
			return
		case <-m.closing:
			return
		}
		if d := time.Until(next); d > 0 {
			pause.Reset(d)
			select {
			case <-pause.C:
			case <-r.Context().Done():
				return
			case <-m.closing:
				return
			}
		}
		msgs, skipped := wt.take()
		if skipped > 0 {
			b, _ := json.Marshal(apiv1.LiveSkipped{Skipped: skipped})
			if !es.Event("skipped", b) {
				return
			}
		}
		for _, msg := range msgs {
			b, err := json.Marshal(liveMessage(msg))
			if err != nil {
				m.log.Error("encode a live message", "topic", name, "err", err)
				continue
			}
			if !es.Event("message", b) {
				return
			}
		}
		next = time.Now().Add(time.Duration(len(msgs)) * gap)
		keepAlive.Reset(m.keepAlive)
	}
}

// refusal is why p may no longer read name once its grants changed, or
// nil; a check that fails for another reason (MySQL unreachable) keeps
// the stream, which was allowed when it opened.
func (m *Messages) refusal(ctx context.Context, p auth.Principal, name string) error {
	err := mayRead(ctx, m.readers, p, name)
	var refused *access.ReadRefusedError
	if errors.As(err, &refused) {
		return err
	}
	if err != nil {
		m.log.Warn("check a live stream's reader", "topic", name, "err", err)
	}
	return nil
}

// liveMessage is a message as the live view shows it, its long value cut
// at a character boundary.
func liveMessage(m content.Message) apiv1.LiveMessage {
	lm := apiv1.LiveMessage{Message: m, Size: len(m.Value)}
	if len(lm.Value) > liveValueMax {
		cut := liveValueMax
		for cut > 0 && !utf8.RuneStart(lm.Value[cut]) {
			cut--
		}
		lm.Value, lm.Truncated = lm.Value[:cut], true
	}
	return lm
}
