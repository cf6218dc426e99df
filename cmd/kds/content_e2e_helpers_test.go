package main_test

// Helpers for the content end-to-end tests: kds commands that keep running
// (consumers, the interactive producer, a streaming sender) with their
// standard input kept open, what `kds consume -o json` prints, and kcat as
// the independent producer and reader of content.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// stopTimeout is how long a kds command may take to stop after SIGINT or
// the end of its input: it commits offsets and says goodbye, nothing more.
const stopTimeout = 3 * time.Second

// kdsProcess is a kds command running in the background against a kds
// dev, with its standard input open for the test to write to.
type kdsProcess struct {
	args   []string
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stdout *lockedBuffer
	stderr *lockedBuffer

	exited  chan struct{}
	waitErr error // set before exited is closed

	inputMu sync.Mutex
	closed  bool // stdin closed
}

// start runs kds args as admin in the background. The process is killed
// when the test ends if it still runs, and its output is logged when the
// test failed.
func (d *devServer) start(t *testing.T, args ...string) *kdsProcess {
	t.Helper()
	return d.startAs(t, d.AdminToken, args...)
}

// startAs runs kds args with token in the background.
func (d *devServer) startAs(t *testing.T, token string, args ...string) *kdsProcess {
	t.Helper()
	return d.startProgram(t, token, kdsBinary, args...)
}

// startOnTerminal runs the shell command line, which may name the kds
// binary as $KDS, on a pseudo-terminal made by script(1): what the test
// writes is typed on it, and stdout is what the terminal shows, echo
// included.
func (d *devServer) startOnTerminal(t *testing.T, line string) *kdsProcess {
	t.Helper()
	script := requireProgram(t, "bsdutils", "to make a pseudo-terminal", "script")
	return d.startProgram(t, d.AdminToken, script, "--quiet", "--flush", "--return", "--command", line, "/dev/null")
}

// startProgram runs name with args and a kds client's environment in the
// background.
func (d *devServer) startProgram(t *testing.T, token, name string, args ...string) *kdsProcess {
	t.Helper()
	p := &kdsProcess{args: args, stdout: newLockedBuffer(), stderr: newLockedBuffer(), exited: make(chan struct{})}
	p.cmd = exec.Command(name, args...)
	p.cmd.Dir = d.workDir
	p.cmd.Env = cleanEnv("KDS_API_URL="+d.APIURL, "KDS_TOKEN="+token, "KDS="+kdsBinary)
	p.cmd.Stdout, p.cmd.Stderr = p.stdout, p.stderr
	stdin, err := p.cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	p.stdin = stdin
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start kds %s: %v", p, err)
	}
	go func() {
		p.waitErr = p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		if !p.hasExited() {
			// A process stopped with SIGSTOP ignores SIGKILL until continued.
			_ = p.cmd.Process.Signal(syscall.SIGCONT)
			_ = p.cmd.Process.Kill()
			<-p.exited
		}
		if t.Failed() {
			t.Logf("kds %s stdout:\n%s", p, tail(p.stdout.String(), 2<<10))
			t.Logf("kds %s stderr:\n%s", p, tail(p.stderr.String(), 8<<10))
		}
	})
	return p
}

func (p *kdsProcess) String() string { return strings.Join(p.args, " ") }

func (p *kdsProcess) hasExited() bool {
	select {
	case <-p.exited:
		return true
	default:
		return false
	}
}

// pid is the process's id.
func (p *kdsProcess) pid() int { return p.cmd.Process.Pid }

// writeLine writes a line to the process's standard input.
func (p *kdsProcess) writeLine(t *testing.T, line string) {
	t.Helper()
	p.inputMu.Lock()
	defer p.inputMu.Unlock()
	if _, err := io.WriteString(p.stdin, line+"\n"); err != nil {
		t.Fatalf("write %q to kds %s: %v\nstderr:\n%s", line, p, err, p.stderr)
	}
}

