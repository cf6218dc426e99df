package main_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/kds-io/kds/adapters/mysql"
	"github.com/kds-io/kds/adapters/mysql/mysqltest"
)

// kdsBinary is the kds command TestMain builds for the end-to-end tests.
var kdsBinary string

// stateHome is the XDG_STATE_HOME of every kds the tests run, so that none
// keeps anything in the home directory of whoever runs them.
var stateHome string

func TestMain(m *testing.M) {
	os.Exit(buildAndRun(m))
}

func buildAndRun(m *testing.M) int {
	dir, err := os.MkdirTemp("", "kds-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "kds e2e:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	kdsBinary, stateHome = filepath.Join(dir, "kds"), filepath.Join(dir, "state")
	build := exec.Command("go", "build", "-o", kdsBinary, "github.com/kds-io/kds/cmd/kds")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "kds e2e: build the kds binary:", err)
		return 1
	}
	return m.Run()
}

// Time limits. They are generous because the whole repository's tests run
// at once under -race on two cores; a healthy run takes a fraction of them.
const (
	devStartTimeout = 60 * time.Second
	commandTimeout  = 60 * time.Second
	shutdownTimeout = 10 * time.Second
	eventualTimeout = 15 * time.Second
)

// mysqlRequired is set in CI, where a missing prerequisite fails the tests
// instead of skipping them.
func mysqlRequired() bool { return os.Getenv("KDS_TEST_REQUIRE_MYSQL") == "1" }

// requireKcat returns the path of Debian's kcat, the independent Kafka
// client the tests check Kafka with.
func requireKcat(t *testing.T) string {
	t.Helper()
	return requireProgram(t, "kcat", "to check Kafka independently of kds", "kcat")
}

// requireProgram returns the path of the first of names installed. Without
// any, the test fails where the tests must all run (KDS_TEST_REQUIRE_MYSQL=1)
// and is skipped elsewhere.
func requireProgram(t *testing.T, pkg, why string, names ...string) string {
	t.Helper()
	var errs []string
	for _, name := range names {
		path, err := exec.LookPath(name)
		if err == nil {
			return path
		}
		errs = append(errs, err.Error())
	}
	msg := fmt.Sprintf("%s is needed %s and is not installed (%s); apt-get install %s", names[0], why, strings.Join(errs, "; "), pkg)
	if mysqlRequired() {
		t.Fatal(msg + " (KDS_TEST_REQUIRE_MYSQL=1)")
	}
	t.Skip("skipping: " + msg)
	return ""
}

// cleanEnv is this process's environment without any KDS_ variable, so
// that a developer's settings do not leak into the kds under test, with
// no configuration file and state kept under stateHome.
func cleanEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "KDS_") && !strings.HasPrefix(kv, "XDG_STATE_HOME=") {
			env = append(env, kv)
		}
	}
	return append(append(env, "KDS_CONFIG=", "XDG_STATE_HOME="+stateHome), extra...)
}

// lockedBuffer collects a process's output while the test reads it, and
// says when something was written.
type lockedBuffer struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	written chan struct{}
}

func newLockedBuffer() *lockedBuffer { return &lockedBuffer{written: make(chan struct{}, 1)} }

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	select {
	case b.written <- struct{}{}:
	default:
	}
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// devServer is a running `kds dev`: an embedded Kafka and every kds role,
// on its own database, state directory and ports.
type devServer struct {
	APIURL     string
	AdminToken string
	// KafkaAddrs are the embedded brokers, as kds dev printed them.
	KafkaAddrs []string
	// DB is kds dev's own database, for tests that check what it stored.
	DB mysql.Config
	// StateDir is where kds dev keeps Kafka's data and its secrets.
	StateDir string

	options devOptions
	workDir string
	cmd     *exec.Cmd
	stdout  *lockedBuffer
	stderr  *lockedBuffer
	exited  chan struct{}
	waitErr error // set before exited is closed
}

// devOptions are the flags and environment kds dev is started with.
type devOptions struct {
	brokers int      // embedded Kafka brokers; 1 when 0
	env     []string // more of kds dev's environment, KEY=value
	args    []string // more of kds dev's flags, at every start
	// token says how kds dev gets its admin token: in
	// KDS_BOOTSTRAP_ADMIN_TOKEN when empty, "file" in --admin-token-file,
	// "flag" in --admin-token, "kept" from its state directory.
	token string
}

// What kds dev prints once it is ready.
var (
	exportLine = regexp.MustCompile(`export KDS_API_URL=(\S+) KDS_TOKEN=(\S+)\n`)
	kafkaLine  = regexp.MustCompile(`Kafka bootstrap:\s+(\S+)`)
)

// newAdminToken is a bootstrap admin token for one kds dev.
func newAdminToken() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return "e2e-admin-" + hex.EncodeToString(b)
}

