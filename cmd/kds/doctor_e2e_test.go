package main_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/kds-io/kds/adapters/mysql"
	"github.com/kds-io/kds/adapters/mysql/mysqltest"
)

// doctorDoc is kds doctor -o json, declared here as scripts would.
type doctorDoc struct {
	OK     bool `json:"ok"`
	Checks []struct {
		Name   string `json:"name"`
		Status string `json:"status"`
		Detail string `json:"detail"`
	} `json:"checks"`
}

// mysqlEnv is the KDS_MYSQL_* environment of a serve machine using db.
func mysqlEnv(db mysql.Config) []string {
	return []string{
		"KDS_MYSQL_HOST=" + db.Host, "KDS_MYSQL_PORT=" + strconv.Itoa(db.Port), "KDS_MYSQL_USER=" + db.User,
		"KDS_MYSQL_PASSWORD=" + db.Password, "KDS_MYSQL_DATABASE=" + db.Database,
	}
}

// doctor runs kds doctor -o json in a directory without a kds.yaml and
// returns its checks by name.
func doctor(t *testing.T, env []string, args ...string) (map[string]string, map[string]string, cliResult) {
	t.Helper()
	r := runKds(t, t.TempDir(), env, "", append([]string{"doctor", "-o", "json"}, args...)...)
	var doc doctorDoc
	if err := json.Unmarshal([]byte(r.Stdout), &doc); err != nil {
		t.Fatalf("kds doctor -o json: %v\n%s", err, r)
	}
	status, detail := map[string]string{}, map[string]string{}
	failed := false
	for _, c := range doc.Checks {
		status[c.Name], detail[c.Name] = c.Status, c.Detail
		failed = failed || c.Status == "failed"
	}
	if len(doc.Checks) != 5 || doc.OK == failed {
		t.Fatalf("kds doctor: ok %v with checks %v\n%s", doc.OK, status, r)
	}
	if wantCode := map[bool]int{false: 0, true: 1}[failed]; r.Code != wantCode {
		t.Fatalf("kds doctor: exit %d, want %d\n%s", r.Code, wantCode, r)
	}
	return status, detail, r
}

// wantChecks fails the test unless every named check has its status and
// its detail says each of the strings given.
func wantChecks(t *testing.T, status, detail map[string]string, r cliResult, want map[string][]string) {
	t.Helper()
	for name, w := range want {
		if status[name] != w[0] {
			t.Errorf("check %s: %s (%s), want %s\n%s", name, status[name], detail[name], w[0], r)
			continue
		}
		for _, s := range w[1:] {
			if !strings.Contains(detail[name], s) {
				t.Errorf("check %s says %q, not %q", name, detail[name], s)
			}
		}
	}
}

