package main_test

// Helpers for the fault tests: kds serve and kds broker as processes of
// their own that a test kills, stops and starts again with the same
// arguments and environment; a TCP proxy between kds serve and MariaDB
// that can be cut; a driver that issues lifecycle commands through the
// API at volume and re-issues what it could not confirm; and what the
// tests read from Kafka's consumer groups and from MySQL.

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kds-io/kds/adapters/httpapi/apiclient"
	"github.com/kds-io/kds/adapters/httpapi/apiv1"
	"github.com/kds-io/kds/adapters/mysql"
	"github.com/kds-io/kds/adapters/mysql/mysqltest"
	"github.com/kds-io/kds/app/command"
	"github.com/kds-io/kds/app/topic"
)

// processRun is one run of a restartable process.
type processRun struct {
	cmd     *exec.Cmd
	stdout  *lockedBuffer
	stderr  *lockedBuffer
	exited  chan struct{}
	waitErr error // set before exited is closed
}

func (r *processRun) hasExited() bool {
	select {
	case <-r.exited:
		return true
	default:
		return false
	}
}

// restartable is a long-running kds process, kds serve or kds broker, that
// a fault test starts, kills and starts again with the same arguments and
// environment. Its methods may be called from any goroutine: they return
// errors instead of failing the test.
type restartable struct {
	name string
	args []string
	env  []string
	dir  string
	// URL is the API of a kds serve with the api role; empty for a broker.
	URL string
	// ready says whether a run is ready: /readyz answers 200 for a kds
	// serve, and a broker has said where it listens.
	ready func(r *processRun) bool

	mu   sync.Mutex
	runs []*processRun
}

// newRestartable prepares a process; nothing runs until start. When the
// test ends, a process still running is killed, and when the test failed,
// what each run wrote to stderr is logged.
func newRestartable(t *testing.T, name string, env []string, args ...string) *restartable {
	t.Helper()
	p := &restartable{name: name, args: args, env: env, dir: t.TempDir()}
	t.Cleanup(func() {
		if r := p.current(); r != nil && !r.hasExited() {
			_ = r.cmd.Process.Kill()
			<-r.exited
		}
		if t.Failed() {
			p.mu.Lock()
			defer p.mu.Unlock()
			for i, r := range p.runs {
				t.Logf("%s, run %d of %d (%v), stderr:\n%s", p.name, i+1, len(p.runs), r.waitErr, tail(r.stderr.String(), 6<<10))
			}
		}
	})
	return p
}

// newServe prepares a kds serve configured by cfg; its API listens on
// cfg.httpAddr in every run.
func newServe(t *testing.T, name string, cfg serveConfig, args ...string) *restartable {
	t.Helper()
	p := newRestartable(t, name, cfg.env(), append([]string{"serve"}, args...)...)
	p.URL = "http://" + cfg.httpAddr
	probe := &http.Client{Timeout: 3 * time.Second}
	p.ready = func(*processRun) bool {
		resp, err := probe.Get(p.URL + "/readyz")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		_, _ = io.Copy(io.Discard, resp.Body)
		return resp.StatusCode == http.StatusOK
	}
	return p
}

// startBroker runs `kds broker` on a port of its own, keeping its data in
// dataDir when that is not empty, and returns it with its address.
func startBroker(t *testing.T, dataDir string) (*restartable, string) {
	t.Helper()
	addr := freeAddr(t)
	args := []string{"broker", "--addr", addr}
	if dataDir != "" {
		args = append(args, "--data-dir", dataDir)
	}
	p := newRestartable(t, "kds broker", nil, args...)
	p.ready = func(r *processRun) bool {
		return strings.Contains(r.stdout.String(), "embedded Kafka listening on "+addr)
	}
	p.mustStart(t)
	return p, addr
}

// start runs the process and waits until it is ready; it returns how long
// that took.
func (p *restartable) start() (time.Duration, error) {
	begin := time.Now()
	r, err := p.launch()
	if err != nil {
		return 0, err
	}
	if err := p.awaitReady(r); err != nil {
		return 0, err
	}
	return time.Since(begin), nil
}