// newMessageKeys is a security.message_keys value for one installation.
func newMessageKeys() string {
	secret := make([]byte, 32)
	_, _ = rand.Read(secret)
	return "e2e:" + base64.StdEncoding.EncodeToString(secret)
}

// startDev runs kds dev on a fresh database and state directory and waits
// until it says it is ready. Ports are picked by the kernel (port 0) and
// read back from what kds dev prints, so parallel tests cannot race for
// them. The process is stopped when the test ends; when the test failed,
// its output is logged.
func startDev(t *testing.T, o devOptions) *devServer {
	t.Helper()
	if o.brokers == 0 {
		o.brokers = 1
	}
	d := &devServer{DB: mysqltest.NewConfig(t), options: o, workDir: t.TempDir()}
	d.StateDir = filepath.Join(d.workDir, "state")
	if o.token != "kept" {
		d.AdminToken = newAdminToken()
	}
	d.launch(t)
	return d
}

// restart stops kds dev gracefully and starts it again on the same
// database and state directory, with args added to its command line.
func (d *devServer) restart(t *testing.T, args ...string) {
	t.Helper()
	d.stop(t)
	d.launch(t, args...)
}

// launch starts kds dev and waits until it is ready.
func (d *devServer) launch(t *testing.T, extraArgs ...string) {
	t.Helper()
	o := d.options
	d.stdout, d.stderr, d.exited, d.waitErr = newLockedBuffer(), newLockedBuffer(), make(chan struct{}), nil
	args := []string{"dev", "--kafka-addr", "127.0.0.1:0", "--kafka-brokers", strconv.Itoa(o.brokers), "--http-addr", "127.0.0.1:0"}
	var tokenEnv []string
	switch o.token {
	case "":
		tokenEnv = []string{"KDS_BOOTSTRAP_ADMIN_TOKEN=" + d.AdminToken}
	case "file":
		path := filepath.Join(d.workDir, "admin-token")
		if err := os.WriteFile(path, []byte(d.AdminToken+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		args = append(args, "--admin-token-file", path)
	case "flag":
		args = append(args, "--admin-token", d.AdminToken)
	}
	d.cmd = exec.Command(kdsBinary, slices.Concat(args, o.args, extraArgs)...)
	d.cmd.Dir = d.workDir
	env := append(tokenEnv,
		"KDS_MYSQL_HOST="+d.DB.Host,
		"KDS_MYSQL_PORT="+strconv.Itoa(d.DB.Port),
		"KDS_MYSQL_USER="+d.DB.User,
		"KDS_MYSQL_PASSWORD="+d.DB.Password,
		"KDS_MYSQL_DATABASE="+d.DB.Database,
		"KDS_DEV_STATE_DIR="+d.StateDir,
	)
	d.cmd.Env = cleanEnv(append(env, o.env...)...)
	d.cmd.Stdout, d.cmd.Stderr = d.stdout, d.stderr
	if err := d.cmd.Start(); err != nil {
		t.Fatalf("start kds dev: %v", err)
	}
	cmd, stdout, stderr, exited := d.cmd, d.stdout, d.stderr, d.exited
	go func() {
		d.waitErr = cmd.Wait()
		close(exited)
	}()
	t.Cleanup(func() {
		d.stop(t)
		if t.Failed() {
			t.Logf("kds dev %s stdout:\n%s", strings.Join(extraArgs, " "), stdout)
			t.Logf("kds dev %s stderr:\n%s", strings.Join(extraArgs, " "), tail(stderr.String(), 64<<10))
		}
	})

	deadline := time.NewTimer(devStartTimeout)
	defer deadline.Stop()
	for {
		out := stdout.String()
		if m := exportLine.FindStringSubmatch(out); m != nil {
			d.APIURL = m[1]
			if o.token == "kept" {
				d.AdminToken = m[2]
			} else if m[2] != d.AdminToken {
				t.Fatalf("kds dev printed token %q, want the one it was given, %q", m[2], d.AdminToken)
			}
			k := kafkaLine.FindStringSubmatch(out)
			if k == nil {
				t.Fatalf("kds dev did not print the Kafka bootstrap address:\n%s", out)
			}
			d.KafkaAddrs = strings.Split(k[1], ",")
			if len(d.KafkaAddrs) != o.brokers {
				t.Fatalf("kds dev printed %d Kafka brokers, want %d: %s", len(d.KafkaAddrs), o.brokers, k[1])
			}
			return
		}
		select {
		case <-stdout.written:
		case <-exited:
			t.Fatalf("kds dev exited before it was ready: %v\nstderr:\n%s", d.waitErr, stderr)
		case <-deadline.C:
			t.Fatalf("kds dev was not ready within %v", devStartTimeout)
		}
	}
}

// crash kills kds dev, as a power cut would not: what it wrote to files
// is with the operating system.
func (d *devServer) crash(t *testing.T) {
	t.Helper()
	_ = d.cmd.Process.Kill()
	<-d.exited
}

// stop ends kds dev gracefully, or kills it when it does not stop in time.
func (d *devServer) stop(t *testing.T) {
	t.Helper()
	select {
	case <-d.exited:
		return
	default:
	}
	_ = d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.exited:
	case <-time.After(shutdownTimeout):
		t.Errorf("kds dev did not stop within %v of SIGTERM; killing it", shutdownTimeout)
		_ = d.cmd.Process.Kill()
		<-d.exited
	}
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

// cliResult is what one kds command printed and how it exited.
type cliResult struct {
	args   []string
	Stdout string
	Stderr string
	Code   int
}

func (r cliResult) String() string {
	return fmt.Sprintf("kds %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(r.args, " "), r.Code, r.Stdout, r.Stderr)
}

// runKds runs the kds binary in dir with env (added to a clean
// environment) and stdin, and fails the test when it cannot run or does
// not finish within commandTimeout.
func runKds(t *testing.T, dir string, env []string, stdin string, args ...string) cliResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, kdsBinary, args...)
	cmd.Dir = dir
	cmd.Env = cleanEnv(env...)
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := cliResult{args: args, Stdout: stdout.String(), Stderr: stderr.String()}
	var exit *exec.ExitError
	switch {
	case ctx.Err() != nil:
		t.Fatalf("kds %s did not finish within %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), commandTimeout, r.Stdout, r.Stderr)
	case errors.As(err, &exit):
		r.Code = exit.ExitCode()
	case err != nil:
		t.Fatalf("run kds %s: %v", strings.Join(args, " "), err)
	}
	return r
}

// kds runs a CLI command against this kds dev as its admin.
func (d *devServer) kds(t *testing.T, args ...string) cliResult {
	t.Helper()
	return d.kdsAs(t, d.AdminToken, args...)
}

// kdsAs runs a CLI command against this kds dev with token.
func (d *devServer) kdsAs(t *testing.T, token string, args ...string) cliResult {
	t.Helper()
	return runKds(t, d.workDir, []string{"KDS_API_URL=" + d.APIURL, "KDS_TOKEN=" + token}, "", args...)
}

// kdsWithInput runs a CLI command as admin with stdin.
func (d *devServer) kdsWithInput(t *testing.T, stdin string, args ...string) cliResult {
	t.Helper()
	return runKds(t, d.workDir, []string{"KDS_API_URL=" + d.APIURL, "KDS_TOKEN=" + d.AdminToken}, stdin, args...)
}

// mustKds runs a command as admin and fails the test unless it exits 0.
func (d *devServer) mustKds(t *testing.T, args ...string) cliResult {
	t.Helper()
	r := d.kds(t, args...)
	if r.Code != 0 {
		t.Fatalf("want exit 0\n%s", r)
	}
	return r
}

// wantFailure fails the test unless r exited with code and its stderr
// says every one of want.
func wantFailure(t *testing.T, r cliResult, code int, want ...string) {
	t.Helper()
	if r.Code != code {
		t.Errorf("want exit %d\n%s", code, r)
		return
	}
	for _, w := range want {
		if !strings.Contains(r.Stderr, w) {
			t.Errorf("stderr does not say %q\n%s", w, r)
		}
	}
}

// wantLines fails the test unless stdout has every one of the lines.
func wantLines(t *testing.T, r cliResult, lines ...string) {
	t.Helper()
	got := strings.Split(strings.TrimRight(r.Stdout, "\n"), "\n")
	for _, l := range lines {
		if !containsLine(got, l) {
			t.Errorf("stdout lacks the line %q\n%s", l, r)
		}
	}
}

func containsLine(lines []string, want string) bool {
	for _, l := range lines {
		if strings.TrimSpace(l) == want {
			return true
		}
	}
	return false
}

// decodeJSON parses the -o json output of r into v.
func decodeJSON(t *testing.T, r cliResult, v any) {
	t.Helper()
	if r.Code != 0 {
		t.Fatalf("want exit 0\n%s", r)
	}
	if err := json.Unmarshal([]byte(r.Stdout), v); err != nil {
		t.Fatalf("%v\n%s", err, r)
	}
}

// The JSON documents the CLI prints for scripts, declared here rather
// than imported so that a renamed field breaks these tests as it would
// break scripts.
type (
	topicDoc struct {
		Name              string            `json:"name"`
		Status            string            `json:"status"`
		Generation        int               `json:"generation"`
		Partitions        int               `json:"partitions"`
		ReplicationFactor int               `json:"replication_factor"`
		Configs           map[string]string `json:"configs"`
		RequestedBy       string            `json:"requested_by"`
		Error             string            `json:"error"`
	}
	transitionDoc struct {
		Topic      string `json:"topic"`
		Generation int    `json:"generation"`
		Action     string `json:"action"`
		From       string `json:"from"`
		To         string `json:"to"`
		Actor      string `json:"actor"`
		Reason     string `json:"reason"`
		CommandID  string `json:"command_id"`
	}
	commandDoc struct {
		Type      string `json:"type"`
		CommandID string `json:"command_id"`
		Topic     string `json:"topic"`
		Actor     string `json:"actor"`
		Status    string `json:"status"`
		Error     string `json:"error"`
	}
	tokenDoc struct {
		ID        string     `json:"id"`
		Name      string     `json:"name"`
		Role      string     `json:"role"`
		RevokedAt *time.Time `json:"revoked_at"`
		Token     string     `json:"token"`
	}
)

// show is `kds topic show NAME -o json`.
func (d *devServer) show(t *testing.T, name string) topicDoc {
	t.Helper()
	var doc topicDoc
	decodeJSON(t, d.kds(t, "topic", "show", name, "-o", "json"), &doc)
	return doc
}

// statuses is `kds topic list -o json` as name → status.
func (d *devServer) statuses(t *testing.T) map[string]string {
	t.Helper()
	var docs []topicDoc
	decodeJSON(t, d.kds(t, "topic", "list", "-o", "json"), &docs)
	m := make(map[string]string, len(docs))
	for _, doc := range docs {
		m[doc.Name] = doc.Status
	}
	return m
}

// history is `kds topic history NAME -o json`.
func (d *devServer) history(t *testing.T, name string) []transitionDoc {
	t.Helper()
	var h []transitionDoc
	decodeJSON(t, d.kds(t, "topic", "history", name, "-o", "json"), &h)
	return h
}

// request asks for a topic as admin and fails the test unless the CLI
// reports it pending.
func (d *devServer) request(t *testing.T, name string, args ...string) {
	t.Helper()
	d.mustKds(t, append([]string{"topic", "request", name}, args...)...)
}

// eventually polls cond until it holds or the deadline passes; cond
// returns whether it holds and what it saw, for the failure message.
func eventually(t *testing.T, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(eventualTimeout)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		ok, seen := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v; last seen: %s", what, eventualTimeout, seen)
		}
		<-tick.C
	}
}

