package access_test

import (
	"context"
	"errors"
	"testing"

	"github.com/kds-io/kds/app/access"
	"github.com/kds-io/kds/app/auth"
	"github.com/kds-io/kds/app/topic"
)

// TestMayReadFollowsTheGrants: a caller reads a topic's messages through
// kds only when kds's decisions let its principal use the topic in Kafka,
// or it is an admin.
func TestMayReadFollowsTheGrants(t *testing.T) {
	t.Parallel()
	s := &fakeState{access.State{
		Topics: []access.Topic{
			{Name: "orders", Generation: 1, Status: topic.Active, Owner: "alice", Producers: []string{"bob"}, Consumers: []string{"dave"}},
			{Name: "other", Generation: 1, Status: topic.Active, Owner: "root"},
			{Name: "old", Generation: 1, Status: topic.Inactive, Owner: "alice", Consumers: []string{"dave"}},
		},
		Subscriptions: []access.Subscription{{ConsumerID: "carol", Topic: "other", Generation: 1, CreatedBy: "carol"}},
		Tokens: []access.Token{
			{ID: "1", Name: "alice", Role: auth.Producer}, {ID: "2", Name: "bob", Role: auth.Producer},
			{ID: "3", Name: "mallory", Role: auth.Producer}, {ID: "4", Name: "dave", Role: auth.Consumer, Consumers: []string{"dave"}},
			{ID: "5", Name: "carol", Role: auth.Consumer, Consumers: []string{"carol"}}, {ID: "6", Name: "vic", Role: auth.Viewer},
			{ID: "7", Name: "root", Role: auth.Admin},
		},
	}}
	keeper := newKeeper(t, s, &fakeKafka{acls: map[access.Grant]bool{}, users: map[string]string{}}, &fakeAudit{})
	principal := func(name string) auth.Principal {
		for _, tok := range s.s.Tokens {
			if tok.Name == name {
				return auth.Principal{Name: name, Role: tok.Role, TokenID: tok.ID, Consumers: tok.Consumers}
			}
		}
		return auth.Principal{Name: name, Role: auth.Admin} // the bootstrap admin token
	}
	for _, c := range []struct {
		who, topic string
		ok         bool
	}{
		{"dave", "orders", true},   // a named consumer
		{"carol", "other", true},   // a subscribed consumer
		{"alice", "orders", true},  // the owner reads back what it wrote
		{"bob", "orders", true},    // and so does a named producer
		{"root", "orders", true},   // an admin governs kds
		{"kds", "orders", true},    // and so does the bootstrap admin token
		{"carol", "orders", false}, // a consumer neither named nor subscribed
		{"dave", "other", false},
		{"mallory", "orders", false}, // a producer not named
		{"vic", "orders", false},     // a viewer
		{"dave", "old", false},       // an inactive topic has no grants
	} {
		err := keeper.MayRead(context.Background(), principal(c.who), c.topic)
		if c.ok && err != nil {
			t.Errorf("%s may read %s: %v", c.who, c.topic, err)
		}
		var refused *access.ReadRefusedError
		if !c.ok && (!errors.As(err, &refused) || refused.Topic != c.topic || refused.Name != c.who) {
			t.Errorf("%s reads %s: %v, want a ReadRefusedError", c.who, c.topic, err)
		}
		if !c.ok && err != nil && !contains(err.Error(), "kds topic update "+c.topic+" --consumer ID") {
			t.Errorf("the refusal does not say how to get access: %v", err)
		}
	}
}