// launch runs the process without waiting for it to be ready, so that a
// test can kill it while it starts.
func (p *restartable) launch() (*processRun, error) {
	r := &processRun{stdout: newLockedBuffer(), stderr: newLockedBuffer(), exited: make(chan struct{})}
	r.cmd = exec.Command(kdsBinary, p.args...)
	r.cmd.Dir = p.dir
	r.cmd.Env = cleanEnv(p.env...)
	r.cmd.Stdout, r.cmd.Stderr = r.stdout, r.stderr
	if err := r.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", p.name, err)
	}
	go func() {
		r.waitErr = r.cmd.Wait()
		close(r.exited)
	}()
	p.mu.Lock()
	p.runs = append(p.runs, r)
	p.mu.Unlock()
	return r, nil
}

// awaitReady waits until run r is ready, failing if it exits first.
func (p *restartable) awaitReady(r *processRun) error {
	deadline := time.Now().Add(devStartTimeout)
	for !p.ready(r) {
		if time.Now().After(deadline) {
			return fmt.Errorf("%s was not ready within %v\nstderr:\n%s", p.name, devStartTimeout, tail(r.stderr.String(), 4<<10))
		}
		select {
		case <-r.exited:
			return fmt.Errorf("%s exited before it was ready: %v\nstderr:\n%s", p.name, r.waitErr, tail(r.stderr.String(), 4<<10))
		case <-time.After(20 * time.Millisecond):
		}
	}
	return nil
}

func (p *restartable) mustStart(t *testing.T) time.Duration {
	t.Helper()
	took, err := p.start()
	if err != nil {
		t.Fatal(err)
	}
	return took
}

// current is the latest run, nil before the first.
func (p *restartable) current() *processRun {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.runs) == 0 {
		return nil
	}
	return p.runs[len(p.runs)-1]
}

// starts counts the runs so far.
func (p *restartable) starts() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.runs)
}

// running reports whether the latest run still runs.
func (p *restartable) running() bool {
	r := p.current()
	return r != nil && !r.hasExited()
}

// kill ends the running process with SIGKILL: no shutdown, no goodbye to
// Kafka's consumer groups, nothing flushed.
func (p *restartable) kill() error {
	r := p.current()
	if r == nil || r.hasExited() {
		return fmt.Errorf("%s is not running", p.name)
	}
	if err := r.cmd.Process.Kill(); err != nil {
		return fmt.Errorf("kill %s: %w", p.name, err)
	}
	select {
	case <-r.exited:
		return nil
	case <-time.After(shutdownTimeout):
		return fmt.Errorf("%s still runs %v after SIGKILL", p.name, shutdownTimeout)
	}
}

func (p *restartable) mustKill(t *testing.T) {
	t.Helper()
	if err := p.kill(); err != nil {
		t.Fatal(err)
	}
}

// terminate stops the running process with SIGTERM and fails the test
// unless it exits 0 within shutdownTimeout; it returns how long it took.
func (p *restartable) terminate(t *testing.T) time.Duration {
	t.Helper()
	r := p.current()
	if r == nil || r.hasExited() {
		t.Fatalf("%s is not running", p.name)
	}
	begin := time.Now()
	if err := r.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("SIGTERM to %s: %v", p.name, err)
	}
	select {
	case <-r.exited:
	case <-time.After(shutdownTimeout):
		t.Fatalf("%s still runs %v after SIGTERM", p.name, shutdownTimeout)
	}
	if r.waitErr != nil {
		t.Fatalf("%s ended with %v after SIGTERM, want exit 0\nstderr:\n%s", p.name, r.waitErr, tail(r.stderr.String(), 4<<10))
	}
	return time.Since(begin)
}

// stderr is what every run so far wrote to stderr.
func (p *restartable) stderr() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var b strings.Builder
	for _, r := range p.runs {
		b.WriteString(r.stderr.String())
	}
	return b.String()
}

// serveConfig is the environment of a kds serve.
type serveConfig struct {
	// db is the test's database; mysqlAddr, when set, is where kds serve
	// reaches it instead (a proxy).
	db        mysql.Config
	mysqlAddr string
	kafka     string
	httpAddr  string
	token     string // the bootstrap admin token
	// messageKeys is security.message_keys, shared by every instance.
	messageKeys string
	extra       []string
}

// newServeConfig is a kds serve on a fresh database with an API on a port
// of its own, which stays the same across restarts.
func newServeConfig(t *testing.T, kafkaAddr string, extra ...string) serveConfig {
	t.Helper()
	return serveConfig{db: mysqltest.NewConfig(t), kafka: kafkaAddr, httpAddr: freeAddr(t), token: newAdminToken(), messageKeys: newMessageKeys(), extra: extra}
}