// kafkaTopic is a topic as kcat sees it: the replica ids of each partition.
type kafkaTopic struct {
	Partitions [][]int32
}

// kafkaMetadata is the part of `kcat -L -J` the tests read.
type kafkaMetadata struct {
	Brokers []struct {
		ID int32 `json:"id"`
	} `json:"brokers"`
	Topics []struct {
		Topic      string `json:"topic"`
		Error      string `json:"error"`
		Partitions []struct {
			Partition int32 `json:"partition"`
			Replicas  []struct {
				ID int32 `json:"id"`
			} `json:"replicas"`
		} `json:"partitions"`
	} `json:"topics"`
}

// kafkaTopics asks Kafka, through kcat, which topics exist.
func kafkaTopics(t *testing.T, kcat string, brokers []string) (topics map[string]kafkaTopic, brokerCount int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, kcat, "-b", strings.Join(brokers, ","), "-L", "-J", "-m", "10")
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("kcat -L: %v\n%s", err, stderr.String())
	}
	var md kafkaMetadata
	if err := json.Unmarshal(stdout.Bytes(), &md); err != nil {
		t.Fatalf("kcat -L -J: %v\n%s", err, stdout.String())
	}
	topics = make(map[string]kafkaTopic, len(md.Topics))
	for _, tp := range md.Topics {
		if tp.Error != "" {
			continue
		}
		kt := kafkaTopic{Partitions: make([][]int32, len(tp.Partitions))}
		for _, p := range tp.Partitions {
			if int(p.Partition) >= len(kt.Partitions) {
				t.Fatalf("kcat: topic %s has partition %d of %d", tp.Topic, p.Partition, len(tp.Partitions))
			}
			for _, r := range p.Replicas {
				kt.Partitions[p.Partition] = append(kt.Partitions[p.Partition], r.ID)
			}
		}
		topics[tp.Topic] = kt
	}
	return topics, len(md.Brokers)
}

// userTopics are the topics in Kafka that are not kds's or Kafka's own.
func userTopics(topics map[string]kafkaTopic) []string {
	var names []string
	for name := range topics {
		if !strings.HasPrefix(name, "kds.") && !strings.HasPrefix(name, "__") {
			names = append(names, name)
		}
	}
	return names
}

// closedPort returns a local TCP port that nothing listens on (it was
// free a moment ago).
func closedPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	return port
}
