package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kds-io/kds/adapters/httpapi/apiv1"
	"github.com/kds-io/kds/adapters/httpapi/internal/httpjson"
	"github.com/kds-io/kds/app/auth"
	"github.com/kds-io/kds/app/content"
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

// initContent builds the live view and the rates when the server reads
// content.
func (s *Server) initContent() {
	if s.web.follow == nil {
		return
	}
	s.web.tails = newTails(s.web.follow, liveBurst, s.log.With("component", "live-messages"), s.web.metrics.tails.Add)
	s.web.rates = newRateSampler(s.web.produced.Produced, s.web.active.get, s.web.rateInterval, s.log.With("component", "message-rates"))
	register(s.web.registry, prometheus.Collector(producedCollector{s.web.rates}))
}

var errNoKafka = errors.New("live messages are not available: this API server was started without a Kafka configuration")

// streamMessages follows an active topic's newest messages as Server-Sent
// Events: "ready" once reading, then "message" events (apiv1.LiveMessage) at most
// liveRate a second with "skipped" counts in between, comments to keep it
// alive, and "end" when the topic is deactivated or the token or session
// the stream was opened with is no longer valid (ended). A topic that is
// not active is refused before the stream starts: 404 unknown, 409 not
// active.
func (s *Server) streamMessages(w http.ResponseWriter, r *http.Request, p auth.Principal, ended <-chan struct{}) {
	if err := auth.Authorize(p, auth.ReadTopics); err != nil {
		httpjson.WriteError(w, r, s.log, err)
		return
	}
	if s.web.tails == nil {
		httpjson.Write(w, http.StatusServiceUnavailable, apiv1.ErrorBody{Error: errNoKafka.Error()})
		return
	}
	name := r.PathValue("name")
	t, err := s.app.Queries.Topic(r.Context(), p, name)
	if err != nil {
		httpjson.WriteError(w, r, s.log, err)
		return
	}
	if t.Status != topic.Active {
		httpjson.WriteError(w, r, s.log, &content.NotActiveError{Topic: name, Status: t.Status})
		return
	}
	// Listen before reading, so that a deactivation during the start is
	// not missed.
	events, stopEvents := s.events.Listen(64)
	defer stopEvents()
	startCtx, cancel := context.WithTimeout(r.Context(), liveStartTimeout)
	tl, wt, err := s.web.tails.join(startCtx, name)
	cancel()
	if err != nil {
		if r.Context().Err() != nil {
			return
		}
		httpjson.WriteError(w, r, s.log, err)
		return
	}
	defer s.web.tails.leave(tl, wt)
	s.web.metrics.liveStreams.Inc()
	defer s.web.metrics.liveStreams.Dec()

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
	keepAlive := time.NewTicker(s.web.keepAlive)
	defer keepAlive.Stop()
	for {
		select {
		case <-wt.wake:
		case ev := <-events:
			if ev.Topic == name && (ev.Type == topic.TopicDeactivated || ev.Type == topic.TopicDeleted) {
				end, _ := json.Marshal(apiv1.LiveEnd{Reason: "topic " + name + " was deactivated by " + ev.Actor})
				es.Event("end", end)
				return
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
		case <-s.web.closing:
			return
		}
		if d := time.Until(next); d > 0 {
			pause.Reset(d)
			select {
			case <-pause.C:
			case <-r.Context().Done():
				return
			case <-s.web.closing:
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
		for _, m := range msgs {
			b, err := json.Marshal(liveMessage(m))
			if err != nil {
				s.log.Error("encode a live message", "topic", name, "err", err)
				continue
			}
			if !es.Event("message", b) {
				return
			}
		}
		next = time.Now().Add(time.Duration(len(msgs)) * gap)
		keepAlive.Reset(s.web.keepAlive)
	}
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
