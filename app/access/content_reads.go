package access

import (
	"context"
	"fmt"

	"github.com/kds-io/kds/app/auth"
)

// ReadRefusedError is returned when a caller may not read a topic's
// messages through kds: kds lets it neither read nor write the topic in
// Kafka.
type ReadRefusedError struct {
	// Name is the caller's token name.
	Name  string
	Topic string
}

func (e *ReadRefusedError) Error() string {
	return fmt.Sprintf("%q may not read the messages of topic %q: kds grants it no access to the topic; "+
		"subscribe one of your consumer ids to it (kds consume --id ID --topics %s), or ask an admin to name one (kds topic update %s --consumer ID)",
		e.Name, e.Topic, e.Topic, e.Topic)
}

// MayRead reports whether by may read topic's messages through kds's API
// when kds manages Kafka's ACLs: an admin may, as it governs kds; anyone
// else only when kds's decisions let its principal read the topic in
// Kafka, or write it (a producer reads back what it wrote). Otherwise a
// *ReadRefusedError.
func (k *Keeper) MayRead(ctx context.Context, by auth.Principal, topic string) error {
	if by.Role == auth.Admin {
		return nil
	}
	refused := &ReadRefusedError{Name: by.Name, Topic: topic}
	if !HasPrincipal(by.Role) {
		return refused
	}
	s, err := k.state.AccessState(ctx)
	if err != nil {
		return fmt.Errorf("read kds's access decisions: %w", err)
	}
	principal, _ := k.principals.Of(by.Name)
	want := Desired(s, k.principals)
	for _, op := range []Operation{Read, Write} {
		if _, ok := want[Grant{Principal: principal, Resource: TopicResource, Name: topic, Pattern: Literal, Operation: op}]; ok {
			return nil
		}
	}
	return refused
}
