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
// knows as permanent, messages kds did not write, and panics, which are
// bugs.
func isPermanent(err error) bool {
	var (
		panicked   middleware.RecoveredPanicError
		unverified *UnverifiedError
	)
	return command.IsPermanent(err) || errors.As(err, &unverified) || errors.As(err, &panicked)
}

// OriginVerifier tells whether kds wrote a message read from Kafka.
type OriginVerifier interface {
	// Verify says why msg cannot be shown to come from kds, or returns nil.
	Verify(msg *message.Message) error
}

// UnverifiedError is a message on kds.commands or kds.events that carries
// no valid signature of kds: anyone who can write to Kafka may have
// written it, so it is never acted on.
type UnverifiedError struct {
	Err error
}

func (e *UnverifiedError) Error() string { return "not written by kds: " + e.Err.Error() }

func (e *UnverifiedError) Unwrap() error { return e.Err }

// verified is the middleware of the handlers that act on kds.commands and
// kds.events: a message that fails verification is never handled, and goes
// to kds.poison with the reason.
func verified(v OriginVerifier) message.HandlerMiddleware {
	return func(h message.HandlerFunc) message.HandlerFunc {
		return func(msg *message.Message) ([]*message.Message, error) {
			if err := v.Verify(msg); err != nil {
				noteUnverified(msg.Context())
				return nil, &UnverifiedError{Err: err}
			}
			return h(msg)
		}
	}
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
