package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestDevStateKeepsSecretsUntilFresh: a secret made up at one start is
// read back at the next, in a file only its owner reads, and --fresh
// removes what kds dev keeps, nothing else.
func TestDevStateKeepsSecretsUntilFresh(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	made := 0
	newSecret := func() (string, error) { made++; return "secret-" + strconv.Itoa(made), nil }

	first, err := openDevState(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := first.secret(devStateAdminToken, "the admin token", newSecret); got != "secret-1" {
		t.Fatalf("first start: %q, want a new secret", got)
	}
	if got := first.keptSummary(); got != "nothing (a new state directory)" {
		t.Errorf("first start kept %q", got)
	}
	if info, err := os.Stat(filepath.Join(dir, devStateAdminToken)); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("the kept secret: %v, %v; want mode 0600", info, err)
	}
	if err := os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("mine"), 0o600); err != nil {
		t.Fatal(err)
	}
	first.close()

	again, err := openDevState(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := again.secret(devStateAdminToken, "the admin token", newSecret); got != "secret-1" {
		t.Fatalf("second start: %q, want the kept secret-1", got)
	}
	if got, _ := again.secret(devStateMessageKey, "the message key", newSecret); got != "secret-2" {
		t.Fatalf("second start, a new kind of secret: %q", got)
	}
	if got := again.keptSummary(); got != "the admin token" {
		t.Errorf("second start kept %q, want the admin token", got)
	}
	again.close()

	fresh, err := openDevState(dir, true)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := fresh.secret(devStateAdminToken, "the admin token", newSecret); got != "secret-3" {
		t.Fatalf("--fresh: %q, want a new secret", got)
	}
	if got := fresh.keptSummary(); got != "nothing (--fresh)" {
		t.Errorf("--fresh kept %q", got)
	}
	if _, err := os.Stat(filepath.Join(dir, devStateMessageKey)); !os.IsNotExist(err) {
		t.Errorf("--fresh left the message key: %v", err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "notes.txt")); err != nil || string(b) != "mine" {
		t.Errorf("--fresh removed a file kds dev does not keep: %v", err)
	}
}

// TestDevStateIsOneDevsAtATime: while a kds dev holds a state directory,
// another is refused it, --fresh included, and removes nothing of it.
func TestDevStateIsOneDevsAtATime(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	first, err := openDevState(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := first.secret(devStateAdminToken, "the admin token", func() (string, error) { return "kept", nil }); err != nil {
		t.Fatal(err)
	}
	for _, fresh := range []bool{false, true} {
		if _, err := openDevState(dir, fresh); err == nil || !strings.Contains(err.Error(), "is in use by another kds dev") {
			t.Errorf("a second kds dev (fresh %v) on a held state directory: %v, want it refused", fresh, err)
		}
	}
	if b, err := os.ReadFile(filepath.Join(dir, devStateAdminToken)); err != nil || string(b) != "kept\n" {
		t.Errorf("the held directory's admin token after a refused --fresh: %q, %v", b, err)
	}
	first.close()
	again, err := openDevState(dir, false)
	if err != nil {
		t.Fatalf("once the first let go: %v", err)
	}
	again.close()
}

// TestDevStateDirFollowsXDG: the default is $XDG_STATE_HOME/kds/dev when
// that is an absolute path, as the XDG base directories say, else
// ~/.local/state/kds/dev.
func TestDevStateDirFollowsXDG(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	for _, tt := range []struct{ xdg, want string }{
		{"/srv/state", "/srv/state/kds/dev"},
		{"relative/state", filepath.Join(home, ".local/state/kds/dev")},
		{"", filepath.Join(home, ".local/state/kds/dev")},
	} {
		t.Setenv("XDG_STATE_HOME", tt.xdg)
		if got, err := defaultDevStateDir(); err != nil || got != tt.want {
			t.Errorf("XDG_STATE_HOME=%q: %q, %v; want %q", tt.xdg, got, err, tt.want)
		}
	}
}