// TestDoctor checks a serve machine, a client machine and each way a
// check can fail against one kds dev.
func TestDoctor(t *testing.T) {
	t.Parallel()
	db := mysqltest.NewConfig(t)
	d := startDev(t, devOptions{env: []string{"KDS_MYSQL_DATABASE=" + db.Database}})
	producer := d.createToken(t, "doctor-producer", "producer")
	api := []string{"KDS_API_URL=" + d.APIURL, "KDS_TOKEN=" + d.AdminToken}
	kafkaEnv := []string{"KDS_KAFKA_BROKERS=" + strings.Join(d.KafkaAddrs, ",")}
	serveMachine := append(append(append([]string{}, mysqlEnv(db)...), kafkaEnv...), api...)

	t.Run("serve machine", func(t *testing.T) {
		t.Parallel()
		status, detail, r := doctor(t, serveMachine)
		wantChecks(t, status, detail, r, map[string][]string{
			"config": {"ok", "no configuration file"},
			"mysql":  {"ok", "MySQL at " + db.Addr(), "up to date"},
			"kafka":  {"ok", "Kafka at " + d.KafkaAddrs[0], "1 broker;", "kds.commands 8 partitions, replication factor 1", "kds.events", "kds.poison"},
			"api":    {"ok", d.APIURL + " is ready"},
			"token":  {"ok", `"admin", role admin`},
		})
		// The table: one line per check.
		table := runKds(t, t.TempDir(), serveMachine, "", "doctor")
		if table.Code != 0 || len(strings.Split(strings.TrimSpace(table.Stdout), "\n")) != 5 {
			t.Fatalf("want 5 lines and exit 0\n%s", table)
		}
		if !regexp.MustCompile(`(?m)^mysql +ok +MySQL at `).MatchString(table.Stdout) {
			t.Errorf("no line for the mysql check\n%s", table)
		}
	})

	t.Run("client machine", func(t *testing.T) {
		t.Parallel()
		status, detail, r := doctor(t, []string{"KDS_API_URL=" + d.APIURL, "KDS_TOKEN=" + producer})
		wantChecks(t, status, detail, r, map[string][]string{
			"config": {"ok"},
			"mysql":  {"skipped", "no KDS_MYSQL_* variables"},
			"kafka":  {"ok", "Kafka at " + d.KafkaAddrs[0], "kds.events"},
			"api":    {"ok"},
			"token":  {"ok", `"doctor-producer", role producer`},
		})
	})

	t.Run("nothing configured", func(t *testing.T) {
		t.Parallel()
		status, detail, r := doctor(t, nil)
		wantChecks(t, status, detail, r, map[string][]string{
			"mysql": {"skipped"}, "kafka": {"skipped"}, "api": {"skipped", "KDS_API_URL is not set"}, "token": {"skipped"},
		})
	})

	closed := strconv.Itoa(closedPort(t))
	failures := []struct {
		name string
		env  []string
		args []string
		want map[string][]string
	}{
		{name: "MySQL on a closed port", env: []string{"KDS_MYSQL_PORT=" + closed},
			want: map[string][]string{"mysql": {"failed", "cannot reach MySQL at " + db.Host + ":" + closed}, "kafka": {"ok"}, "token": {"ok"}}},
		{name: "MySQL refuses the user", env: []string{"KDS_MYSQL_USER=kds_doctor_nobody", "KDS_MYSQL_PASSWORD=Doctor-Pw-Never-Shown"},
			want: map[string][]string{"mysql": {"failed", `user "kds_doctor_nobody"`, "refused the user name or password (mysql.user, mysql.password)"}}},
		{name: "database not migrated", env: []string{"KDS_MYSQL_DATABASE=" + mysqltest.NewConfig(t).Database},
			want: map[string][]string{"mysql": {"failed", "schema version 0", "run kds migrate"}}},
		{name: "Kafka down", env: []string{"KDS_KAFKA_BROKERS=127.0.0.1:" + closed},
			want: map[string][]string{"kafka": {"failed", "cannot reach Kafka at 127.0.0.1:" + closed}, "mysql": {"ok"}}},
		{name: "internal topics unlike the configuration", env: []string{"KDS_KAFKA_INTERNAL_TOPICS_PARTITIONS=4", "KDS_KAFKA_INTERNAL_TOPICS_REPLICATION_FACTOR=3"},
			want: map[string][]string{"kafka": {"failed", "kds.events has 8 partitions, kafka.internal_topics.partitions says 4",
				"kds.commands has replication factor 1, kafka.internal_topics.replication_factor says 3", "replication_factor 3 is more than the 1 broker(s)"}}},
		{name: "Kafka with SASL it does not speak", env: []string{"KDS_KAFKA_SASL_MECHANISM=PLAIN", "KDS_KAFKA_SASL_USERNAME=kds", "KDS_KAFKA_SASL_PASSWORD=Doctor-Pw-Never-Shown"},
			want: map[string][]string{"kafka": {"failed", `SASL PLAIN as "kds"`}}},
		{name: "bad token", env: []string{"KDS_TOKEN=kds_000000000000_not-a-real-token"},
			want: map[string][]string{"token": {"failed", "refused the token", "missing or invalid API token"}, "api": {"ok"}, "mysql": {"ok"}}},
		{name: "API down", env: []string{"KDS_API_URL=http://127.0.0.1:" + closed},
			want: map[string][]string{"api": {"failed", "cannot reach the kds API at http://127.0.0.1:" + closed}, "token": {"skipped"}}},
		{name: "bad configuration file", args: []string{"--config", badConfig(t)},
			want: map[string][]string{"config": {"failed", "log.level", "bad.yaml"}, "mysql": {"skipped", "did not load"}, "kafka": {"skipped", "did not load"}}},
	}
	for _, f := range failures {
		t.Run(f.name, func(t *testing.T) {
			t.Parallel()
			status, detail, r := doctor(t, append(append([]string{}, serveMachine...), f.env...), f.args...)
			wantChecks(t, status, detail, r, f.want)
			if strings.Contains(r.Stdout+r.Stderr, "Doctor-Pw-Never-Shown") {
				t.Errorf("kds doctor shows a password\n%s", r)
			}
			if !strings.Contains(r.Stderr, "checks failed") {
				t.Errorf("stderr does not say how many checks failed\n%s", r)
			}
		})
	}
}

