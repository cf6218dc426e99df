package httpapi

import (
	"context"
	"time"
)

// recheckInterval is how often a waiting request looks again when no event
// wakes it, such as when this process reads no events.
const recheckInterval = 250 * time.Millisecond

// await calls done until it reports true, the wait is over or the client
// leaves. Lifecycle events about topicName wake it at once.
func (s *Server) await(ctx context.Context, wait time.Duration, topicName string, done func(context.Context) (bool, error)) error {
	events, stop := s.events.Listen(64)
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
	wake:
		for {
			select {
			case ev := <-events:
				if ev.Topic == topicName {
					break wake
				}
			case <-recheck.C:
				break wake
			case <-deadline.C:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}
}
