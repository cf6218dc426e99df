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

// streamEvents sends every lifecycle event this process reads as a
// Server-Sent Event named "lifecycle" whose data is the event's JSON, one
// flush per event, and a comment when the stream has been idle for the
// keep-alive interval. It ends when the client leaves or the server shuts
// down.
func (s *Server) streamEvents(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	events, stop := s.events.Listen(streamBuffer)
	defer stop()
	s.web.metrics.streams.Inc()
	defer s.web.metrics.streams.Dec()

	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	// Tell reverse proxies such as nginx not to buffer the stream.
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)

	rc := http.NewResponseController(w)
	send := func(format string, args ...any) bool {
		if err := rc.SetWriteDeadline(time.Now().Add(streamWriteTimeout)); err != nil && !errors.Is(err, http.ErrNotSupported) {
			return false
		}
		if _, err := fmt.Fprintf(w, format, args...); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	// The browser reconnects 2s after losing the stream.
	if !send("retry: 2000\n: kds lifecycle events\n\n") {
		return
	}
	keepAlive := time.NewTicker(s.web.keepAlive)
	defer keepAlive.Stop()
	for {
		select {
		case ev := <-events:
			b, err := json.Marshal(ev)
			if err != nil {
				s.log.Error("encode event for a stream", "topic", ev.Topic, "err", err)
				continue
			}
			// JSON has no raw newlines, so one data line carries it.
			if !send("event: lifecycle\ndata: %s\n\n", b) {
				return
			}
			keepAlive.Reset(s.web.keepAlive)
		case <-keepAlive.C:
			if !send(": keep-alive\n\n") {
				return
			}
		case <-r.Context().Done():
			return
		case <-s.web.closing:
			return
		}
	}
}
