package httpapi

import (
	"context"
	"time"
)

// recheckInterval is how often a waiting request looks again when no
// event wakes it: only when this process reads no events does that ever
// find anything.
const recheckInterval = 5 * time.Second

// await calls done until it reports true, the wait is over or the client
// leaves. It calls done at the start, when an event about topicName
// arrives and every recheckInterval, and never in between: a thousand
// waiting requests cost MySQL nothing while nothing happens.
func (s *Server) await(ctx context.Context, wait time.Duration, topicName string, done func(context.Context) (bool, error)) error {
	woken, stop := s.events.WatchTopic(topicName)
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
