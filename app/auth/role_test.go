package auth_test

import (
	"errors"
	"testing"

	"github.com/kds-io/kds/app/auth"
)

// TestPermissionMatrix pins down exactly what each role may do.
func TestPermissionMatrix(t *testing.T) {
	t.Parallel()
	want := map[auth.Role][]auth.Permission{
		auth.Admin:    {auth.ReadTopics, auth.RequestTopics, auth.DecideTopics, auth.ManageTokens, auth.ConsumeTopics, auth.ReachKafka},
		auth.Producer: {auth.ReadTopics, auth.RequestTopics, auth.ReachKafka},
		auth.Consumer: {auth.ReadTopics, auth.ConsumeTopics, auth.ReachKafka},
		auth.Viewer:   {auth.ReadTopics},
	}
	all := []auth.Permission{auth.ReadTopics, auth.RequestTopics, auth.DecideTopics, auth.ManageTokens, auth.ConsumeTopics, auth.ReachKafka}
	for _, role := range auth.Roles {
		for _, p := range all {
			granted := false
			for _, g := range want[role] {
				granted = granted || g == p
			}
			err := auth.Authorize(auth.Principal{Name: "x", Role: role}, p)
			var forbidden *auth.ForbiddenError
			if granted != (err == nil) || (!granted && !errors.As(err, &forbidden)) {
				t.Errorf("%s / %s: Authorize = %v, want granted=%v", role, p, err, granted)
			}
		}
	}
}

func TestParseRole(t *testing.T) {
	t.Parallel()
	for _, r := range auth.Roles {
		if got, err := auth.ParseRole(string(r)); err != nil || got != r {
			t.Fatalf("ParseRole(%q) = %v, %v", r, got, err)
		}
	}
	if _, err := auth.ParseRole("root"); err == nil {
		t.Fatal("ParseRole accepted an unknown role")
	}
}