func (c serveConfig) env() []string {
	host, port := c.db.Host, strconv.Itoa(c.db.Port)
	if c.mysqlAddr != "" {
		host, port, _ = net.SplitHostPort(c.mysqlAddr)
	}
	return append([]string{
		"KDS_KAFKA_BROKERS=" + c.kafka,
		"KDS_MYSQL_HOST=" + host,
		"KDS_MYSQL_PORT=" + port,
		"KDS_MYSQL_USER=" + c.db.User,
		"KDS_MYSQL_PASSWORD=" + c.db.Password,
		"KDS_MYSQL_DATABASE=" + c.db.Database,
		"KDS_SERVER_HTTP_ADDR=" + c.httpAddr,
		"KDS_BOOTSTRAP_ADMIN_TOKEN=" + c.token,
		"KDS_SECURITY_MESSAGE_KEYS=" + c.messageKeys,
	}, c.extra...)
}

// withHTTPAddr is the same configuration with the API elsewhere, for a
// second instance.
func (c serveConfig) withHTTPAddr(t *testing.T) serveConfig {
	t.Helper()
	c.httpAddr = freeAddr(t)
	return c
}

// freeAddr is a loopback address whose port was free a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	return "127.0.0.1:" + strconv.Itoa(closedPort(t))
}

// cliFor runs CLI commands against the API at url as the admin with token:
// the helpers written for kds dev need only these fields.
func cliFor(t *testing.T, url, token, kafkaAddr string) *devServer {
	t.Helper()
	return &devServer{APIURL: url, AdminToken: token, KafkaAddrs: []string{kafkaAddr}, workDir: t.TempDir()}
}

