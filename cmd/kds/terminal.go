package main

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Text from other people and processes (reasons, hosts, message content,
// error messages from the API) is shown on a terminal only after every
// character a terminal acts on or hides is turned into a visible Go
// escape: C0 and C1 controls (ESC sequences, OSC window titles and
// clipboard writes, BEL, carriage returns), DEL, bidirectional overrides
// and other invisible formatting characters, line separators, and bytes
// that are not UTF-8. -o json prints text exactly: JSON escapes controls
// itself, and scripts need the real value.

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
		case !hidden(r, layout):
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
	if !utf8.ValidString(s) {
		return true
	}
	for _, r := range s {
		if hidden(r, layout) {
			return true
		}
	}
	return false
}

// hidden reports whether a terminal would act on r or not show it.
func hidden(r rune, layout bool) bool {
	if layout && (r == '\n' || r == '\t') {
		return false
	}
	return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == '\u2028' || r == '\u2029'
}
