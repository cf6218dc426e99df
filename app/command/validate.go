package command

import (
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/kds-io/kds/app/text"
	"github.com/kds-io/kds/app/topic"
)

// Limits on the free text a command carries; the command log stores no
// more.
const (
	MaxReasonLength = 1000
	MaxActorLength  = 64
)

// InvalidReasonError is returned for a reason that is too long or not
// text: bytes that are not UTF-8, or a character people cannot be shown
// as it is (text.Hidden).
type InvalidReasonError struct {
	Length int
	// Char is the first character a reason may not hold, at Position
	// (counted in characters from 1); Position is 0 when the reason's
	// length or encoding is what is wrong.
	Char     rune
	Position int
}

func (e *InvalidReasonError) Error() string {
	if e.Position > 0 {
		return fmt.Sprintf("reason: character %+q at position %d is not allowed (no control or invisible formatting characters; newlines and tabs are fine)",
			e.Char, e.Position)
	}
	return fmt.Sprintf("reason must be UTF-8 text of at most %d bytes, got %d bytes", MaxReasonLength, e.Length)
}

func validReason(reason string) error {
	if len(reason) > MaxReasonLength || !utf8.ValidString(reason) {
		return &InvalidReasonError{Length: len(reason)}
	}
	if r, at := text.FirstHidden(reason, true); at > 0 {
		return &InvalidReasonError{Length: len(reason), Char: r, Position: at}
	}
	return nil
}

// validateShape checks what every command must satisfy before it can be
// logged at all; one that fails came from outside kds and is malformed.
func (c Command) validateShape() error {
	var problems []error
	if _, err := uuid.Parse(c.ID); err != nil {
		problems = append(problems, fmt.Errorf("command_id %q is not a UUID", c.ID))
	}
	if c.Topic == "" || len(c.Topic) > topic.MaxNameLength {
		problems = append(problems, fmt.Errorf("topic must have 1 to %d characters", topic.MaxNameLength))
	}
	for _, r := range c.Topic {
		if r > 127 {
			problems = append(problems, errors.New("topic must be ASCII"))
			break
		}
	}
	if c.Actor == "" || len(c.Actor) > MaxActorLength {
		problems = append(problems, fmt.Errorf("actor must have 1 to %d characters", MaxActorLength))
	}
	if err := validReason(c.Reason); err != nil {
		problems = append(problems, err)
	}
	if c.IssuedAt.IsZero() {
		problems = append(problems, errors.New("issued_at is missing"))
	}
	if err := errors.Join(problems...); err != nil {
		return &MalformedError{Err: err}
	}
	return nil
}