// closeInput ends the process's standard input.
func (p *kdsProcess) closeInput() {
	p.inputMu.Lock()
	defer p.inputMu.Unlock()
	if !p.closed {
		p.closed = true
		_ = p.stdin.Close()
	}
}

// signal sends sig to the process.
func (p *kdsProcess) signal(t *testing.T, sig syscall.Signal) {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatalf("signal %v to kds %s: %v", sig, p, err)
	}
}

// wait waits up to timeout for the process to exit and returns its exit
// code.
func (p *kdsProcess) wait(t *testing.T, timeout time.Duration) int {
	t.Helper()
	select {
	case <-p.exited:
	case <-time.After(timeout):
		t.Fatalf("kds %s did not exit within %v\nstderr:\n%s", p, timeout, p.stderr)
	}
	var exit *exec.ExitError
	switch {
	case p.waitErr == nil:
		return 0
	case errors.As(p.waitErr, &exit):
		return exit.ExitCode()
	}
	t.Fatalf("kds %s: %v", p, p.waitErr)
	return -1
}

// interrupt stops the process as Ctrl-C does and fails the test unless it
// exits 0 within stopTimeout.
func (p *kdsProcess) interrupt(t *testing.T) {
	t.Helper()
	start := time.Now()
	p.signal(t, syscall.SIGINT)
	if code := p.wait(t, stopTimeout); code != 0 {
		t.Fatalf("kds %s exited %d after SIGINT, want 0\nstderr:\n%s", p, code, p.stderr)
	}
	t.Logf("kds %s stopped %v after SIGINT", p, time.Since(start).Round(time.Millisecond))
}

// quit ends an interactive command with line (quit) and fails the test
// unless it exits 0 within stopTimeout.
func (p *kdsProcess) quit(t *testing.T, line string) {
	t.Helper()
	p.writeLine(t, line)
	if code := p.wait(t, stopTimeout); code != 0 {
		t.Fatalf("kds %s exited %d after %q, want 0\nstderr:\n%s", p, code, line, p.stderr)
	}
}

