// Package auth decides who may do what: roles, their permissions, and the
// API tokens that carry a role.
package auth

import (
	"fmt"
	"slices"
	"strings"
)

// Role is what a token's holder is allowed to do.
type Role string

// The roles, from most to least powerful.
const (
	Admin    Role = "admin"
	Producer Role = "producer"
	Consumer Role = "consumer"
	Viewer   Role = "viewer"
)

// Roles lists every role.
var Roles = []Role{Admin, Producer, Consumer, Viewer}

// ParseRole turns a typed or stored role back into a Role.
func ParseRole(s string) (Role, error) {
	for _, r := range Roles {
		if string(r) == s {
			return r, nil
		}
	}
	return "", fmt.Errorf("unknown role %q (want admin, producer, consumer or viewer)", s)
}

// Permission is one thing the API lets a caller do.
type Permission string

// The permissions the API checks.
const (
	// ReadTopics covers topics, their history, commands and subscriptions.
	ReadTopics Permission = "read-topics"
	// RequestTopics lets a caller ask for a new topic.
	RequestTopics Permission = "request-topics"
	// DecideTopics covers approve, reject, update and deactivate.
	DecideTopics Permission = "decide-topics"
	// ManageTokens covers creating, listing and revoking API tokens.
	ManageTokens Permission = "manage-tokens"
	// ConsumeTopics covers subscribing, unsubscribing and reporting a
	// consumer's processes.
	ConsumeTopics Permission = "consume-topics"
	// ReachKafka tells a caller where the Kafka brokers are, which only
	// the clients that produce or consume content need.
	ReachKafka Permission = "reach-kafka"
)

var grants = map[Role][]Permission{
	Admin:    {ReadTopics, RequestTopics, DecideTopics, ManageTokens, ConsumeTopics, ReachKafka},
	Producer: {ReadTopics, RequestTopics, ReachKafka},
	Consumer: {ReadTopics, ConsumeTopics, ReachKafka},
	Viewer:   {ReadTopics},
}

// Can reports whether the role grants p.
func (r Role) Can(p Permission) bool { return slices.Contains(grants[r], p) }

// Principal is an authenticated caller.
type Principal struct {
	// Name is recorded as the actor of what the caller does.
	Name string
	Role Role
	// TokenID is empty for the bootstrap admin token, which is not stored.
	TokenID string
	// Consumers are the consumer ids a consumer's token acts for.
	Consumers []string
}

// Equal reports whether p and q are the same caller with the same rights.
func (p Principal) Equal(q Principal) bool {
	return p.Name == q.Name && p.Role == q.Role && p.TokenID == q.TokenID && slices.Equal(p.Consumers, q.Consumers)
}

// ActsFor reports whether p may act for the consumer id: admins for any,
// consumers for those their token was made for.
func (p Principal) ActsFor(consumerID string) bool {
	return p.Role == Admin || (p.Role.Can(ConsumeTopics) && slices.Contains(p.Consumers, consumerID))
}

// ForbiddenError is returned when a principal lacks a permission.
type ForbiddenError struct {
	Principal  Principal
	Permission Permission
}

func (e *ForbiddenError) Error() string {
	return fmt.Sprintf("%s %q may not %s", e.Principal.Role, e.Principal.Name, describe[e.Permission])
}

var describe = map[Permission]string{
	ReadTopics:    "read topics",
	RequestTopics: "request topics",
	DecideTopics:  "approve, reject, update or deactivate topics (admins only)",
	ManageTokens:  "manage API tokens (admins only)",
	ConsumeTopics: "subscribe to topics (consumers and admins)",
	ReachKafka:    "learn where Kafka is (producers, consumers and admins)",
}

// ConsumerForbiddenError is returned when a consumer's token acts for a
// consumer id it was not made for.
type ConsumerForbiddenError struct {
	Principal  Principal
	ConsumerID string
}

func (e *ConsumerForbiddenError) Error() string {
	return fmt.Sprintf("%s %q may act only for consumer ids %s, not %q", e.Principal.Role, e.Principal.Name,
		strings.Join(e.Principal.Consumers, ", "), e.ConsumerID)
}

// Authorize returns a *ForbiddenError unless p's role grants perm.
func Authorize(p Principal, perm Permission) error {
	if !p.Role.Can(perm) {
		return &ForbiddenError{Principal: p, Permission: perm}
	}
	return nil
}
