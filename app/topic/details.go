package topic

import (
	"fmt"
	"regexp"
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
}

// MaxDescriptionLength bounds a description, in characters.
const MaxDescriptionLength = 1000

var ownerPattern = regexp.MustCompile(`^[A-Za-z0-9._@-]{1,64}$`)

// Validate refuses an owner that is not a plain name and a description
// that is long or holds what a terminal acts on.
func (d Details) Validate() error {
	if d.Owner != "" && !ownerPattern.MatchString(d.Owner) {
		return &InvalidSpecError{Err: fmt.Errorf("owner %q: want 1 to 64 of letters, digits, '.', '_', '@' and '-'", truncate(d.Owner, 80))}
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
