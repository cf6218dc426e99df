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
