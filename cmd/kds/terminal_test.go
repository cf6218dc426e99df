package main

import "testing"

func TestVisible(t *testing.T) {
	t.Parallel()
	cases := []struct{ in, field, lines string }{
		{"plain text, ünïcödé, 日本語 ✓", "plain text, ünïcödé, 日本語 ✓", "plain text, ünïcödé, 日本語 ✓"},
		{"\x1b[2J\x1b]0;title\x07", `\x1b[2J\x1b]0;title\x07`, `\x1b[2J\x1b]0;title\x07`},
		{"a\nb\tc\rd", `a\nb\tc\rd`, "a\nb\tc\\rd"},
		{"nul\x00del\x7f", `nul\x00del\x7f`, `nul\x00del\x7f`},
		{"c1\u009b31m", `c1\u009b31m`, `c1\u009b31m`},
		{"\u202eevil\u2066x\u2069", `\u202eevil\u2066x\u2069`, `\u202eevil\u2066x\u2069`},
		{"zero\u200bwidth\ufeff", `zero\u200bwidth\ufeff`, `zero\u200bwidth\ufeff`},
		{"line\u2028sep", `line\u2028sep`, `line\u2028sep`},
		{"bad \xff\xfe utf-8", `bad \xff\xfe utf-8`, `bad \xff\xfe utf-8`},
	}
	for _, c := range cases {
		if got := visible(c.in); got != c.field {
			t.Errorf("visible(%q) = %q, want %q", c.in, got, c.field)
		}
		if got := visibleLines(c.in); got != c.lines {
			t.Errorf("visibleLines(%q) = %q, want %q", c.in, got, c.lines)
		}
	}
}
