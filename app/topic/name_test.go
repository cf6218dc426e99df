package topic_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/kds-io/kds/app/topic"
)

func TestParseName(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		reason string // empty when valid
	}{
		{"news_updates", ""},
		{"a", ""},
		{"Orders.v2-EU", ""},
		{strings.Repeat("x", 249), ""},
		{"kds_other", ""},
		{"", "it is empty"},
		{strings.Repeat("x", 250), "250 characters long"},
		{".", `"." or ".."`},
		{"..", `"." or ".."`},
		{"news updates", `character ' ' at position 5`},
		{"drop;table", `character ';'`},
		{"a'b", `character '\''`},
		{"$(rm -rf)", `character '$'`},
		{"nеws", `character '\u0435' at position 2`}, // Cyrillic e, a look-alike
		{"kds.mine", `starting with "kds." are reserved`},
		{"__consumer_offsets", `starting with "__" are reserved`},
		{"kds_events", `collides with kds's internal topic "kds.events"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			n, err := topic.ParseName(tt.name)
			if tt.reason == "" {
				if err != nil {
					t.Fatalf("ParseName(%q): %v", tt.name, err)
				}
				if n.String() != tt.name {
					t.Fatalf("String() = %q", n.String())
				}
				return
			}
			var invalid *topic.InvalidNameError
			if !errors.As(err, &invalid) {
				t.Fatalf("ParseName(%q) = %v, want InvalidNameError", tt.name, err)
			}
			if !strings.Contains(err.Error(), tt.reason) {
				t.Fatalf("error %q does not say %q", err, tt.reason)
			}
		})
	}
}

func TestCollisionKey(t *testing.T) {
	t.Parallel()
	if topic.CollisionKey("a.b_c") != topic.CollisionKey("a_b.c") {
		t.Fatal("names differing only by '.' and '_' must share a collision key")
	}
	if topic.CollisionKey("a.b") == topic.CollisionKey("A.b") {
		t.Fatal("topic names are case-sensitive in Kafka")
	}
}

func FuzzParseName(f *testing.F) {
	for _, s := range []string{"news", "kds.x", "__x", "..", "a b", strings.Repeat("y", 250)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := topic.ParseName(s)
		if err != nil {
			return
		}
		if len(s) == 0 || len(s) > topic.MaxNameLength || s == "." || s == ".." ||
			strings.HasPrefix(s, "kds.") || strings.HasPrefix(s, "__") {
			t.Fatalf("ParseName accepted %q", s)
		}
		for _, r := range s {
			if !strings.ContainsRune("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-", r) {
				t.Fatalf("ParseName accepted %q with %q", s, r)
			}
		}
		if n.String() != s {
			t.Fatalf("round trip %q → %q", s, n)
		}
	})
}
