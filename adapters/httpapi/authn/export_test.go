package authn

import "time"

// SetClock makes the failed-authentication limit read the time from now,
// so that tests can pass a lockout without waiting.
func SetClock(a *Authenticator, now func() time.Time) {
	if a.limit != nil {
		a.limit.now = now
	}
}
