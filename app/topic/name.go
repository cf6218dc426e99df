package topic

import (
	"fmt"
	"strings"
)

// MaxNameLength is Kafka's limit for a topic name.
const MaxNameLength = 249

// The Kafka topics kds itself uses.
const (
	CommandsTopic = "kds.commands"
	EventsTopic   = "kds.events"
	PoisonTopic   = "kds.poison"
)

// InternalTopics are the Kafka topics kds itself uses; users can neither
// request them nor names that collide with them.
var InternalTopics = []string{CommandsTopic, EventsTopic, PoisonTopic}

// reservedPrefixes mark names kds or Kafka keep for themselves.
var reservedPrefixes = []string{"kds.", "__"}

// Name is a topic name that Kafka accepts and kds may manage.
type Name struct {
	s string
}

// ParseName validates s against Kafka's naming rules and kds's reserved
// prefixes.
func ParseName(s string) (Name, error) {
	if reason := nameProblem(s); reason != "" {
		return Name{}, &InvalidNameError{Name: s, Reason: reason}
	}
	return Name{s: s}, nil
}

// MustParseName is ParseName for names known to be valid, such as constants in tests.
func MustParseName(s string) Name {
	n, err := ParseName(s)
	if err != nil {
		panic(err)
	}
	return n
}

func nameProblem(s string) string {
	switch {
	case s == "":
		return "it is empty"
	case len(s) > MaxNameLength:
		return fmt.Sprintf("it is %d characters long, Kafka allows at most %d", len(s), MaxNameLength)
	case s == "." || s == "..":
		return `Kafka does not allow "." or ".." as a topic name`
	}
	position := 0
	for _, r := range s {
		position++
		if !isNameChar(r) {
			// %+q shows look-alikes such as a Cyrillic 'е' by their code point.
			return fmt.Sprintf("character %+q at position %d is not allowed (use letters a-z and A-Z, digits, '.', '_' and '-')", r, position)
		}
	}
	for _, p := range reservedPrefixes {
		if strings.HasPrefix(s, p) {
			return fmt.Sprintf("names starting with %q are reserved", p)
		}
	}
	for _, internal := range InternalTopics {
		if CollisionKey(s) == CollisionKey(internal) {
			return fmt.Sprintf("it collides with kds's internal topic %q", internal)
		}
	}
	return ""
}

func isNameChar(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-'
}

// CollisionKey is the name as Kafka's metrics see it: '.' and '_' are the
// same there, so two live topics may not share a collision key.
func CollisionKey(name string) string {
	return strings.ReplaceAll(name, ".", "_")
}

// String returns the name as Kafka knows it.
func (n Name) String() string { return n.s }

// IsZero reports whether n is the zero Name, which no valid topic has.
func (n Name) IsZero() bool { return n.s == "" }

// CollisionKey is the name as Kafka's metrics see it; see the function of
// the same name.
func (n Name) CollisionKey() string { return CollisionKey(n.s) }

// IsManageable reports whether kds may manage a topic of this name found in
// Kafka: internal topics of kds and Kafka are left alone.
func IsManageable(name string) bool {
	_, err := ParseName(name)
	return err == nil
}