// waitOutput polls one of the process's outputs until cond holds, failing
// the test at the deadline or when the process exits first.
func (p *kdsProcess) waitOutput(t *testing.T, which string, out *lockedBuffer, what string, cond func(string) bool) string {
	t.Helper()
	deadline := time.Now().Add(eventualTimeout)
	for {
		s := out.String()
		if cond(s) {
			return s
		}
		exited := p.hasExited()
		if exited || time.Now().After(deadline) {
			// What it wrote before it exited counts.
			if s = out.String(); cond(s) {
				return s
			}
			why := fmt.Sprintf("not within %v", eventualTimeout)
			if exited {
				why = fmt.Sprintf("it exited first (%v)", p.waitErr)
			}
			t.Fatalf("kds %s: %s: %s\n%s:\n%s", p, what, why, which, tail(s, 2<<10))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitStdout waits until the process wrote every one of want to stdout.
func (p *kdsProcess) waitStdout(t *testing.T, want ...string) string {
	t.Helper()
	return p.waitOutput(t, "stdout", p.stdout, fmt.Sprintf("stdout says %q", want), containsAll(want))
}

// waitStderr waits until the process wrote every one of want to stderr.
func (p *kdsProcess) waitStderr(t *testing.T, want ...string) string {
	t.Helper()
	return p.waitOutput(t, "stderr", p.stderr, fmt.Sprintf("stderr says %q", want), containsAll(want))
}

func containsAll(want []string) func(string) bool {
	return func(s string) bool {
		for _, w := range want {
			if !strings.Contains(s, w) {
				return false
			}
		}
		return true
	}
}

// messageDoc is one line of `kds consume -o json`, declared here so that
// a renamed field breaks the tests as it would break scripts.
type messageDoc struct {
	Topic      string    `json:"topic"`
	Partition  int32     `json:"partition"`
	Offset     int64     `json:"offset"`
	Key        string    `json:"key"`
	Value      string    `json:"value"`
	Producer   string    `json:"producer"`
	SentAt     time.Time `json:"sent_at"`
	Timestamp  time.Time `json:"timestamp"`
	ReceivedAt time.Time `json:"received_at"`
	UUID       string    `json:"uuid"`
}

// messages parses every complete line the process printed to stdout so
// far as a message; a line that is not one fails the test.
func (p *kdsProcess) messages(t *testing.T) []messageDoc {
	t.Helper()
	out := p.stdout.String()
	return parseMessageLines(t, out[:strings.LastIndexByte(out, '\n')+1])
}

// parseMessageLines reads what kds consume -o json printed, a message a
// line.
func parseMessageLines(t *testing.T, out string) []messageDoc {
	t.Helper()
	var msgs []messageDoc
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		var m messageDoc
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("kds consume printed a line that is not a message: %v\n%s", err, tail(sc.Text(), 512))
		}
		msgs = append(msgs, m)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return msgs
}

// waitMessages waits until the values the process printed for topic
// include every one of want, and returns everything it printed.
func (p *kdsProcess) waitMessages(t *testing.T, topic string, want []string) []messageDoc {
	t.Helper()
	var msgs []messageDoc
	p.waitOutput(t, "stdout", p.stdout, fmt.Sprintf("%d messages of %s", len(want), topic), func(string) bool {
		msgs = p.messages(t)
		got := valueCounts(msgs, topic)
		for _, w := range want {
			if got[w] == 0 {
				return false
			}
		}
		return true
	})
	return msgs
}

// valueCounts says how often each value of topic occurs in msgs.
func valueCounts(msgs []messageDoc, topic string) map[string]int {
	n := map[string]int{}
	for _, m := range msgs {
		if m.Topic == topic {
			n[m.Value]++
		}
	}
	return n
}

// wantExactly fails the test unless msgs hold every one of want for
// topic exactly once, and nothing else for it.
func wantExactly(t *testing.T, who string, msgs []messageDoc, topic string, want []string) {
	t.Helper()
	got := valueCounts(msgs, topic)
	var missing, repeated, unexpected []string
	wanted := map[string]bool{}
	for _, w := range want {
		wanted[w] = true
		switch got[w] {
		case 0:
			missing = append(missing, w)
		case 1:
		default:
			repeated = append(repeated, fmt.Sprintf("%s×%d", w, got[w]))
		}
	}
	for v := range got {
		if !wanted[v] {
			unexpected = append(unexpected, v)
		}
	}
	if len(missing)+len(repeated)+len(unexpected) > 0 {
		slices.Sort(unexpected)
		t.Errorf("%s on %s: %d values, want %d exactly once each\nmissing %d: %s\nrepeated %d: %s\nunexpected %d: %s",
			who, topic, countAll(got), len(want), len(missing), abbreviate(missing), len(repeated), abbreviate(repeated), len(unexpected), abbreviate(unexpected))
	}
}

func countAll(m map[string]int) int {
	n := 0
	for _, c := range m {
		n += c
	}
	return n
}

// abbreviate shortens a long list for a failure message.
func abbreviate(s []string) string {
	if len(s) > 20 {
		return strings.Join(s[:20], " ") + " …"
	}
	return strings.Join(s, " ")
}

// numbered is prefix-from … prefix-to.
func numbered(prefix string, from, to int) []string {
	var s []string
	for i := from; i <= to; i++ {
		s = append(s, prefix+"-"+strconv.Itoa(i))
	}
	return s
}

// activeTopic requests a topic and approves it, so that it is active in
// Kafka when this returns.
func (d *devServer) activeTopic(t *testing.T, name string, partitions int) {
	t.Helper()
	d.request(t, name, "-p", strconv.Itoa(partitions))
	d.mustKds(t, "topic", "approve", name)
}

// sendLines is `kds send TOPIC` with lines on its standard input.
func (d *devServer) sendLines(t *testing.T, topic string, lines []string, args ...string) cliResult {
	t.Helper()
	return d.kdsWithInput(t, strings.Join(lines, "\n")+"\n", append([]string{"send", topic}, args...)...)
}

// mustSendLines is sendLines, failing the test unless kds send exits 0.
func (d *devServer) mustSendLines(t *testing.T, topic string, lines []string, args ...string) {
	t.Helper()
	if r := d.sendLines(t, topic, lines, args...); r.Code != 0 {
		t.Fatalf("want exit 0\n%s", r)
	}
}

// streamSender is a `kds send TOPIC --batch 1` that the test feeds one
// numbered line at a time, TOPIC-1, TOPIC-2, …, until it is finished.
type streamSender struct {
	topic   string
	p       *kdsProcess
	mu      sync.Mutex
	started int // lines whose writing began
	stop    chan struct{}
	done    chan error
}

// stream starts sending numbered lines to topic, one every interval.
func (d *devServer) stream(t *testing.T, topic string, interval time.Duration) *streamSender {
	t.Helper()
	s := &streamSender{topic: topic, p: d.start(t, "send", topic, "--batch", "1"), stop: make(chan struct{}), done: make(chan error, 1)}
	go func() {
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			select {
			case <-s.stop:
				s.done <- nil
				return
			case <-tick.C:
			}
			s.mu.Lock()
			s.started++
			n := s.started
			s.mu.Unlock()
			if _, err := fmt.Fprintf(s.p.stdin, "%s-%d\n", topic, n); err != nil {
				s.done <- err
				return
			}
		}
	}()
	t.Cleanup(func() {
		select {
		case <-s.stop:
		default:
			close(s.stop)
		}
	})
	return s
}

// begun is how many lines the sender has begun to write: every line after
// them is sent later than now.
func (s *streamSender) begun() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.started
}

