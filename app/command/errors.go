package command

import (
	"errors"
	"fmt"

	"github.com/kds-io/kds/app/auth"
	"github.com/kds-io/kds/app/topic"
)

// ErrAlreadyHandled is returned by TopicRepository.Update for a command that
// was applied or rejected before: a redelivery, acknowledged and skipped.
var ErrAlreadyHandled = errors.New("command already handled")

// FailedError means a command cannot be carried out as it stands, such as
// Kafka refusing a topic's config; it is recorded as failed.
type FailedError struct {
	Err error
}

func (e *FailedError) Error() string { return e.Err.Error() }

func (e *FailedError) Unwrap() error { return e.Err }

// ClusterRefusedError is returned by a KafkaCluster when the broker refuses
// an operation for a reason that retrying will not change.
type ClusterRefusedError struct {
	Op     string
	Topic  string
	Reason string
	// Err is the broker's own error, when it gave one.
	Err error
}

func (e *ClusterRefusedError) Error() string {
	return fmt.Sprintf("kafka refused to %s topic %q: %s", e.Op, e.Topic, e.Reason)
}

func (e *ClusterRefusedError) Unwrap() error { return e.Err }

// MalformedError is returned for a message that cannot be decoded.
type MalformedError struct {
	Err error
}

func (e *MalformedError) Error() string { return "malformed message: " + e.Err.Error() }

func (e *MalformedError) Unwrap() error { return e.Err }

// TooLargeError refuses a command larger than MaxCommandBytes once
// encoded.
type TooLargeError struct {
	Bytes int
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("the command is %d bytes as JSON, more than the %d a command may have: fewer or shorter configs, or a shorter reason", e.Bytes, MaxCommandBytes)
}

// IsRefusal reports whether err refuses a lifecycle command as asked: bad
// input, a move the lifecycle forbids, or a spec the broker will not take.
// Such a command is recorded as rejected, and retrying it cannot help.
func IsRefusal(err error) bool {
	var (
		refused *ClusterRefusedError
		stale   *StaleGenerationError
		unknown *UnknownTypeError
		reason  *InvalidReasonError
		large   *TooLargeError
	)
	return topic.IsRefusal(err) || errors.As(err, &refused) || errors.As(err, &stale) || errors.As(err, &unknown) || errors.As(err, &reason) ||
		errors.As(err, &large)
}

// IsPermanent reports whether retrying the work that returned err cannot
// help; such messages are acknowledged or sent to the poison topic instead
// of being retried.
func IsPermanent(err error) bool {
	var (
		failed    *FailedError
		malformed *MalformedError
		forbidden *auth.ForbiddenError
	)
	return IsRefusal(err) || errors.As(err, &failed) || errors.As(err, &malformed) || errors.As(err, &forbidden)
}