// apiClient is the Go client of the API at url with token.
func apiClient(t *testing.T, url, token string) *apiclient.Client {
	t.Helper()
	c, err := apiclient.New(url, token)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// openDB opens the test's database directly, not through kds.
func openDB(t *testing.T, c mysql.Config) *sql.DB {
	t.Helper()
	db, err := mysql.Open(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// count runs a query that returns one number.
func count(db *sql.DB, query string, args ...any) (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var n int
	err := db.QueryRowContext(ctx, query, args...).Scan(&n)
	return n, err
}

// mustCount is count that fails the test on an error.
func mustCount(t *testing.T, db *sql.DB, query string, args ...any) int {
	t.Helper()
	n, err := count(db, query, args...)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// outboxLagQuery counts the outbox rows the forwarder has not delivered.
const outboxLagQuery = "SELECT COALESCE(MAX(`offset`), 0) - COALESCE((SELECT offset_acked FROM watermill_offsets_kds_outbox WHERE consumer_group = 'kds-forwarder'), 0) FROM watermill_kds_outbox"

// groupState is a consumer group as the broker describes it: its state and
// each member's partitions of each topic.
type groupState struct {
	State   string
	Members map[string]map[string][]int32 // member id → topic → partitions
}

// describeGroups asks the broker about consumer groups.
func describeGroups(ctx context.Context, admin *kadm.Client, groups ...string) (map[string]groupState, error) {
	descs, err := admin.DescribeGroups(ctx, groups...)
	if err != nil {
		return nil, err
	}
	out := map[string]groupState{}
	for _, d := range descs {
		if d.Err != nil {
			return nil, fmt.Errorf("group %s: %w", d.Group, d.Err)
		}
		gs := groupState{State: d.State, Members: map[string]map[string][]int32{}}
		for _, m := range d.Members {
			gs.Members[m.MemberID] = map[string][]int32{}
			if a, ok := m.Assigned.AsConsumer(); ok {
				for _, t := range a.Topics {
					gs.Members[m.MemberID][t.Topic] = t.Partitions
				}
			}
		}
		out[d.Group] = gs
	}
	return out, nil
}

// kdsGroups are the consumer groups that share kds's work between serve
// processes.
var kdsGroups = []string{"kds-lifecycle", "kds-topic-manager"}

// waitGroupsSettled waits until each of kds's consumer groups is stable
// with exactly want members, every member assigned partitions; it returns
// the groups as they are then.
func waitGroupsSettled(ctx context.Context, admin *kadm.Client, want int) (map[string]groupState, error) {
	for {
		gs, err := describeGroups(ctx, admin, kdsGroups...)
		if err == nil && settled(gs, want) {
			return gs, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("kds's consumer groups did not settle with %d live members: %w; last seen: %v %v", want, ctx.Err(), gs, err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func settled(gs map[string]groupState, want int) bool {
	for _, g := range kdsGroups {
		s := gs[g]
		if s.State != "Stable" || len(s.Members) != want {
			return false
		}
		for _, a := range s.Members {
			if len(a) == 0 {
				return false
			}
		}
	}
	return true
}

// tcpProxy forwards TCP connections to a target, here MariaDB, until it is
// cut: then it closes every connection and refuses new ones, until it is
// restored on the same address.
type tcpProxy struct {
	Addr   string
	target string

	mu    sync.Mutex
	ln    net.Listener
	gen   int // bumped by every cut, so that a connection accepted before a cut is dropped
	conns map[net.Conn]bool
}

// startProxy forwards a local address to target until the test ends.
func startProxy(t *testing.T, target string) *tcpProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &tcpProxy{Addr: ln.Addr().String(), target: target, conns: map[net.Conn]bool{}}
	p.serve(ln)
	t.Cleanup(p.cut)
	return p
}

func (p *tcpProxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	gen := p.gen
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.forward(c, gen)
		}
	}()
}

func (p *tcpProxy) forward(client net.Conn, gen int) {
	server, err := net.DialTimeout("tcp", p.target, 5*time.Second)
	if err != nil {
		client.Close()
		return
	}
	p.mu.Lock()
	if p.gen != gen {
		p.mu.Unlock()
		client.Close()
		server.Close()
		return
	}
	p.conns[client], p.conns[server] = true, true
	p.mu.Unlock()
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(server, client); done <- struct{}{} }()
	go func() { _, _ = io.Copy(client, server); done <- struct{}{} }()
	<-done
	client.Close()
	server.Close()
	p.mu.Lock()
	delete(p.conns, client)
	delete(p.conns, server)
	p.mu.Unlock()
}

// cut closes every connection and stops listening: new connections are
// refused.
func (p *tcpProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.gen++
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		c.Close()
	}
	clear(p.conns)
}

// restore listens again on the same address.
func (p *tcpProxy) restore() error {
	ln, err := net.Listen("tcp", p.Addr)
	if err != nil {
		return fmt.Errorf("proxy: listen on %s again: %w", p.Addr, err)
	}
	p.serve(ln)
	return nil
}

// commandDriver issues lifecycle commands through the API the way a
// careful script does: in batches, and again when it got no answer or an
// unavailable service, until each command is queued or known to have
// taken effect already (409 "already ...").
type commandDriver struct {
	// batches counts batches sent, retries batches sent again after no
	// answer or a 5xx, queued commands the API accepted (202), and already
	// commands refused at once because they had taken effect.
	batches, retries, queued, already atomic.Int64

	mu sync.Mutex
	// why counts the answers that made the driver send a batch again.
	why map[string]int
}

// retryReasons lists why batches were sent again, most frequent first.
func (d *commandDriver) retryReasons() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	reasons := slices.Collect(maps.Keys(d.why))
	slices.SortFunc(reasons, func(a, b string) int { return d.why[b] - d.why[a] })
	var parts []string
	for _, r := range reasons {
		parts = append(parts, fmt.Sprintf("%d× %s", d.why[r], r))
	}
	return strings.Join(parts, "; ")
}

// issue queues cmds through c in one batch, falling back to one command at
// a time when the batch is refused because some took effect already.
func (d *commandDriver) issue(ctx context.Context, c *apiclient.Client, cmds ...apiv1.BatchCommand) error {
	for {
		d.batches.Add(1)
		callCtx, cancel := context.WithTimeout(ctx, 15*time.Second)
		_, err := c.Batch(callCtx, apiv1.BatchRequest{Commands: cmds})
		cancel()
		var apiErr *apiclient.APIError
		switch {
		case err == nil:
			d.queued.Add(int64(len(cmds)))
			return nil
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.As(err, &apiErr) && apiErr.Status == http.StatusConflict && len(cmds) > 1:
			for _, one := range cmds {
				if err := d.issue(ctx, c, one); err != nil {
					return err
				}
			}
			return nil
		case errors.As(err, &apiErr) && apiErr.Status == http.StatusConflict && strings.Contains(apiErr.Message, "already"):
			d.already.Add(1)
			return nil
		case errors.As(err, &apiErr) && apiErr.Status < 500:
			return fmt.Errorf("%s %s: refused with %d: %w", cmds[0].Type, cmds[0].Topic, apiErr.Status, err)
		}
		// No answer (the process was killed, or is starting again) or
		// 5xx: the batch may or may not be queued; send it again.
		d.retries.Add(1)
		d.mu.Lock()
		if d.why == nil {
			d.why = map[string]int{}
		}
		d.why[retryReason(err)]++
		d.mu.Unlock()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// retryReason is an error without the details that differ between
// occurrences.
func retryReason(err error) string {
	var apiErr *apiclient.APIError
	if errors.As(err, &apiErr) {
		return fmt.Sprintf("%d %s", apiErr.Status, tail(apiErr.Message, 200))
	}
	msg := err.Error()
	for _, w := range []string{"connection refused", "connection reset", "EOF", "deadline exceeded"} {
		if strings.Contains(msg, w) {
			return w
		}
	}
	return tail(msg, 200)
}

// issuePaced issues cmds in batches of size, one batch every interval, as
// a stream of users would, choosing the API client for each batch.
func (d *commandDriver) issuePaced(ctx context.Context, client func(batch int) *apiclient.Client, cmds []apiv1.BatchCommand, size int, interval time.Duration) error {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for i := 0; i < len(cmds); i += size {
		if err := d.issue(ctx, client(i/size), cmds[i:min(i+size, len(cmds))]...); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
	return nil
}

// waitStatuses polls the topic list through c until every topic in want
// has its status, riding out a service that does not answer.
func waitStatuses(ctx context.Context, c *apiclient.Client, want map[string]topic.Status) error {
	for {
		callCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
		ts, err := c.Topics(callCtx, "")
		cancel()
		if err == nil {
			seen := map[string]string{}
			for _, tp := range ts {
				seen[tp.Name] = string(tp.Status)
			}
			var off []string
			for name, st := range want {
				if seen[name] != string(st) {
					off = append(off, fmt.Sprintf("%s=%s", name, cmp.Or(seen[name], "missing")))
				}
			}
			if len(off) == 0 {
				return nil
			}
			slices.Sort(off)
			err = fmt.Errorf("%d topics not yet where they should be (%s): %s", len(off), describeWant(want), abbreviate(off))
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w; last seen: %v", ctx.Err(), err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func describeWant(want map[string]topic.Status) string {
	n := map[topic.Status]int{}
	for _, st := range want {
		n[st]++
	}
	var parts []string
	for _, st := range slices.Sorted(maps.Keys(n)) {
		parts = append(parts, fmt.Sprintf("%d %s", n[st], st))
	}
	return strings.Join(parts, ", ")
}

// topicNames is prefix-000 … prefix-(n-1).
func topicNames(prefix string, n int) []string {
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("%s-%03d", prefix, i)
	}
	return names
}

// requests, decisions: batch commands for names.
func requests(names []string, partitions func(i int) int32) []apiv1.BatchCommand {
	cmds := make([]apiv1.BatchCommand, len(names))
	for i, n := range names {
		cmds[i] = apiv1.BatchCommand{Type: command.RequestTopicType, Topic: n, Partitions: partitions(i), Reason: "fault test"}
	}
	return cmds
}

func decisions(typ command.Type, names []string) []apiv1.BatchCommand {
	cmds := make([]apiv1.BatchCommand, len(names))
	for i, n := range names {
		cmds[i] = apiv1.BatchCommand{Type: typ, Topic: n, Reason: "fault test"}
	}
	return cmds
}

// statusOf is the same status for every name.
func statusOf(st topic.Status, names ...[]string) map[string]topic.Status {
	m := map[string]topic.Status{}
	for _, ns := range names {
		for _, n := range ns {
			m[n] = st
		}
	}
	return m
}

// checkHistories fails the test unless every topic's history, read through
// c, has each action of wantActions(topic) exactly once, in generation 1,
// and nothing else; it returns how many transitions it saw.
func checkHistories(t *testing.T, c *apiclient.Client, names []string, wantActions func(name string) []topic.Action) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	var (
		total int
		bad   []string
	)
	for _, name := range names {
		h, err := c.History(ctx, name)
		if err != nil {
			t.Fatalf("history of %s: %v", name, err)
		}
		total += len(h)
		got := map[string]int{}
		for _, tr := range h {
			got[fmt.Sprintf("%d/%s", tr.Generation, tr.Action)]++
		}
		want := map[string]int{}
		for _, a := range wantActions(name) {
			want[fmt.Sprintf("1/%s", a)] = 1
		}
		if !maps.Equal(got, want) {
			bad = append(bad, fmt.Sprintf("%s: %v", name, got))
		}
	}
	if len(bad) > 0 {
		t.Errorf("%d of %d histories do not have each action exactly once:\n%s", len(bad), len(names), strings.Join(bad[:min(len(bad), 20)], "\n"))
	}
	return total
}

// lifecycleActions are the actions of a topic that is requested, approved,
// activated and, when deactivated, deactivated and deleted.
func lifecycleActions(deactivated bool) []topic.Action {
	a := []topic.Action{topic.Request, topic.Approve, topic.Activate}
	if deactivated {
		a = append(a, topic.Deactivate, topic.Delete)
	}
	return a
}

// checkKafkaAgrees fails the test unless Kafka, asked through kcat, has
// each of active with its partitions and none of gone.
func checkKafkaAgrees(t *testing.T, kcat string, brokers []string, active map[string]int, gone []string) {
	t.Helper()
	eventually(t, "Kafka agrees with kds", func() (bool, string) {
		topics, _ := kafkaTopics(t, kcat, brokers)
		var off []string
		for name, partitions := range active {
			if got := len(topics[name].Partitions); got != partitions {
				off = append(off, fmt.Sprintf("%s has %d partitions, want %d", name, got, partitions))
			}
		}
		for _, name := range gone {
			if _, ok := topics[name]; ok {
				off = append(off, name+" still exists")
			}
		}
		slices.Sort(off)
		return len(off) == 0, abbreviate(off)
	})
}

// duplicateDeliveries reads a topic with kcat and counts its records and
// the records that repeat an earlier one's Watermill message id: the
// forwarder's redeliveries after a crash.
func duplicateDeliveries(t *testing.T, kcat string, brokers []string, topicName string) (records, repeats int) {
	t.Helper()
	seen := map[string]bool{}
	for _, r := range kcatRead(t, kcat, brokers, topicName) {
		records++
		id, ok := r.header("_watermill_message_uuid")
		if !ok {
			continue
		}
		if seen[id] {
			repeats++
		}
		seen[id] = true
	}
	return records, repeats
}

// metric reads the sum of a counter's series from a Prometheus text page,
// over the series whose labels include every one of labels.
func metric(page, name string, labels ...string) float64 {
	var sum float64
	for _, line := range strings.Split(page, "\n") {
		if !strings.HasPrefix(line, name+"{") && !strings.HasPrefix(line, name+" ") {
			continue
		}
		ok := true
		for _, l := range labels {
			ok = ok && strings.Contains(line, l)
		}
		if !ok {
			continue
		}
		f := strings.Fields(line)
		v, err := strconv.ParseFloat(f[len(f)-1], 64)
		if err == nil {
			sum += v
		}
	}
	return sum
}

// metricsPage is GET /metrics of a kds serve, with token.
func metricsPage(t *testing.T, url, token string) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url+"/metrics", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s/metrics: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s/metrics: %d %v", url, resp.StatusCode, err)
	}
	return string(b)
}

// backlog is, per partition of a topic, the messages from a consumer
// group's committed offset to the end: what the group's next member is
// given again.
type backlog struct {
	topic  string
	ranges map[int32][2]int64
}

// groupOffsets reads, for each partition of topicName, a consumer group's
// committed offset (-1 for none), the oldest offset and the end.
func groupOffsets(ctx context.Context, admin *kadm.Client, group, topicName string) (map[int32][3]int64, error) {
	committed, err := admin.FetchOffsetsForTopics(ctx, group, topicName)
	if err == nil {
		err = committed.Error()
	}
	if err != nil {
		return nil, err
	}
	oldest, err := admin.ListStartOffsets(ctx, topicName)
	if err == nil {
		err = oldest.Error()
	}
	if err != nil {
		return nil, err
	}
	ends, err := admin.ListEndOffsets(ctx, topicName)
	if err == nil {
		err = ends.Error()
	}
	if err != nil {
		return nil, err
	}
	out := map[int32][3]int64{}
	for p, end := range ends[topicName] {
		c := int64(-1)
		if o, ok := committed.Lookup(topicName, p); ok && o.At >= 0 {
			c = o.At
		}
		out[p] = [3]int64{c, oldest[topicName][p].Offset, end.Offset}
	}
	return out, nil
}

// groupBacklog reads a group's backlog on topicName; with no process of
// the group running, it stays as it is until a new member commits.
func groupBacklog(ctx context.Context, admin *kadm.Client, group, topicName string) (backlog, error) {
	b := backlog{topic: topicName, ranges: map[int32][2]int64{}}
	offsets, err := groupOffsets(ctx, admin, group, topicName)
	if err != nil {
		return b, err
	}
	for p, o := range offsets {
		from := o[1]
		if o[0] >= 0 {
			from = o[0]
		}
		if from < o[2] {
			b.ranges[p] = [2]int64{from, o[2]}
		}
	}
	return b, nil
}

// count reads the backlog's messages from the brokers at addr and counts
// them, and those done says were handled already: duplicates the handlers
// must acknowledge and skip.
func (b backlog) count(ctx context.Context, addr string, done func(payload []byte) bool) (beyond, handled int, err error) {
	if len(b.ranges) == 0 {
		return 0, 0, nil
	}
	from := map[int32]kgo.Offset{}
	left := map[int32]int64{} // the next offset to read of each partition
	for p, r := range b.ranges {
		from[p], left[p] = kgo.NewOffset().At(r[0]), r[0]
	}
	client, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{b.topic: from}))
	if err != nil {
		return 0, 0, err
	}
	defer client.Close()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	for len(left) > 0 {
		fetches := client.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			return 0, 0, fmt.Errorf("%s: not every message of the backlog %v arrived, still to read from %v: %w", b.topic, b.ranges, left, err)
		}
		if err := fetches.Err(); err != nil {
			return 0, 0, err
		}
		fetches.EachRecord(func(r *kgo.Record) {
			next, ok := left[r.Partition]
			if !ok || r.Offset < next {
				return
			}
			end := b.ranges[r.Partition][1]
			if r.Offset < end {
				beyond++
				if done(r.Value) {
					handled++
				}
			}
			if left[r.Partition] = r.Offset + 1; r.Offset+1 >= end {
				delete(left, r.Partition)
			}
		})
	}
	return beyond, handled, nil
}

