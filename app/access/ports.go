package access

import "context"

// StateReader reads what kds decided, from MySQL.
type StateReader interface {
	AccessState(ctx context.Context) (State, error)
}

// Kafka is the broker's side: ACLs and SCRAM users. Errors from a broker
// that did not answer are app.ErrUnavailable.
type Kafka interface {
	// ACLs lists every ALLOW ACL the cluster has; Unsupported lists the
	// others (DENY, a host other than any), which kds never makes.
	ACLs(ctx context.Context) (grants []Grant, unsupported []string, err error)
	CreateACLs(ctx context.Context, grants []Grant) error
	DeleteACLs(ctx context.Context, grants []Grant) error
	// ScramUsers lists the users that have SCRAM credentials.
	ScramUsers(ctx context.Context) ([]string, error)
	// SetScram creates or replaces user's SCRAM credential for mechanism.
	SetScram(ctx context.Context, user, mechanism, password string) error
	DeleteScram(ctx context.Context, users []string) error
}

// Audit records grants and revocations in a topic's history.
type Audit interface {
	// RecordAccess records detail as an access transition of the topic's
	// current generation by actor; a topic that is gone or final is left
	// as it is.
	RecordAccess(ctx context.Context, topic, actor, detail string) error
}

// Lock lets one process at a time change Kafka's ACLs.
type Lock interface {
	// Hold runs f while holding the lock, waiting for it as long as ctx
	// lets.
	Hold(ctx context.Context, f func() error) error
}
