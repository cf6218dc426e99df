package jsonapi

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/kds-io/kds/adapters/httpapi/internal/httpjson"
)

// recheckInterval is how often a waiting request looks again when no
// event wakes it: only when this process reads no events does that ever
// find anything.
const recheckInterval = 5 * time.Second

// await calls done until it reports true, the wait is over or the client
// leaves. It calls done at the start, when an event about topicName
// arrives and every recheckInterval, and never in between: a thousand
// waiting requests cost MySQL nothing while nothing happens.
func (api *API) await(ctx context.Context, wait time.Duration, topicName string, done func(context.Context) (bool, error)) error {
	woken, stop := api.events.WatchTopic(topicName)
	defer stop()
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	recheck := time.NewTicker(recheckInterval)
	defer recheck.Stop()
	for {
		ok, err := done(ctx)
		if err != nil || ok {
			return err
		}
		select {
		case <-woken:
		case <-recheck.C:
		case <-deadline.C:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// maxWait bounds how long a request may wait for an outcome.
const maxWait = 5 * time.Minute

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
