package text_test

import (
	"testing"

	"github.com/kds-io/kds/app/text"
)

func TestFirstHidden(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		s        string
		layout   bool
		char     rune
		position int
	}{
		{"plain, ünïcödé, 日本語 ✓", false, 0, 0},
		{"two\nlines\tand a tab", true, 0, 0},
		{"two\nlines", false, '\n', 4},
		{"é\x1b[2J", true, '\x1b', 2},
		{"\x00", true, 0, 1},
		{"del\x7f", true, '\x7f', 4},
		{"c1\u0085", true, '\u0085', 3},
		{"rtl\u202e", true, '\u202e', 4},
		{"isolate\u2067", true, '\u2067', 8},
		{"zw\u200d", true, '\u200d', 3},
		{"bom\ufeff", true, '\ufeff', 4},
		{"sep\u2029", true, '\u2029', 4},
	} {
		if r, p := text.FirstHidden(c.s, c.layout); r != c.char || p != c.position {
			t.Errorf("FirstHidden(%+q, %v) = %+q at %d, want %+q at %d", c.s, c.layout, r, p, c.char, c.position)
		}
	}
}
