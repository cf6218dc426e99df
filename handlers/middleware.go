package handlers

import (
	"errors"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"

	"github.com/kds-io/kds/app/command"
	"github.com/kds-io/kds/app/topic"
)

// isPermanent decides what retrying cannot fix: the errors the application
// knows as permanent, and panics, which are bugs.
func isPermanent(err error) bool {
	var panicked middleware.RecoveredPanicError
	return command.IsPermanent(err) || errors.As(err, &panicked)
}

// RetryConfig bounds the retries of one delivery; a message that still
// fails is redelivered, so retriable failures never give up.
type RetryConfig struct {
	MaxRetries      int
	InitialInterval time.Duration
	MaxInterval     time.Duration
	// HandlerTimeout bounds one attempt.
	HandlerTimeout time.Duration
}

// NewRouter returns a router whose handlers all run the one middleware
// stack, outermost first: correlation id, poison queue for permanent
// errors, retry with backoff for the rest, timeout, recoverer.
func NewRouter(poison message.Publisher, rc RetryConfig, logger watermill.LoggerAdapter) (*message.Router, error) {
	r, err := message.NewRouter(message.RouterConfig{CloseTimeout: 10 * time.Second}, logger)
	if err != nil {
		return nil, err
	}
	poisonQueue, err := middleware.PoisonQueueWithFilter(poison, topic.PoisonTopic, isPermanent)
	if err != nil {
		return nil, err
	}
	r.AddMiddleware(
		middleware.CorrelationID,
		poisonQueue,
		middleware.Retry{
			MaxRetries:      rc.MaxRetries,
			InitialInterval: rc.InitialInterval,
			MaxInterval:     rc.MaxInterval,
			Multiplier:      2,
			ShouldRetry:     func(p middleware.RetryParams) bool { return !isPermanent(p.Err) },
			Logger:          logger,
		}.Middleware,
		middleware.Timeout(rc.HandlerTimeout),
		middleware.Recoverer,
	)
	return r, nil
}
