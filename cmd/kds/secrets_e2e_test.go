package main_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/kds-io/kds/adapters/mysql"
	"github.com/kds-io/kds/adapters/mysql/mysqltest"
)

// secretDatabase creates a database and a MySQL user that may use it, with
// a password the test recognizes; both are dropped when the test ends. The
// test server's user needs CREATE USER and the grant option on kds_test_*
// databases (.ci/run gives them to kds_test); without them the test skips,
// or fails in CI.
func secretDatabase(t *testing.T) (db mysql.Config, password string) {
	t.Helper()
	db = mysqltest.NewConfig(t)
	ctx := context.Background()
	admin, err := mysql.Open(ctx, mysqltest.ServerConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	suffix := randomHex(6)
	user, password := "kds_secret_"+suffix, "Mysql-Pa55-"+randomHex(8)
	hosts := []string{"%", "127.0.0.1", "localhost"}
	// Registered first, so users made before a failed GRANT go too.
	t.Cleanup(func() {
		admin, err := mysql.Open(context.Background(), mysqltest.ServerConfig())
		if err != nil {
			t.Logf("drop test user %s: %v", user, err)
			return
		}
		defer admin.Close()
		for _, host := range hosts {
			if _, err := admin.ExecContext(context.Background(), fmt.Sprintf("DROP USER IF EXISTS '%s'@'%s'", user, host)); err != nil {
				t.Logf("drop test user %s@%s: %v", user, host, err)
			}
		}
	})
	for _, host := range hosts {
		for _, stmt := range []string{
			fmt.Sprintf("CREATE USER '%s'@'%s' IDENTIFIED BY '%s'", user, host, password),
			// An unescaped _ in a GRANT is a wildcard.
			fmt.Sprintf("GRANT ALL PRIVILEGES ON `%s`.* TO '%s'@'%s'", strings.ReplaceAll(db.Database, "_", `\_`), user, host),
		} {
			if _, err := admin.ExecContext(ctx, stmt); err != nil {
				msg := fmt.Sprintf("cannot make a MySQL user for the test as %s (it needs CREATE USER and GRANT OPTION on kds_test_*): %v", mysqltest.ServerConfig().User, err)
				if mysqlRequired() {
					t.Fatal(msg)
				}
				t.Skip("skipping: " + msg)
			}
		}
	}
	db.User, db.Password = user, password
	return db, password
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// seen is everything kds showed during the test: what each command
// printed, what the API answered, and kds dev's own output.
type seen struct {
	outputs []string
	names   []string
}

func (s *seen) add(name, text string) {
	s.names = append(s.names, name)
	s.outputs = append(s.outputs, text)
}

// cli records a command's output, both streams.
func (s *seen) cli(r cliResult) cliResult {
	s.add("kds "+strings.Join(r.args, " "), r.Stdout+"\n"+r.Stderr)
	return r
}

// get fetches path from the API with the given headers and records the
// body (not the headers: they carry the token or the session id).
func (s *seen) get(t *testing.T, base, path string, header map[string]string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	s.add("GET "+path, string(body))
	return resp.StatusCode, string(body)
}

// post sends a JSON body and records the answer's body.
func (s *seen) post(t *testing.T, base, path string, body any, header map[string]string) *http.Response {
	t.Helper()
	b, _ := json.Marshal(body)
	req, err := http.NewRequest(http.MethodPost, base+path, bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	s.add("POST "+path, string(answer))
	return resp
}

// assets are the files a dashboard page or script refers to.
var assets = regexp.MustCompile(`(?:src|href)="(/[^"]+)"|from '\./([^']+)'`)

// TestSecretsNeverShow runs a whole flow with recognizable secrets (the
// MySQL password, the bootstrap admin token, a created token, the Kafka
// SASL password, the key kds signs its messages with, and wrong ones of
// each used in failed logins) and looks
// for them in everything kds showed: kds dev's output and log at debug
// level, every CLI command's output, the API's answers, the dashboard's
// HTML and JavaScript, and /metrics. Two outputs show a secret on purpose
// and are looked at separately: kds dev's lines with the admin token it
// was given (it prints it for pasting), and kds token create's, which
// shows the new token once.
func TestSecretsNeverShow(t *testing.T) {
	t.Parallel()
	db, mysqlPassword := secretDatabase(t)
	saslPassword, wrongSASL := "Sasl-Pa55-"+randomHex(8), "Wrong-Sasl-"+randomHex(8)
	sasl := []string{"KDS_KAFKA_SASL_MECHANISM=SCRAM-SHA-256", "KDS_KAFKA_SASL_USERNAME=kds"}
	messageKeys := newMessageKeys()
	_, messageKey, _ := strings.Cut(messageKeys, ":")
	d := startDev(t, devOptions{env: append(append(mysqlEnv(db), sasl...),
		"KDS_KAFKA_SASL_PASSWORD="+saslPassword, "KDS_LOG_LEVEL=debug", "KDS_AUTH_LOCKOUT=10m", "KDS_SECURITY_MESSAGE_KEYS="+messageKeys)})
	var s seen
	dir := t.TempDir()
	as := func(token string, extra ...string) []string {
		return append([]string{"KDS_API_URL=" + d.APIURL, "KDS_TOKEN=" + token}, extra...)
	}

	// The lifecycle, a token, content over SASL, and kds doctor with every
	// secret in its environment.
	s.cli(d.mustKds(t, "topic", "request", "secret_flow"))
	s.cli(d.mustKds(t, "topic", "approve", "secret_flow"))
	created := d.mustKds(t, "token", "create", "secret-producer", "--role", "producer", "-o", "json")
	var producer tokenDoc
	decodeJSON(t, created, &producer)
	if strings.Count(created.Stdout, producer.Token) != 1 {
		t.Fatalf("kds token create shows the new token %d times, want once\n%s", strings.Count(created.Stdout, producer.Token), created)
	}
	s.add("kds token create (stderr)", created.Stderr)
	s.cli(d.mustKds(t, "token", "list", "-o", "json"))
	s.cli(d.mustKds(t, "token", "list"))
	if r := s.cli(runKds(t, dir, as(producer.Token, append(sasl, "KDS_KAFKA_SASL_PASSWORD="+saslPassword)...), "", "send", "secret_flow", "hello")); r.Code != 0 {
		t.Fatalf("send over SASL\n%s", r)
	}
	wantFailure(t, s.cli(runKds(t, dir, as(producer.Token, append(sasl, "KDS_KAFKA_SASL_PASSWORD="+wrongSASL)...), "", "send", "secret_flow", "hello")),
		1, `SASL SCRAM-SHA-256 as "kds"`)
	doctorEnv := append(append(append(mysqlEnv(db), sasl...), "KDS_KAFKA_SASL_PASSWORD="+saslPassword,
		"KDS_KAFKA_BROKERS="+strings.Join(d.KafkaAddrs, ",")), as(d.AdminToken)...)
	if r := s.cli(runKds(t, dir, doctorEnv, "", "doctor")); r.Code != 0 {
		t.Fatalf("kds doctor\n%s", r)
	}
	wantFailure(t, s.cli(runKds(t, dir, append(doctorEnv, "KDS_MYSQL_PASSWORD=Wrong-"+mysqlPassword, "KDS_KAFKA_SASL_PASSWORD="+wrongSASL), "", "doctor")),
		1, "checks failed")
	wantFailure(t, s.cli(runKds(t, dir, append(mysqlEnv(db), "KDS_MYSQL_PORT="+strconv.Itoa(closedPort(t))), "", "migrate")),
		1, "cannot reach MySQL")

	// The dashboard, signed in with the producer's token, and what the
	// page reads.
	resp := s.post(t, d.APIURL, "/api/v1/session", map[string]string{"token": producer.Token}, nil)
	var cookie string
	for _, c := range resp.Cookies() {
		if c.Name == "kds_session" {
			cookie = c.Name + "=" + url.PathEscape(c.Value)
		}
	}
	if resp.StatusCode != http.StatusOK || cookie == "" {
		t.Fatalf("sign in: %d, cookie %q", resp.StatusCode, cookie)
	}
	session := map[string]string{"Cookie": cookie}
	pages, fetched := []string{"/"}, map[string]bool{}
	for len(pages) > 0 {
		p := pages[0]
		pages = pages[1:]
		if fetched[p] {
			continue
		}
		fetched[p] = true
		code, body := s.get(t, d.APIURL, p, session)
		if code != http.StatusOK {
			t.Fatalf("dashboard %s: %d", p, code)
		}
		for _, m := range assets.FindAllStringSubmatch(body, -1) {
			if m[1] != "" {
				pages = append(pages, m[1])
			} else {
				pages = append(pages, p[:strings.LastIndex(p, "/")+1]+m[2])
			}
		}
	}
	if len(fetched) < 4 {
		t.Fatalf("the dashboard crawl found only %v", fetched)
	}
	for _, p := range []string{"/api/v1/whoami", "/api/v1/topics", "/api/v1/cluster", "/api/v1/topics/secret_flow/history", "/api/v1/commands"} {
		if code, body := s.get(t, d.APIURL, p, session); code != http.StatusOK {
			t.Fatalf("%s with the session: %d %s", p, code, body)
		}
	}
	s.get(t, d.APIURL, "/api/v1/tokens", map[string]string{"Authorization": "Bearer " + d.AdminToken})
	s.get(t, d.APIURL, "/readyz", nil)

	// Failed logins of every kind, enough to be locked out (after ten
	// failures from one address, so the later ones get 429).
	wrongToken := "Wrong-Token-" + randomHex(8)
	forged := "kds_" + producer.ID + "_Forged" + randomHex(16)
	wrongAdmin := d.AdminToken + "x"
	for _, bad := range []string{forged, wrongToken, wrongAdmin} {
		if r := s.cli(runKds(t, dir, as(bad), "", "topic", "list")); r.Code != 1 {
			t.Fatalf("a wrong token got in\n%s", r)
		}
		wantFailure(t, s.cli(runKds(t, dir, as(bad), "", "doctor")), 1, "checks failed")
		if r := s.post(t, d.APIURL, "/api/v1/session", map[string]string{"token": bad}, nil); r.StatusCode != http.StatusUnauthorized && r.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("sign in with a wrong token: %d", r.StatusCode)
		}
		if code, _ := s.get(t, d.APIURL, "/api/v1/topics", map[string]string{"Authorization": "Bearer " + bad}); code != http.StatusUnauthorized && code != http.StatusTooManyRequests {
			t.Fatalf("GET with a wrong token: %d", code)
		}
	}
	// A secret that failed already counts once, so guessing takes new ones.
	locked := false
	for i := range 10 {
		code, _ := s.get(t, d.APIURL, "/api/v1/whoami", map[string]string{"Authorization": "Bearer " + wrongToken + strconv.Itoa(i)})
		locked = locked || code == http.StatusTooManyRequests
	}
	if !locked {
		t.Fatalf("13 different wrong secrets from one address were never answered 429")
	}
	wantFailure(t, s.cli(runKds(t, dir, as(d.AdminToken), "", "topic", "list")), 1, "too many failed authentications")

	// A token kds made still gets in from the locked-out address.
	if code, _ := s.get(t, d.APIURL, "/metrics", map[string]string{"Authorization": "Bearer " + producer.Token}); code != http.StatusOK {
		t.Fatalf("/metrics: %d", code)
	}

	// kds dev's output, after it stopped: the two lines that show the
	// admin token on purpose, once each, and nothing else.
	d.stop(t)
	out := d.stdout.String()
	for _, line := range []string{
		"  admin token:       " + d.AdminToken + "\n",
		"  export KDS_API_URL=" + d.APIURL + " KDS_TOKEN=" + d.AdminToken + "\n",
	} {
		if n := strings.Count(out, line); n != 1 {
			t.Errorf("kds dev printed %q %d times, want once", line, n)
		}
		out = strings.Replace(out, line, "", 1)
	}
	s.add("kds dev stdout, less the admin token lines", out)
	s.add("kds dev stderr (log at debug level)", d.stderr.String())
	if !strings.Contains(d.stderr.String(), "authentication locked out") || !strings.Contains(d.stderr.String(), "token_id="+producer.ID) {
		t.Errorf("kds dev's log does not report the failed logins")
	}

	secrets := map[string]string{
		"the MySQL password":               mysqlPassword,
		"the bootstrap admin token":        d.AdminToken,
		"the created token":                producer.Token,
		"the created token's secret":       strings.SplitN(producer.Token, "_", 3)[2],
		"the SASL password":                saslPassword,
		"a wrong SASL password":            wrongSASL,
		"a wrong token":                    wrongToken,
		"a forged token's secret":          strings.SplitN(forged, "_", 3)[2],
		"a wrong admin token":              wrongAdmin,
		"the start of the MySQL password":  mysqlPassword[:len(mysqlPassword)-4],
		"the start of the SASL password":   saslPassword[:len(saslPassword)-4],
		"the start of the bootstrap token": d.AdminToken[:len(d.AdminToken)-4],
		"the message key":                  messageKey,
		"the start of the message key":     messageKey[:16],
	}
	bytesSeen := 0
	for i, text := range s.outputs {
		bytesSeen += len(text)
		for what, secret := range secrets {
			if strings.Contains(text, secret) {
				t.Errorf("%s shows %s:\n%s", s.names[i], what, tail(text, 4<<10))
			}
		}
	}
	t.Logf("looked through %d outputs, %d bytes", len(s.outputs), bytesSeen)
}
