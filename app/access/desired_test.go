package access_test

import (
	"testing"

	"github.com/kds-io/kds/app/access"
	"github.com/kds-io/kds/app/auth"
	"github.com/kds-io/kds/app/topic"
)

func topicGrant(principal, name string, op access.Operation) access.Grant {
	return access.Grant{Principal: principal, Resource: access.TopicResource, Name: name, Pattern: access.Literal, Operation: op}
}

func groupGrant(principal, consumer, name string) access.Grant {
	return access.Grant{Principal: principal, Resource: access.GroupResource, Name: access.ConsumerGroupPrefix(consumer, name), Pattern: access.Prefixed, Operation: access.Read}
}

func TestDesiredFollowsTheLifecycle(t *testing.T) {
	t.Parallel()
	tokens := []access.Token{
		{ID: "1", Name: "alice", Role: auth.Producer},
		{ID: "2", Name: "bob", Role: auth.Producer},
		{ID: "3", Name: "carol", Role: auth.Consumer, Consumers: []string{"billing"}},
		{ID: "4", Name: "dave", Role: auth.Viewer},
		{ID: "5", Name: "root", Role: auth.Admin},
	}
	p, err := access.ParsePrincipals([]string{"bob=User:CN=bob"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		status   topic.Status
		subs     []access.Subscription
		want     []access.Grant
		notWants []access.Grant
	}{
		{name: "pending grants nothing", status: topic.Pending,
			notWants: []access.Grant{topicGrant("User:kds-alice", "orders", access.Write)}},
		{name: "approved provisions its named producers and consumers before it exists", status: topic.Approved,
			want: []access.Grant{topicGrant("User:kds-alice", "orders", access.Write), topicGrant("User:CN=bob", "orders", access.Write),
				topicGrant("User:CN=bob", "orders", access.Describe), topicGrant("User:kds-carol", "orders", access.Read), groupGrant("User:kds-carol", "billing", "orders")}},
		{name: "active: named consumers read, with their groups", status: topic.Active,
			want: []access.Grant{topicGrant("User:kds-alice", "orders", access.Write), topicGrant("User:kds-carol", "orders", access.Read), groupGrant("User:kds-carol", "billing", "orders")}},
		{name: "inactive grants nothing", status: topic.Inactive,
			notWants: []access.Grant{topicGrant("User:kds-alice", "orders", access.Write), topicGrant("User:kds-carol", "orders", access.Read)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := access.State{
				Topics: []access.Topic{{Name: "orders", Generation: 1, Status: tc.status, Owner: "alice", Producers: []string{"bob", "dave"}, Consumers: []string{"billing"}}},
				Tokens: tokens,
			}
			got := access.Desired(s, p)
			for _, g := range tc.want {
				if tp, ok := got[g]; !ok || tp != "orders" {
					t.Errorf("missing %s for orders (got %q, %v)", g, tp, ok)
				}
			}
			for _, g := range tc.notWants {
				if _, ok := got[g]; ok {
					t.Errorf("unexpected %s", g)
				}
			}
			for g := range got {
				if g.Principal == "User:kds-dave" {
					t.Errorf("a viewer got %s", g)
				}
				if g.Principal == "User:kds-root" && g.Name != access.EventsTopic {
					t.Errorf("an admin got %s without being named", g)
				}
			}
		})
	}
}

func TestDesiredSubscriptionsOfTheCurrentGenerationOnly(t *testing.T) {
	t.Parallel()
	s := access.State{
		Topics:        []access.Topic{{Name: "a", Generation: 2, Status: topic.Active}, {Name: "b", Generation: 1, Status: topic.Active}},
		Subscriptions: []access.Subscription{{ConsumerID: "c1", Topic: "a", Generation: 1}, {ConsumerID: "c1", Topic: "b", Generation: 1}},
		Tokens:        []access.Token{{ID: "1", Name: "c1", Role: auth.Consumer, Consumers: []string{"c1"}}},
	}
	got := access.Desired(s, access.Principals{})
	if _, ok := got[topicGrant("User:kds-c1", "a", access.Read)]; ok {
		t.Error("a subscription to an earlier generation still reads")
	}
	if _, ok := got[topicGrant("User:kds-c1", "b", access.Read)]; !ok {
		t.Error("a live subscription does not read")
	}
	if _, ok := got[topicGrant("User:kds-c1", access.EventsTopic, access.Read)]; !ok {
		t.Error("a principal cannot follow kds.events")
	}
}

func TestParsePrincipalsReportsEveryProblem(t *testing.T) {
	t.Parallel()
	_, err := access.ParsePrincipals([]string{"nouser", "a=CN=a", "b=User:kds-x", "c=User:c", "c=User:d"})
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{`"nouser"`, `"a=CN=a"`, `"b=User:kds-x"`, `"c=User:d"`} {
		if !contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
}
