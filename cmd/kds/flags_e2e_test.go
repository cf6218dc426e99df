package main_test

import (
	"strconv"
	"strings"
	"testing"
)

// TestFlagMistakesAreUsageErrorsBeforeAnyRequest: flag values a command
// cannot work with exit 2 with the flag named, even when the API they
// would talk to is down, and never panic.
func TestFlagMistakesAreUsageErrorsBeforeAnyRequest(t *testing.T) {
	t.Parallel()
	env := []string{"KDS_API_URL=http://127.0.0.1:" + strconv.Itoa(closedPort(t)), "KDS_TOKEN=unused"}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"bench", "latency", "--rate", "0"}, "--rate"},
		{[]string{"bench", "latency", "--size", "-1"}, "--size"},
		{[]string{"bench", "latency", "--rate", "2000000000"}, "--rate"},
		{[]string{"bench", "latency", "--duration", "0s"}, "--duration"},
		{[]string{"bench", "lifecycle", "--topics", "-1"}, "--topics"},
		{[]string{"bench", "subscribe", "--topics", "0"}, "--topics"},
		{[]string{"bench", "apply", "--topics", "1"}, "--topics"},
		{[]string{"bench", "apply", "--rounds", "0"}, "--rounds"},
		{[]string{"consume", "--id", "c1", "--topics", "news", "--count", "-1"}, "--count"},
		{[]string{"consume", "--id", "c1", "--count", "3"}, "--count"},
	} {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			t.Parallel()
			r := runKds(t, t.TempDir(), env, "", tt.args...)
			wantFailure(t, r, 2, tt.want)
			if strings.Contains(r.Stderr, "panic") {
				t.Errorf("kds panicked\n%s", r)
			}
		})
	}
}

// TestServeRolesTakeSpacesAfterCommas: --roles "api, lifecycle" names two
// roles, as KDS_SERVER_ROLES does.
func TestServeRolesTakeSpacesAfterCommas(t *testing.T) {
	t.Parallel()
	closed := strconv.Itoa(closedPort(t))
	r := runKds(t, t.TempDir(), []string{"KDS_MYSQL_PORT=" + closed, "KDS_SECURITY_MESSAGE_KEYS=" + newMessageKeys()}, "", "serve", "--roles", "api, lifecycle")
	wantFailure(t, r, 1, "cannot reach MySQL at 127.0.0.1:"+closed)
	if strings.Contains(r.Stderr, "unknown role") {
		t.Errorf("kds serve took a space for part of a role\n%s", r)
	}
}

// TestHelpShowsNoSecret: the help of every command names the variables
// its defaults come from, never their values.
func TestHelpShowsNoSecret(t *testing.T) {
	t.Parallel()
	const token, url = "kds_0123456789ab_Help-Never-Sh0wn", "http://ops:Url-Never-Sh0wn@127.0.0.1:1"
	env := []string{"KDS_TOKEN=" + token, "KDS_API_URL=" + url}
	for _, args := range [][]string{{"--help"}, {"topic", "--help"}, {"send", "--help"}, {"consume", "--help"}, {"doctor", "--help"}} {
		r := runKds(t, t.TempDir(), env, "", args...)
		if r.Code != 0 {
			t.Fatalf("want exit 0\n%s", r)
		}
		for _, secret := range []string{"Help-Never-Sh0wn", "Url-Never-Sh0wn"} {
			if strings.Contains(r.Stdout+r.Stderr, secret) {
				t.Errorf("kds %s shows %q:\n%s", strings.Join(args, " "), secret, r)
			}
		}
		if args[0] != "--help" && !strings.Contains(r.Stdout, "$KDS_TOKEN") {
			t.Errorf("kds %s does not say where the token comes from:\n%s", strings.Join(args, " "), r)
		}
	}
}
