package command

import (
	"context"
	"errors"

	"github.com/kds-io/kds/app/access"
	"github.com/kds-io/kds/app/topic"
)

// AccessKeeper makes Kafka's ACLs follow kds's decisions; actor is who
// caused the convergence, recorded with each grant and revocation. The
// topic manager converges before it creates an approved topic and before
// it deletes a deactivated one.
type AccessKeeper interface {
	Converge(ctx context.Context, actor string) (access.Changes, error)
}

// AccessDecisions converge Kafka's ACLs with the decision that calls for
// it: subscriptions change and converge under one lock, so that the grants
// and revocations are recorded as the subscriber's.
type AccessDecisions interface {
	ConvergeAfter(ctx context.Context, actor string, change func() error) (access.Changes, error)
}

// AccessAudit records grants and revocations in topics' histories
// (access.Audit).
type AccessAudit struct {
	topics TopicRepository
}

// NewAccessAudit records in topics.
func NewAccessAudit(topics TopicRepository) AccessAudit { return AccessAudit{topics: topics} }

// RecordAccess records detail as an access transition of the topic's
// current generation, publishing TopicAccessChanged; a topic that is gone,
// or rejected or deleted, is left as it is.
func (a AccessAudit) RecordAccess(ctx context.Context, name, actor, detail string) error {
	cmd := newCommand(RecordAccessType, name, actor, detail)
	err := a.topics.Update(ctx, cmd, existing(cmd, func(cur *topic.Topic) error {
		return cur.RecordAccess(actor, detail)
	}))
	var notFound *topic.NotFoundError
	if IsRefusal(err) || errors.As(err, &notFound) {
		return nil
	}
	return err
}
