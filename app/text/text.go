// Package text says which characters the free text kds keeps and shows to
// people (reasons, hosts) may hold.
package text

import "unicode"

// Hidden reports whether a terminal acts on r or does not show it: C0 and
// C1 controls and DEL (escape sequences, bells, carriage returns),
// Unicode format characters (bidirectional overrides, zero-width spaces,
// byte order marks) and the line and paragraph separators. With layout,
// newlines and tabs are not hidden: they lay out text of several lines.
func Hidden(r rune, layout bool) bool {
	if layout && (r == '\n' || r == '\t') {
		return false
	}
	return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == '\u2028' || r == '\u2029'
}

// FirstHidden returns the first character of s that is Hidden and its
// position, counted in characters from 1; position 0 when there is none.
func FirstHidden(s string, layout bool) (rune, int) {
	i := 0
	for _, r := range s {
		i++
		if Hidden(r, layout) {
			return r, i
		}
	}
	return 0, 0
}
