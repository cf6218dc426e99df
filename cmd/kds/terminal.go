package main

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/kds-io/kds/app/text"
)

// Text from other people and processes (reasons, hosts, message content,
// error messages from the API) is shown on a terminal only after every
// character a terminal acts on or hides (text.Hidden: escape sequences,
// window titles and clipboard writes, bells, carriage returns,
// bidirectional overrides, zero-width characters) and every byte that is
// not UTF-8 is turned into a visible Go escape. -o json prints text
// exactly: JSON escapes controls itself, and scripts need the real value.

// visible is s for one field of a line or table cell: newlines and tabs
// are escaped too, so that a field cannot forge lines or columns.
func visible(s string) string { return escapeHidden(s, false) }

// visibleLines is s for a message kds lays out itself, such as an error
// of several lines: newlines and tabs stay, everything else hidden is
// escaped.
func visibleLines(s string) string { return escapeHidden(s, true) }

func escapeHidden(s string, layout bool) string {
	if !hasHidden(s, layout) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case !text.Hidden(r, layout):
			b.WriteString(s[i : i+size])
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < utf8.RuneSelf:
			fmt.Fprintf(&b, `\x%02x`, r)
		default:
			fmt.Fprintf(&b, `\u%04x`, r)
		}
		i += size
	}
	return b.String()
}

func hasHidden(s string, layout bool) bool {
	_, at := text.FirstHidden(s, layout)
	return at > 0 || !utf8.ValidString(s)
}
