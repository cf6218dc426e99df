package consumer

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/kds-io/kds/adapters/httpapi/apiclient"
	"github.com/kds-io/kds/adapters/httpapi/apiv1"
	"github.com/kds-io/kds/app/subscription"
	"github.com/kds-io/kds/handlers"
)

// heartbeat tells the API every few seconds, and at once after a change,
// what this process consumes; the topic manager waits on it before it
// deletes a deactivated topic. A process the API does not hear from is
// not alive, so the user hears when the API cannot be reached (consuming
// goes on, and the heartbeat tries again) and when it is back. When the
// API refuses the token, which no retry mends, the process stops
// consuming and Refused closes.
func (p *Process) heartbeat(ctx context.Context, notices handlers.Sink) {
	t := time.NewTicker(subscription.HeartbeatInterval)
	defer t.Stop()
	var down error // the API's failure the user was told of
	for {
		rep := apiv1.InstanceReport{Host: p.host, PID: os.Getpid(), Attached: p.consumer.Attached(), Consumed: p.consumed.totals()}
		err := p.client.ReportInstance(ctx, string(p.id), p.instance, rep)
		switch {
		case ctx.Err() != nil:
			return
		case tokenRefused(err):
			p.err = fmt.Errorf("the kds API refused this consumer's token, so consumer %s stopped consuming (kds consume with a valid token resumes where it stopped): %w", p.id, err)
			p.consumer.Close()
			close(p.refused)
			return
		case err != nil && down == nil:
			notices.Notify("✗ %v; consuming goes on, but kds does not count this process alive until it answers: asking again every %v", err, subscription.HeartbeatInterval)
			down = err
		case err == nil && down != nil:
			notices.Notify("✓ the kds API at %s answers again", p.client.URL())
			down = nil
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-p.changes:
		}
	}
}

// tokenRefused tells an API refusing the token (unknown or revoked: 401;
// not made for this consumer: 403) from an API that is down or busy.
func tokenRefused(err error) bool {
	var apiErr *apiclient.APIError
	return errors.As(err, &apiErr) && (apiErr.Status == http.StatusUnauthorized || apiErr.Status == http.StatusForbidden)
}
