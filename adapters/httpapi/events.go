package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/kds-io/kds/app/auth"
)

const (
	// streamBuffer is how many events a stream may fall behind before it
	// misses some; the dashboard re-reads everything when it reconnects.
	streamBuffer = 1024
	// streamWriteTimeout drops a client that stopped reading.
	streamWriteTimeout = 30 * time.Second
)

// eventStream writes Server-Sent Events to one client, flushing each.
type eventStream struct {
	w  http.ResponseWriter
	rc *http.ResponseController
}

// startEventStream answers 200 with the headers of an event stream.
func startEventStream(w http.ResponseWriter) *eventStream {
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	// Tell reverse proxies such as nginx not to buffer the stream.
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	return &eventStream{w: w, rc: http.NewResponseController(w)}
}

// send writes and flushes; false when the client is gone or too slow.
func (es *eventStream) send(format string, args ...any) bool {
	if err := es.rc.SetWriteDeadline(time.Now().Add(streamWriteTimeout)); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return false
	}
	if _, err := fmt.Fprintf(es.w, format, args...); err != nil {
		return false
	}
	return es.rc.Flush() == nil
}

// event sends one event named name whose data is data, a JSON document:
// JSON has no raw newlines, so one data line carries it.
func (es *eventStream) event(name string, data []byte) bool {
	return es.send("event: %s\ndata: %s\n\n", name, data)
}

// streamEvents sends every lifecycle event this process reads as a
// Server-Sent Event named "lifecycle" whose data is the event's JSON, one
// flush per event, the message rates of the active topics as "rates" events
// when the server reads Kafka (rates.go), and a comment when the stream has
// been idle for the keep-alive interval. It ends when the client leaves,
// its token or session is no longer valid (ended), or the server shuts
// down.
func (s *Server) streamEvents(w http.ResponseWriter, r *http.Request, _ auth.Principal, ended <-chan struct{}) {
	events, stop := s.events.Listen(streamBuffer)
	defer stop()
	var rates <-chan ratesUpdate
	if s.web.rates != nil {
		ch, stopRates := s.web.rates.listen()
		defer stopRates()
		rates = ch
	}
	s.web.metrics.streams.Inc()
	defer s.web.metrics.streams.Dec()

	es := startEventStream(w)
	// The browser reconnects 2s after losing the stream.
	if !es.send("retry: 2000\n: kds lifecycle events\n\n") {
		return
	}
	keepAlive := time.NewTicker(s.web.keepAlive)
	defer keepAlive.Stop()
	var ratesSeen uint64 // the last rates update this stream sent
	for {
		select {
		case ev := <-events:
			b, err := json.Marshal(ev)
			if err != nil {
				s.log.Error("encode event for a stream", "topic", ev.Topic, "err", err)
				continue
			}
			if !es.event("lifecycle", b) {
				return
			}
			keepAlive.Reset(s.web.keepAlive)
		case u := <-rates:
			b, err := json.Marshal(u.since(ratesSeen))
			if err != nil {
				s.log.Error("encode rates for a stream", "err", err)
				continue
			}
			ratesSeen = u.seq
			if !es.event("rates", b) {
				return
			}
			keepAlive.Reset(s.web.keepAlive)
		case <-keepAlive.C:
			if !es.send(": keep-alive\n\n") {
				return
			}
		case <-r.Context().Done():
			return
		case <-ended:
			return
		case <-s.web.closing:
			return
		}
	}
}