// finish stops writing, ends kds send's input and returns how many
// messages it sent, failing the test unless it sent every line written.
func (s *streamSender) finish(t *testing.T) int {
	t.Helper()
	close(s.stop)
	if err := <-s.done; err != nil {
		t.Fatalf("stream to %s: %v\nstderr:\n%s", s.topic, err, s.p.stderr)
	}
	s.p.closeInput()
	if code := s.p.wait(t, commandTimeout); code != 0 {
		t.Fatalf("kds %s exited %d\nstderr:\n%s", s.p, code, s.p.stderr)
	}
	want := fmt.Sprintf("sent %d messages", s.started)
	if !strings.Contains(s.p.stdout.String(), want) {
		t.Fatalf("kds %s did not say %q:\n%s", s.p, want, s.p.stdout)
	}
	return s.started
}

// kcatRecord is a record as `kcat -C -J` prints it.
type kcatRecord struct {
	Topic     string   `json:"topic"`
	Partition int32    `json:"partition"`
	Offset    int64    `json:"offset"`
	Key       *string  `json:"key"`
	Payload   *string  `json:"payload"`
	Headers   []string `json:"headers"`
}

// header returns the value of the record's header name.
func (r kcatRecord) header(name string) (string, bool) {
	for i := 0; i+1 < len(r.Headers); i += 2 {
		if r.Headers[i] == name {
			return r.Headers[i+1], true
		}
	}
	return "", false
}

// kcatRead reads every record of a topic with kcat, from the oldest to the
// end of each partition.
func kcatRead(t *testing.T, kcat string, brokers []string, topic string) []kcatRecord {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, kcat, "-b", strings.Join(brokers, ","), "-C", "-t", topic, "-o", "beginning", "-e", "-J", "-q")
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("kcat -C -t %s: %v\n%s", topic, err, stderr.String())
	}
	var recs []kcatRecord
	sc := bufio.NewScanner(&stdout)
	sc.Buffer(make([]byte, 64<<10), 8<<20)
	for sc.Scan() {
		var r kcatRecord
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("kcat -C -J: %v\n%s", err, tail(sc.Text(), 512))
		}
		recs = append(recs, r)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return recs
}