// badConfig writes a configuration file with a wrong value.
func badConfig(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(path, []byte("log:\n  level: loud\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// createToken makes an API token with kds token create and returns it.
func (d *devServer) createToken(t *testing.T, name, role string, flags ...string) string {
	t.Helper()
	var tok tokenDoc
	decodeJSON(t, d.kds(t, append([]string{"token", "create", name, "--role", role, "-o", "json"}, flags...)...), &tok)
	if tok.Token == "" {
		t.Fatalf("token create printed no token")
	}
	return tok.Token
}

// TestAPIURLPasswordsAreNotShown: a KDS_API_URL with a user and password
// in it (for a proxy in front of the API) is shown with the password
// hidden, by kds doctor and in every error, whether the API answers, is
// down or the URL does not parse.
func TestAPIURLPasswordsAreNotShown(t *testing.T) {
	t.Parallel()
	const password = "Url-Pw-Never-Shown"
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/readyz":
			_, _ = io.WriteString(w, `{"ready":true,"checks":{}}`)
		default:
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = io.WriteString(w, `{"error":"missing or invalid API token"}`)
		}
	}))
	defer api.Close()
	up := strings.Replace(api.URL, "http://", "http://ops:"+password+"@", 1)
	down := "http://ops:" + password + "@127.0.0.1:" + strconv.Itoa(closedPort(t))
	unparsable := "http://ops:" + password + " x@127.0.0.1:1"

	status, detail, r := doctor(t, []string{"KDS_API_URL=" + up, "KDS_TOKEN=kds_000000000000_nope"})
	wantChecks(t, status, detail, r, map[string][]string{"api": {"ok", strings.Replace(api.URL, "http://", "http://ops:xxxxx@", 1) + " is ready"}})
	results := []cliResult{r, runKds(t, t.TempDir(), []string{"KDS_API_URL=" + up, "KDS_TOKEN=kds_000000000000_nope"}, "", "doctor")}
	for _, url := range []string{down, unparsable} {
		env := []string{"KDS_API_URL=" + url, "KDS_TOKEN=kds_000000000000_nope"}
		status, detail, r := doctor(t, env)
		wantChecks(t, status, detail, r, map[string][]string{"api": {"failed", "ops:xxxxx@127.0.0.1:"}})
		results = append(results, r, runKds(t, t.TempDir(), env, "", "topic", "list"))
	}
	for _, r := range results {
		if strings.Contains(r.Stdout+r.Stderr, password) {
			t.Errorf("the password is shown\n%s", r)
		}
	}
}

// TestDoctorUnderKafkaACLs: where kds keeps Kafka's ACLs, a client's
// token logs in as itself and may read kds.events only, so doctor checks
// that one; the bootstrap admin token has no Kafka login, which is not a
// fault of the machine.
func TestDoctorUnderKafkaACLs(t *testing.T) {
	t.Parallel()
	d := startDev(t, devOptions{args: []string{"--kafka-sasl", "SCRAM-SHA-512"}})
	producer := d.createToken(t, "doctor-acl-producer", "producer")

	status, detail, r := doctor(t, []string{"KDS_API_URL=" + d.APIURL, "KDS_TOKEN=" + producer})
	wantChecks(t, status, detail, r, map[string][]string{
		"kafka": {"ok", "Kafka at " + d.KafkaAddrs[0], `as "kds-doctor-acl-producer"`, "kds.events"},
		"token": {"ok", `"doctor-acl-producer", role producer`},
	})
	if strings.Contains(detail["kafka"], "kds.commands") {
		t.Errorf("the producer's login may not see kds.commands, yet the check says %q", detail["kafka"])
	}

	status, detail, r = doctor(t, []string{"KDS_API_URL=" + d.APIURL, "KDS_TOKEN=" + d.AdminToken})
	wantChecks(t, status, detail, r, map[string][]string{
		"kafka": {"skipped", "bootstrap admin token has no Kafka login", "kds token create"},
		"token": {"ok", `"admin", role admin`},
	})
}