// handledSnapshot is what MySQL records as done at one moment: settled
// commands, and the transitions each topic's generations went through.
type handledSnapshot struct {
	settled     map[string]bool // command id
	transitions map[string]bool // topic/generation/action
}

func snapshotHandled(db *sql.DB) (handledSnapshot, error) {
	s := handledSnapshot{settled: map[string]bool{}, transitions: map[string]bool{}}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rows, err := db.QueryContext(ctx, "SELECT id FROM commands WHERE status <> 'queued'")
	if err != nil {
		return s, err
	}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return s, err
		}
		s.settled[id] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return s, err
	}
	rows, err = db.QueryContext(ctx, "SELECT topic, generation, action FROM transitions")
	if err != nil {
		return s, err
	}
	defer rows.Close()
	for rows.Next() {
		var name, action string
		var gen int
		if err := rows.Scan(&name, &gen, &action); err != nil {
			return s, err
		}
		s.transitions[fmt.Sprintf("%s/%d/%s", name, gen, action)] = true
	}
	return s, rows.Err()
}

// commandHandled says whether a kds.commands message's command was settled.
func (s handledSnapshot) commandHandled(payload []byte) bool {
	var c struct {
		ID string `json:"command_id"`
	}
	return json.Unmarshal(payload, &c) == nil && s.settled[c.ID]
}

// eventCarriedOut says whether the topic manager had done what a kds.events
// message asks of it: created an approved topic, or deleted a deactivated
// one. Events it ignores count as not done.
func (s handledSnapshot) eventCarriedOut(payload []byte) bool {
	var ev struct {
		Type       string `json:"type"`
		Topic      string `json:"topic"`
		Generation int    `json:"generation"`
	}
	if json.Unmarshal(payload, &ev) != nil {
		return false
	}
	action := map[string]string{"TopicApproved": "activate", "TopicDeactivated": "delete"}[ev.Type]
	return action != "" && s.transitions[fmt.Sprintf("%s/%d/%s", ev.Topic, ev.Generation, action)]
}
