package topic

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/kds-io/kds/app/text"
)

// Details are kds's own record of a topic: who owns it and what it is for.
// Kafka knows nothing of them.
type Details struct {
	// Owner is the team or person the topic belongs to; declarations and
	// exports are grouped by it.
	Owner string
	// Description says what the topic carries.
	Description string
	// Producers are the token names that may write to the topic besides
	// its owner, and Consumers the consumer ids that may read it without
	// subscribing first: one approval provisions the topic and its
	// access.
	Producers []string
	Consumers []string
}

// MaxNamedClients bounds the producers, and the consumers, a topic names.
const MaxNamedClients = 100

// Equal reports whether d and o are the same details.
func (d Details) Equal(o Details) bool {
	return d.Owner == o.Owner && d.Description == o.Description && slices.Equal(d.Producers, o.Producers) && slices.Equal(d.Consumers, o.Consumers)
}

// Changes says what differs from d in o, for an update's reason.
func (d Details) Changes(o Details) []string {
	var changes []string
	if d.Owner != o.Owner {
		changes = append(changes, fmt.Sprintf("owner %q → %q", d.Owner, o.Owner))
	}
	if d.Description != o.Description {
		changes = append(changes, "description")
	}
	if !slices.Equal(d.Producers, o.Producers) {
		changes = append(changes, fmt.Sprintf("producers [%s] → [%s]", strings.Join(d.Producers, ", "), strings.Join(o.Producers, ", ")))
	}
	if !slices.Equal(d.Consumers, o.Consumers) {
		changes = append(changes, fmt.Sprintf("consumers [%s] → [%s]", strings.Join(d.Consumers, ", "), strings.Join(o.Consumers, ", ")))
	}
	return changes
}

// MaxDescriptionLength bounds a description, in characters.
const MaxDescriptionLength = 1000

var (
	ownerPattern    = regexp.MustCompile(`^[A-Za-z0-9._@-]{1,64}$`)
	consumerPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)
)

// Validate refuses an owner that is not a plain name and a description
// that is long or holds what a terminal acts on.
func (d Details) Validate() error {
	if d.Owner != "" && !ownerPattern.MatchString(d.Owner) {
		return &InvalidSpecError{Err: fmt.Errorf("owner %q: want 1 to 64 of letters, digits, '.', '_', '@' and '-'", truncate(d.Owner, 80))}
	}
	if err := validNames("producer", d.Producers, ownerPattern, "letters, digits, '.', '_', '@' and '-'"); err != nil {
		return err
	}
	if err := validNames("consumer", d.Consumers, consumerPattern, "letters, digits, '.', '_' and '-'"); err != nil {
		return err
	}
	if !utf8.ValidString(d.Description) {
		return &InvalidSpecError{Err: fmt.Errorf("description: not UTF-8 text")}
	}
	if n := utf8.RuneCountInString(d.Description); n > MaxDescriptionLength {
		return &InvalidSpecError{Err: fmt.Errorf("description of %d characters: at most %d", n, MaxDescriptionLength)}
	}
	if r, at := text.FirstHidden(d.Description, true); at > 0 {
		return &InvalidSpecError{Err: fmt.Errorf("description: character %+q at position %d is not allowed", r, at)}
	}
	return nil
}

// validNames refuses more than MaxNamedClients names, a name given twice
// and one that does not match pattern.
func validNames(what string, names []string, pattern *regexp.Regexp, allowed string) error {
	if len(names) > MaxNamedClients {
		return &InvalidSpecError{Err: fmt.Errorf("%d %ss: at most %d", len(names), what, MaxNamedClients)}
	}
	for i, n := range names {
		if !pattern.MatchString(n) {
			return &InvalidSpecError{Err: fmt.Errorf("%s %q: want 1 to 64 of %s", what, truncate(n, 80), allowed)}
		}
		if slices.Contains(names[:i], n) {
			return &InvalidSpecError{Err: fmt.Errorf("%s %q is named twice", what, n)}
		}
	}
	return nil
}
