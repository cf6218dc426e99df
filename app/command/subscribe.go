package command

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/kds-io/kds/app/auth"
	"github.com/kds-io/kds/app/content"
	"github.com/kds-io/kds/app/subscription"
	"github.com/kds-io/kds/app/text"
	"github.com/kds-io/kds/app/topic"
)

// Subscriptions manages who consumes what.
type Subscriptions struct {
	topics TopicRepository
	subs   SubscriptionRepository
	// access, when set, grants and revokes the consumers' Kafka ACLs.
	access AccessDecisions
}

// NewSubscriptions checks topics and stores subscriptions in subs.
func NewSubscriptions(topics TopicRepository, subs SubscriptionRepository) Subscriptions {
	return Subscriptions{topics: topics, subs: subs}
}

// WithAccess makes subscribing grant the consumer's tokens READ in Kafka,
// and unsubscribing revoke it, before either returns.
func (s Subscriptions) WithAccess(k AccessDecisions) Subscriptions {
	s.access = k
	return s
}

// decide makes a subscription change by actor and, when kds manages
// Kafka's ACLs, brings them in line before it returns; a caller that sees
// the convergence fail may repeat the change, which converges again.
func (s Subscriptions) decide(ctx context.Context, actor string, change func() error) error {
	if s.access == nil {
		return change()
	}
	_, err := s.access.ConvergeAfter(ctx, actor, change)
	return err
}

// NotSubscribedError is returned when unsubscribing from a topic the
// consumer is not subscribed to.
type NotSubscribedError struct {
	ConsumerID subscription.ConsumerID
	Topic      string
}

func (e *NotSubscribedError) Error() string {
	return fmt.Sprintf("consumer %q is not subscribed to topic %q", e.ConsumerID, e.Topic)
}

// Subscribe subscribes a consumer to an active topic; subscribing again to
// the same generation returns the existing subscription.
func (s Subscriptions) Subscribe(ctx context.Context, by auth.Principal, consumer, topicName string, fromBeginning bool) (subscription.Subscription, bool, error) {
	id, err := actingFor(by, consumer)
	if err != nil {
		return subscription.Subscription{}, false, err
	}
	name, err := topic.ParseName(topicName)
	if err != nil {
		return subscription.Subscription{}, false, err
	}
	t, err := s.topics.Get(ctx, name)
	var notFound *topic.NotFoundError
	if errors.As(err, &notFound) {
		return subscription.Subscription{}, false, &content.NotActiveError{Topic: topicName}
	}
	if err != nil {
		return subscription.Subscription{}, false, fmt.Errorf("load topic %q: %w", topicName, err)
	}
	if t.Status() != topic.Active {
		return subscription.Subscription{}, false, &content.NotActiveError{Topic: topicName, Status: t.Status()}
	}
	var (
		stored  subscription.Subscription
		created bool
	)
	err = s.decide(ctx, by.Name, func() error {
		var err error
		stored, created, err = s.subs.Subscribe(ctx, subscription.Subscription{
			ConsumerID:    id,
			Topic:         topicName,
			Generation:    t.Generation(),
			Group:         groupFor(id, topicName),
			FromBeginning: fromBeginning,
			CreatedBy:     by.Name,
			CreatedAt:     time.Now().UTC(),
		})
		return err
	})
	return stored, created, err
}

// groupFor names a new subscription's consumer group. The random suffix
// makes a subscription that follows an unsubscribe start afresh instead of
// at the offsets the old one committed.
func groupFor(id subscription.ConsumerID, topicName string) string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return "kds-consumer." + string(id) + "." + topicName + "." + hex.EncodeToString(b)
}

// actingFor checks that by may consume, and for the consumer id, which it
// returns parsed.
func actingFor(by auth.Principal, consumer string) (subscription.ConsumerID, error) {
	if err := auth.Authorize(by, auth.ConsumeTopics); err != nil {
		return "", err
	}
	id, err := subscription.ParseConsumerID(consumer)
	if err != nil {
		return "", err
	}
	if !by.ActsFor(string(id)) {
		return "", &auth.ConsumerForbiddenError{Principal: by, ConsumerID: string(id)}
	}
	return id, nil
}

// Unsubscribe ends a consumer's subscription.
func (s Subscriptions) Unsubscribe(ctx context.Context, by auth.Principal, consumer, topicName string) error {
	id, err := actingFor(by, consumer)
	if err != nil {
		return err
	}
	return s.decide(ctx, by.Name, func() error { return s.subs.Unsubscribe(ctx, id, topicName, by.Name) })
}

// Report records a heartbeat of one of a consumer's processes.
func (s Subscriptions) Report(ctx context.Context, by auth.Principal, inst subscription.Instance) error {
	if _, err := actingFor(by, string(inst.ConsumerID)); err != nil {
		return err
	}
	if err := validInstance(inst); err != nil {
		return err
	}
	inst.LastSeen = time.Now().UTC()
	return s.subs.Report(ctx, inst)
}

// Leave forgets a consumer process that stopped.
func (s Subscriptions) Leave(ctx context.Context, by auth.Principal, consumer, instanceID string) error {
	id, err := actingFor(by, consumer)
	if err != nil {
		return err
	}
	return s.subs.Leave(ctx, id, instanceID)
}

// InvalidInstanceError is returned for a malformed instance report.
type InvalidInstanceError struct {
	Reason string
}

func (e *InvalidInstanceError) Error() string { return "invalid consumer instance: " + e.Reason }

func validInstance(inst subscription.Instance) error {
	switch {
	case len(inst.ID) < 8 || len(inst.ID) > 64:
		return &InvalidInstanceError{Reason: "id must have 8 to 64 characters"}
	case len(inst.Host) > 255:
		return &InvalidInstanceError{Reason: "host must have at most 255 characters"}
	case len(inst.Attached) > 10000:
		return &InvalidInstanceError{Reason: "at most 10000 attached topics"}
	}
	if r, at := text.FirstHidden(inst.Host, false); at > 0 {
		return &InvalidInstanceError{Reason: fmt.Sprintf("host: character %+q at position %d is not allowed", r, at)}
	}
	for _, t := range inst.Attached {
		if len(t) == 0 || len(t) > topic.MaxNameLength {
			return &InvalidInstanceError{Reason: fmt.Sprintf("attached topic %q is not a topic name", t)}
		}
	}
	return nil
}
