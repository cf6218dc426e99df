package app

import "errors"

// ErrUnavailable is what an adapter's error is (errors.Is) when a
// dependency did not answer: MySQL or Kafka down or out of reach. Trying
// again later may succeed; the API answers 503.
var ErrUnavailable = errors.New("a dependency of kds is unavailable")
