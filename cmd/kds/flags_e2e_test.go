package main_test

import (
	"encoding/base64"
	"slices"
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

// TestHelpShowsNoSecret: the help of every command, as --help and as
// kds help, names the variables its defaults come from, never their
// values, whichever secrets the environment holds.
func TestHelpShowsNoSecret(t *testing.T) {
	t.Parallel()
	const never = "Never-Sh0wn"
	env := []string{
		"KDS_TOKEN=kds_0123456789ab_Token-" + never,
		"KDS_API_URL=http://ops:Url-" + never + "@127.0.0.1:1",
		"KDS_BOOTSTRAP_ADMIN_TOKEN=Bootstrap-" + never,
		"KDS_MYSQL_PASSWORD=Mysql-" + never,
		"KDS_KAFKA_SASL_PASSWORD=Sasl-" + never,
		"KDS_AUTH_METRICS_TOKEN=Metrics-" + never,
		"KDS_SECURITY_MESSAGE_KEYS=k:" + base64.StdEncoding.EncodeToString([]byte("MessageKey-"+never+"-0123456789abcdef")),
	}
	secretParts := []string{never, base64.StdEncoding.EncodeToString([]byte("MessageKey-" + never + "-0123456789abcdef"))[:24]}
	commands := [][]string{{}}
	for i := 0; i < len(commands); i++ {
		path := commands[i]
		for _, args := range [][]string{append(slices.Clone(path), "--help"), append([]string{"help"}, path...)} {
			r := runKds(t, t.TempDir(), env, "", args...)
			if r.Code != 0 {
				t.Fatalf("want exit 0\n%s", r)
			}
			for _, secret := range secretParts {
				if strings.Contains(r.Stdout+r.Stderr, secret) {
					t.Errorf("kds %s shows a secret of the environment:\n%s", strings.Join(args, " "), r)
				}
			}
			if strings.Contains(r.Stdout, "--token string") && !strings.Contains(r.Stdout, "$KDS_TOKEN") {
				t.Errorf("kds %s does not say where the token comes from:\n%s", strings.Join(args, " "), r)
			}
			if args[0] == "help" {
				continue
			}
			for _, verb := range subcommands(r.Stdout) {
				commands = append(commands, append(slices.Clone(path), verb))
			}
		}
	}
	if len(commands) < 30 {
		t.Errorf("the help lists %d commands, want every kds command (more than 30)", len(commands))
	}
}

// subcommands are the verbs a help text lists under Available Commands,
// but help and completion.
func subcommands(help string) []string {
	_, list, ok := strings.Cut(help, "Available Commands:\n")
	if !ok {
		return nil
	}
	list, _, _ = strings.Cut(list, "\n\n")
	var verbs []string
	for _, line := range strings.Split(list, "\n") {
		if f := strings.Fields(line); len(f) > 0 && f[0] != "help" && f[0] != "completion" {
			verbs = append(verbs, f[0])
		}
	}
	return verbs
}
