package access

import (
	"slices"

	"github.com/kds-io/kds/app/auth"
	"github.com/kds-io/kds/app/topic"
)

// State is what kds has decided that bears on Kafka access, read from
// MySQL at once.
type State struct {
	// Topics are the current generation of every topic.
	Topics        []Topic
	Subscriptions []Subscription
	// Tokens are the tokens that are not revoked.
	Tokens []Token
}

// Topic is what a topic's access follows: its status, owner, and the
// producers and consumers its request named.
type Topic struct {
	Name       string
	Generation int
	Status     topic.Status
	Owner      string
	// Producers are token names; Consumers are consumer ids.
	Producers []string
	Consumers []string
}

// Subscription is a consumer id's subscription to one generation of a
// topic.
type Subscription struct {
	ConsumerID string
	Topic      string
	Generation int
}

// Token is a live token.
type Token struct {
	ID        string
	Name      string
	Role      auth.Role
	Consumers []string
}

// Desired are the ACLs state calls for, each with the topic it is for ("" for
// the grants every principal gets).
func Desired(s State, p Principals) map[Grant]string {
	want := map[Grant]string{}
	tokens := map[string]Token{}
	for _, t := range s.Tokens {
		if !HasPrincipal(t.Role) {
			continue
		}
		tokens[t.Name] = t
		principal, _ := p.Of(t.Name)
		for _, op := range []Operation{Read, Describe} {
			want[Grant{Principal: principal, Resource: TopicResource, Name: EventsTopic, Pattern: Literal, Operation: op}] = ""
		}
	}
	readers := map[string][]string{} // topic → consumer ids
	active := map[string]int{}       // active topic → generation
	for _, t := range s.Topics {
		switch t.Status {
		case topic.Approved, topic.Active:
		default:
			continue
		}
		for _, name := range append([]string{t.Owner}, t.Producers...) {
			tok, ok := tokens[name]
			if !ok || !tok.Role.Can(auth.RequestTopics) {
				continue
			}
			principal, _ := p.Of(name)
			for _, op := range []Operation{Write, Describe} {
				want[Grant{Principal: principal, Resource: TopicResource, Name: t.Name, Pattern: Literal, Operation: op}] = t.Name
			}
		}
		// Named consumers, like named producers, from approval on: one
		// approval provisions the topic and its access together.
		readers[t.Name] = append(readers[t.Name], t.Consumers...)
		if t.Status == topic.Active {
			active[t.Name] = t.Generation
		}
	}
	for _, sub := range s.Subscriptions {
		if gen, ok := active[sub.Topic]; ok && gen == sub.Generation {
			readers[sub.Topic] = append(readers[sub.Topic], sub.ConsumerID)
		}
	}
	for name, ids := range readers {
		for _, id := range ids {
			for _, tok := range s.Tokens {
				// Admins act for every consumer id but read only through
				// tokens made for one.
				if tok.Role != auth.Consumer || !slices.Contains(tok.Consumers, id) {
					continue
				}
				principal, _ := p.Of(tok.Name)
				want[Grant{Principal: principal, Resource: TopicResource, Name: name, Pattern: Literal, Operation: Read}] = name
				want[Grant{Principal: principal, Resource: TopicResource, Name: name, Pattern: Literal, Operation: Describe}] = name
				want[Grant{Principal: principal, Resource: GroupResource, Name: ConsumerGroupPrefix(id, name), Pattern: Prefixed, Operation: Read}] = name
			}
		}
	}
	return want
}
