package httpjson

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

// streamWriteTimeout drops a client that stopped reading.
const streamWriteTimeout = 30 * time.Second

// EventStream writes Server-Sent Events to one client, flushing each.
type EventStream struct {
	w  http.ResponseWriter
	rc *http.ResponseController
}

// StartEventStream answers 200 with the headers of an event stream.
func StartEventStream(w http.ResponseWriter) *EventStream {
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	// Tell reverse proxies such as nginx not to buffer the stream.
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	return &EventStream{w: w, rc: http.NewResponseController(w)}
}

// Send writes and flushes; false when the client is gone or too slow.
func (es *EventStream) Send(format string, args ...any) bool {
	if err := es.rc.SetWriteDeadline(time.Now().Add(streamWriteTimeout)); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return false
	}
	if _, err := fmt.Fprintf(es.w, format, args...); err != nil {
		return false
	}
	return es.rc.Flush() == nil
}

// Event sends one event named name whose data is data, a JSON document:
// JSON has no raw newlines, so one data line carries it.
func (es *EventStream) Event(name string, data []byte) bool {
	return es.Send("event: %s\ndata: %s\n\n", name, data)
}