// kcatWrite writes each line as a record with kcat, without key or
// headers, and waits until Kafka acknowledged them.
func kcatWrite(t *testing.T, kcat string, brokers []string, topic string, lines []string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, kcat, "-b", strings.Join(brokers, ","), "-P", "-t", topic)
	cmd.Stdin = strings.NewReader(strings.Join(lines, "\n") + "\n")
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("kcat -P -t %s: %v\n%s", topic, err, stderr.String())
	}
	if stderr.Len() > 0 {
		t.Fatalf("kcat -P -t %s complained:\n%s", topic, stderr.String())
	}
}

// The part of `kds subscriptions -o json` the tests read.
type (
	consumerDoc struct {
		ID            string            `json:"id"`
		Subscriptions []subscriptionDoc `json:"subscriptions"`
		Instances     []instanceDoc     `json:"instances"`
	}
	subscriptionDoc struct {
		ConsumerID    string `json:"consumer_id"`
		Topic         string `json:"topic"`
		Generation    int    `json:"generation"`
		Group         string `json:"group"`
		FromBeginning bool   `json:"from_beginning"`
		CreatedBy     string `json:"created_by"`
		Live          bool   `json:"live"`
		TopicStatus   string `json:"topic_status"`
	}
	instanceDoc struct {
		ID       string   `json:"id"`
		Host     string   `json:"host"`
		PID      int      `json:"pid"`
		Attached []string `json:"attached"`
		Alive    bool     `json:"alive"`
	}
)

// consumers is `kds subscriptions -o json` as id → consumer.
func (d *devServer) consumers(t *testing.T) map[string]consumerDoc {
	t.Helper()
	var docs []consumerDoc
	decodeJSON(t, d.kds(t, "subscriptions", "-o", "json"), &docs)
	m := map[string]consumerDoc{}
	for _, c := range docs {
		m[c.ID] = c
	}
	return m
}

// subscription returns the consumer's subscription to topic.
func (c consumerDoc) subscription(topic string) (subscriptionDoc, bool) {
	for _, s := range c.Subscriptions {
		if s.Topic == topic {
			return s, true
		}
	}
	return subscriptionDoc{}, false
}

// alive returns the consumer's alive process with pid.
func (c consumerDoc) alive(pid int) (instanceDoc, bool) {
	for _, in := range c.Instances {
		if in.Alive && in.PID == pid {
			return in, true
		}
	}
	return instanceDoc{}, false
}

// consume starts kds consume -o json as consumer id on topics and waits
// until it says it subscribed to each and kds sees it attached to them.
func (d *devServer) consume(t *testing.T, id string, topics ...string) *kdsProcess {
	t.Helper()
	c := d.start(t, "consume", "--id", id, "--topics", strings.Join(topics, ","), "-o", "json")
	subscribed := make([]string, len(topics))
	for i, name := range topics {
		subscribed[i] = "✓ subscribed to " + name
	}
	c.waitStderr(t, subscribed...)
	d.waitAttached(t, id, c.pid(), slices.Sorted(slices.Values(topics))...)
	return c
}

// waitAttached waits until kds knows that the consumer's process pid is
// alive and consumes exactly topics, as the topic manager sees it.
func (d *devServer) waitAttached(t *testing.T, consumer string, pid int, topics ...string) {
	t.Helper()
	eventually(t, fmt.Sprintf("consumer %s process %d attached to %v", consumer, pid, topics), func() (bool, string) {
		c := d.consumers(t)[consumer]
		in, ok := c.alive(pid)
		return ok && slices.Equal(in.Attached, topics), fmt.Sprintf("%+v", c)
	})
}
