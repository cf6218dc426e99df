package dashboard

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/kds-io/kds/adapters/httpapi/internal/httpjson"
	"github.com/kds-io/kds/adapters/httpapi/live"
	"github.com/kds-io/kds/app/auth"
)

// streamBuffer is how many events a stream may fall behind before it
// misses some; the dashboard re-reads everything when it reconnects.
const streamBuffer = 1024

// streamEvents sends every lifecycle event this process reads as a
// Server-Sent Event named "lifecycle" whose data is the event's JSON, one
// flush per event, the message rates of the active topics as "rates" events
// when the server reads content (live.Rates), and a comment when the stream has
// been idle for the keep-alive interval. It ends when the client leaves,
// its token or session is no longer valid (ended), or the server shuts
// down.
func (d *Dashboard) streamEvents(w http.ResponseWriter, r *http.Request, _ auth.Principal, ended <-chan struct{}) {
	events, stop := d.events.Listen(streamBuffer)
	defer stop()
	var rates <-chan live.RatesUpdate
	if d.rates != nil {
		ch, stopRates := d.rates.Listen()
		defer stopRates()
		rates = ch
	}
	d.streams.Inc()
	defer d.streams.Dec()

	es := httpjson.StartEventStream(w)
	// The browser reconnects 2s after losing the stream.
	if !es.Send("retry: 2000\n: kds lifecycle events\n\n") {
		return
	}
	keepAlive := time.NewTicker(d.keepAlive)
	defer keepAlive.Stop()
	var ratesSeen uint64 // the last rates update this stream sent
	for {
		select {
		case ev := <-events:
			b, err := json.Marshal(ev)
			if err != nil {
				d.log.Error("encode event for a stream", "topic", ev.Topic, "err", err)
				continue
			}
			if !es.Event("lifecycle", b) {
				return
			}
			keepAlive.Reset(d.keepAlive)
		case u := <-rates:
			b, err := json.Marshal(u.Since(ratesSeen))
			if err != nil {
				d.log.Error("encode rates for a stream", "err", err)
				continue
			}
			ratesSeen = u.Seq()
			if !es.Event("rates", b) {
				return
			}
			keepAlive.Reset(d.keepAlive)
		case <-keepAlive.C:
			if !es.Send(": keep-alive\n\n") {
				return
			}
		case <-r.Context().Done():
			return
		case <-ended:
			return
		case <-d.closing:
			return
		}
	}
}
