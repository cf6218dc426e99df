package httpapi

import "time"

// SetAuthClock makes the failed-authentication limit read the time from
// now, so that tests can pass a lockout without waiting.
func SetAuthClock(s *Server, now func() time.Time) {
	if s.authLimit != nil {
		s.authLimit.now = now
	}
}
