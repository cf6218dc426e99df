package main_test

// End-to-end tests of live content: kds send, produce and consume against
// kds dev, with kcat as the client that shares no code with kds.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestSendIsReadByKcat(t *testing.T) {
	t.Parallel()
	kcat := requireKcat(t)
	d := startDev(t, devOptions{})
	d.activeTopic(t, "greetings", 3)
	start := time.Now()

	wantLines(t, d.mustKds(t, "send", "greetings", "hello"), "sent 1 message to greetings")

	bulk := numbered("line", 1, 2000)
	var res struct {
		Topic string `json:"topic"`
		Sent  int    `json:"sent"`
		Bytes int    `json:"bytes"`
	}
	decodeJSON(t, d.sendLines(t, "greetings", bulk, "-o", "json"), &res)
	if want := len(strings.Join(bulk, "")); res.Topic != "greetings" || res.Sent != 2000 || res.Bytes != want {
		t.Fatalf("bulk send reported %+v, want 2000 messages of %d bytes", res, want)
	}

	// Another producer, with a key: the header names the token.
	alice := d.createToken(t, "alice", "producer")
	if r := d.kdsAs(t, alice, "send", "greetings", "from alice", "--key", "k1"); r.Code != 0 {
		t.Fatalf("want exit 0\n%s", r)
	}

	recs := kcatRead(t, kcat, d.KafkaAddrs, "greetings")
	var values []messageDoc
	uuids := map[string]bool{}
	for _, r := range recs {
		if r.Payload == nil {
			t.Fatalf("record without a value: %+v", r)
		}
		values = append(values, messageDoc{Topic: r.Topic, Value: *r.Payload})
		producer, _ := r.header("kds-producer")
		wantProducer, wantKey := "admin", ""
		if *r.Payload == "from alice" {
			wantProducer, wantKey = "alice", "k1"
		}
		if producer != wantProducer {
			t.Errorf("%q: kds-producer %q, want %q", *r.Payload, producer, wantProducer)
		}
		if key := deref(r.Key); key != wantKey {
			t.Errorf("%q: key %q, want %q", *r.Payload, key, wantKey)
		}
		sentAt, _ := r.header("kds-sent-at")
		if at, err := time.Parse(time.RFC3339Nano, sentAt); err != nil || at.Before(start.Add(-time.Second)) || at.After(time.Now().Add(time.Second)) {
			t.Errorf("%q: kds-sent-at %q is not the time it was sent (%v)", *r.Payload, sentAt, err)
		}
		id, _ := r.header("_watermill_message_uuid")
		if id == "" || uuids[id] {
			t.Errorf("%q: message uuid %q is missing or not unique", *r.Payload, id)
		}
		uuids[id] = true
		if t.Failed() {
			t.FailNow()
		}
	}
	wantExactly(t, "kcat", values, "greetings", append([]string{"hello", "from alice"}, bulk...))
	wantHeadersDocumented(t, recs)
}

// wantHeadersDocumented fails unless README's Content section names every
// header of recs: what kds writes with each message is a contract for
// other clients.
func wantHeadersDocumented(t *testing.T, recs []kcatRecord) {
	t.Helper()
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, _ := strings.Cut(string(readme), "\n## Content\n")
	section, _, _ = strings.Cut(section, "\n## ")
	names := map[string]bool{}
	for _, r := range recs {
		for i := 0; i < len(r.Headers); i += 2 {
			names[r.Headers[i]] = true
		}
	}
	for name := range names {
		if !strings.Contains(section, "`"+name+"`") {
			t.Errorf("record header %q is not named in README.md's Content section", name)
		}
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// TestSendSendsLinesAsTheyComeFromAnOpenInput: lines that come slowly,
// as from tail -f, reach Kafka while kds send's input stays open, well
// before a batch is full, and each is counted once when the input ends.
func TestSendSendsLinesAsTheyComeFromAnOpenInput(t *testing.T) {
	t.Parallel()
	kcat := requireKcat(t)
	d := startDev(t, devOptions{})
	d.activeTopic(t, "tailed", 1)
	p := d.start(t, "send", "tailed")
	inKafka := func(want []string) {
		t.Helper()
		eventually(t, fmt.Sprintf("%d lines in Kafka", len(want)), func() (bool, string) {
			var got []string
			for _, r := range kcatRead(t, kcat, d.KafkaAddrs, "tailed") {
				got = append(got, deref(r.Payload))
			}
			return slices.Equal(got, want), fmt.Sprintf("%q", got)
		})
		if p.hasExited() {
			t.Fatalf("kds send exited with its input open\nstderr:\n%s", p.stderr)
		}
	}
	for _, line := range []string{"first", "second", "third"} {
		p.writeLine(t, line)
	}
	inKafka([]string{"first", "second", "third"})
	p.writeLine(t, "fourth")
	inKafka([]string{"first", "second", "third", "fourth"})
	p.closeInput()
	if code := p.wait(t, commandTimeout); code != 0 || !strings.Contains(p.stdout.String(), "sent 4 messages") {
		t.Fatalf("kds send exited %d, want 0 and 4 messages sent\nstdout:\n%s\nstderr:\n%s", code, p.stdout, p.stderr)
	}
}

// TestSendCountsInWords: kds send reading one line says "1 message".
func TestSendCountsInWords(t *testing.T) {
	t.Parallel()
	d := startDev(t, devOptions{})
	d.activeTopic(t, "counted", 1)
	for lines, want := range map[string]string{"one\n": "sent 1 message (3 bytes) to counted in ", "one\ntwo\n": "sent 2 messages (6 bytes) to counted in "} {
		r := d.kdsWithInput(t, lines, "send", "counted")
		if r.Code != 0 || !strings.HasPrefix(r.Stdout, want) {
			t.Errorf("want stdout starting %q\n%s", want, r)
		}
	}
}

func TestConsumeShowsWhatOtherClientsProduce(t *testing.T) {
	t.Parallel()
	kcat := requireKcat(t)
	d := startDev(t, devOptions{})
	d.activeTopic(t, "plain", 2)
	carol := d.createToken(t, "carol", "consumer", "--consumer", "plain-reader")

	c := d.startAs(t, carol, "consume", "--id", "plain-reader", "--topics", "plain", "-o", "json")
	c.waitStderr(t, "✓ subscribed to plain")
	want := numbered("kcat", 1, 50)
	kcatWrite(t, kcat, d.KafkaAddrs, "plain", want)
	c.waitMessages(t, "plain", want)
	c.interrupt(t)

	msgs := c.messages(t)
	wantExactly(t, "consumer", msgs, "plain", want)
	offsets := map[string]bool{}
	for _, m := range msgs {
		if m.Producer != "" || !m.SentAt.IsZero() || m.UUID != "" || m.Key != "" {
			t.Errorf("a record kcat wrote shows kds metadata: %+v", m)
		}
		if m.Timestamp.IsZero() || m.ReceivedAt.IsZero() || m.Partition < 0 || m.Partition > 1 {
			t.Errorf("a message lacks Kafka's metadata: %+v", m)
		}
		at := fmt.Sprint(m.Partition, "/", m.Offset)
		if offsets[at] {
			t.Errorf("two messages at partition/offset %s", at)
		}
		offsets[at] = true
	}
	// The raw line has no producer field at all.
	if strings.Contains(c.stdout.String(), `"producer"`) {
		t.Errorf("JSON lines carry a producer field for records without one:\n%s", tail(c.stdout.String(), 1024))
	}
}

func TestSubscribeAndUnsubscribeWhileMessagesFlow(t *testing.T) {
	t.Parallel()
	d := startDev(t, devOptions{})
	for _, name := range []string{"a", "b", "c"} {
		d.activeTopic(t, name, 2)
	}
	c := d.start(t, "consume", "--id", "juggler", "-o", "json")
	c.waitStderr(t, "consumer juggler ready")
	c.writeLine(t, "subscribe a b")
	c.waitStderr(t, "✓ subscribed to a", "✓ subscribed to b")

	sendA := d.stream(t, "a", 2*time.Millisecond)
	sendB := d.stream(t, "b", 5*time.Millisecond)
	sendC := d.stream(t, "c", 5*time.Millisecond)
	c.waitMessages(t, "a", numbered("a", 1, 100))
	c.waitMessages(t, "b", numbered("b", 1, 20))

	c.writeLine(t, "unsubscribe b")
	c.waitStderr(t, "✓ unsubscribed from b")
	lastB := sendB.begun()
	bBefore := len(valuesOf(c.messages(t), "b"))

	c.writeLine(t, "subscribe c")
	c.waitStderr(t, "✓ subscribed to c")
	firstC := sendC.begun() + 1

	// Let everything flow a while longer after the changes.
	c.waitMessages(t, "c", numbered("c", firstC, firstC+60))
	sentA, sentB, sentC := sendA.finish(t), sendB.finish(t), sendC.finish(t)
	c.waitMessages(t, "a", numbered("a", 1, sentA))
	c.waitMessages(t, "c", numbered("c", firstC, sentC))
	c.quit(t, "quit")

	msgs := c.messages(t)
	wantExactly(t, "a", msgs, "a", numbered("a", 1, sentA))
	bAfter := valuesOf(msgs, "b")
	if len(bAfter) != bBefore {
		t.Errorf("b: %d messages before the unsubscribe was confirmed, %d at the end", bBefore, len(bAfter))
	}
	for _, v := range bAfter {
		var n int
		if _, err := fmt.Sscanf(v, "b-%d", &n); err != nil || n > lastB {
			t.Errorf("b: received %q, sent after the unsubscribe was confirmed (after b-%d)", v, lastB)
		}
	}
	// What was sent to c once the subscription was confirmed arrived, once.
	var c0 []messageDoc
	for _, m := range msgs {
		var n int
		if _, err := fmt.Sscanf(m.Value, "c-%d", &n); m.Topic == "c" && err == nil && n >= firstC {
			c0 = append(c0, m)
		}
	}
	wantExactly(t, "c (sent after subscribing)", c0, "c", numbered("c", firstC, sentC))
	t.Logf("a: %d, b: %d of %d (unsubscribed after b-%d), c: %d from c-%d", sentA, len(bAfter), sentB, lastB, sentC-firstC+1, firstC)
}

// valuesOf lists the values msgs hold for topic, repeats included.
func valuesOf(msgs []messageDoc, topic string) []string {
	var vs []string
	for _, m := range msgs {
		if m.Topic == topic {
			vs = append(vs, m.Value)
		}
	}
	return vs
}

func TestDeactivationDetachesConsumersBeforeDeletion(t *testing.T) {
	t.Parallel()
	const detachTimeout = 2 * time.Second
	kcat := requireKcat(t)
	d := startDev(t, devOptions{env: []string{"KDS_TOPIC_MANAGER_DETACH_TIMEOUT=" + detachTimeout.String()}})
	d.activeTopic(t, "polite", 1)
	d.activeTopic(t, "stubborn", 1)

	c := d.consume(t, "watcher", "polite", "stubborn")

	// A consumer that runs detaches when told, so deletion does not wait
	// and cuts nobody off.
	r := d.mustKds(t, "topic", "deactivate", "polite", "--yes")
	wantLines(t, r, "polite: deactivated", "polite: deleted from Kafka")
	c.waitStderr(t, "topic polite was deactivated by admin: unsubscribed")
	h := d.history(t, "polite")
	if last := h[len(h)-1]; last.Action != "delete" || last.Reason != "" {
		t.Fatalf("polite's deletion: %+v, want a delete with no reason (no consumer was cut off)", last)
	}
	d.waitSubscriptionEnded(t, "watcher", "polite")
	watcher := d.consumers(t)["watcher"]
	if s, ok := watcher.subscription("stubborn"); !ok || !s.Live {
		t.Errorf("watcher's subscription to stubborn: %+v (found %v), want live", s, ok)
	}
	d.waitAttached(t, "watcher", c.pid(), "stubborn")

	// A consumer that is alive but does not answer is cut off after the
	// detach timeout, and the deletion says whom it cut off.
	c.signal(t, syscall.SIGSTOP)
	start := time.Now()
	r = d.mustKds(t, "topic", "deactivate", "stubborn", "--yes")
	took := time.Since(start)
	wantLines(t, r, "stubborn: deactivated", "stubborn: deleted from Kafka")
	if took < detachTimeout {
		t.Errorf("stubborn was deleted %v after the deactivation, before the detach timeout of %v", took, detachTimeout)
	}
	h = d.history(t, "stubborn")
	host, _ := os.Hostname()
	wantReason := fmt.Sprintf("consumers still attached after %s were cut off: watcher (%s pid %d)", detachTimeout, host, c.pid())
	if last := h[len(h)-1]; last.Action != "delete" || last.Reason != wantReason {
		t.Errorf("stubborn's deletion: %+v, want the reason %q", last, wantReason)
	}
	topics, _ := kafkaTopics(t, kcat, d.KafkaAddrs)
	if _, ok := topics["stubborn"]; ok {
		t.Errorf("stubborn is still in Kafka")
	}

	c.signal(t, syscall.SIGCONT)
	c.waitStderr(t, "topic stubborn was deactivated by admin: unsubscribed")
	d.waitAttached(t, "watcher", c.pid())
	c.interrupt(t)
	d.waitSubscriptionEnded(t, "watcher", "stubborn")
}

// waitSubscriptionEnded waits until consumer's subscription to topic is
// gone from kds subscriptions: it ends when its generation is deleted.
func (d *devServer) waitSubscriptionEnded(t *testing.T, consumer, topic string) {
	t.Helper()
	eventually(t, consumer+"'s subscription to "+topic+" ended", func() (bool, string) {
		s, ok := d.consumers(t)[consumer].subscription(topic)
		return !ok, fmt.Sprintf("%+v", s)
	})
}

// TestSubscriptionsEndForGood: a subscription ends with its topic's
// generation, stays ended when the name is approved again, and
// unsubscribing from it says it is not subscribed; kds unsubscribe ends
// what kds consume --topics left.
func TestSubscriptionsEndForGood(t *testing.T) {
	t.Parallel()
	d := startDev(t, devOptions{})
	d.activeTopic(t, "season", 1)
	d.activeTopic(t, "kept", 1)
	c := d.consume(t, "fan", "season", "kept")

	wantLines(t, d.mustKds(t, "topic", "deactivate", "season", "--yes"), "season: deleted from Kafka")
	c.waitStderr(t, "topic season was deactivated by admin: unsubscribed")
	d.waitSubscriptionEnded(t, "fan", "season")

	d.activeTopic(t, "season", 1)
	if s, ok := d.consumers(t)["fan"].subscription("season"); ok {
		t.Errorf("fan's subscription to season came back when season was approved again: %+v", s)
	}
	if r := d.mustKds(t, "subscriptions"); regexp.MustCompile(`(?m)^fan\s+season\s`).MatchString(r.Stdout) {
		t.Errorf("kds subscriptions lists fan's ended subscription to season:\n%s", r.Stdout)
	}
	c.interrupt(t)

	wantFailure(t, d.kds(t, "unsubscribe", "--id", "fan", "season"), 1, `✗ season: consumer "fan" is not subscribed to topic "season"`)
	wantLines(t, d.mustKds(t, "unsubscribe", "--id", "fan", "kept"), "✓ consumer fan unsubscribed from kept")
	if subs := d.consumers(t)["fan"].Subscriptions; len(subs) != 0 {
		t.Errorf("fan's subscriptions after kds unsubscribe: %+v, want none", subs)
	}
	wantFailure(t, d.kds(t, "unsubscribe", "season"), 2, "--id is required")
}

func TestConsumerResumesAfterRestart(t *testing.T) {
	t.Parallel()
	d := startDev(t, devOptions{})
	d.activeTopic(t, "journal", 3)

	c := d.start(t, "consume", "--id", "reader", "--topics", "journal", "-o", "json")
	c.waitStderr(t, "✓ subscribed to journal")
	// One key puts the first messages in one partition, so the others have
	// nothing to commit before the restart.
	first := numbered("m", 1, 30)
	d.mustSendLines(t, "journal", first, "--key", "first")
	c.waitMessages(t, "journal", first)
	c.interrupt(t)
	wantExactly(t, "before the restart", c.messages(t), "journal", first)

	// Sent while no process of the consumer runs, to every partition.
	later := numbered("m", 31, 130)
	d.mustSendLines(t, "journal", later)

	// Started again without --topics, and with no command on its input,
	// it resumes its subscription where it left off.
	again := d.start(t, "consume", "--id", "reader", "-o", "json")
	again.waitStderr(t, "consumer reader ready")
	again.waitMessages(t, "journal", later)
	again.writeLine(t, "subscribed")
	again.waitStderr(t, "subscribed to: journal")
	again.quit(t, "quit")
	wantExactly(t, "after the restart", again.messages(t), "journal", later)
}

func TestConsumeFromBeginning(t *testing.T) {
	t.Parallel()
	d := startDev(t, devOptions{})
	d.activeTopic(t, "history", 2)
	early := numbered("early", 1, 20)
	d.mustSendLines(t, "history", early)

	old := d.start(t, "consume", "--id", "archivist", "--topics", "history", "--from-beginning", "-o", "json")
	fresh := d.start(t, "consume", "--id", "newcomer", "--topics", "history", "-o", "json")
	old.waitStderr(t, "✓ subscribed to history")
	fresh.waitStderr(t, "✓ subscribed to history")
	old.waitMessages(t, "history", early)

	late := numbered("late", 1, 20)
	d.mustSendLines(t, "history", late)
	old.waitMessages(t, "history", late)
	fresh.waitMessages(t, "history", late)
	old.interrupt(t)
	fresh.interrupt(t)
	wantExactly(t, "from the beginning", old.messages(t), "history", append(slices.Clone(early), late...))
	wantExactly(t, "new messages only", fresh.messages(t), "history", late)

	// --from-beginning is for new subscriptions: a resumed one continues
	// where it left off.
	more := numbered("more", 1, 10)
	d.mustSendLines(t, "history", more)
	resumed := d.start(t, "consume", "--id", "archivist", "--topics", "history", "--from-beginning", "-o", "json")
	resumed.waitMessages(t, "history", more)
	resumed.interrupt(t)
	wantExactly(t, "resumed with --from-beginning", resumed.messages(t), "history", more)
}

func TestConsumeProcessesWithOneIDShareTheWork(t *testing.T) {
	t.Parallel()
	d := startDev(t, devOptions{})
	d.activeTopic(t, "jobs", 3)

	one := d.start(t, "consume", "--id", "workers", "--topics", "jobs", "-o", "json")
	one.waitStderr(t, "✓ subscribed to jobs")
	two := d.start(t, "consume", "--id", "workers", "--topics", "jobs", "-o", "json")
	two.waitStderr(t, "✓ subscribed to jobs")
	d.waitAttached(t, "workers", one.pid(), "jobs")
	d.waitAttached(t, "workers", two.pid(), "jobs")

	var sent []string
	send := func(prefix string, n int) {
		t.Helper()
		batch := numbered(prefix, 1, n)
		d.mustSendLines(t, "jobs", batch)
		sent = append(sent, batch...)
		eventually(t, fmt.Sprintf("%d jobs received by the two processes", len(sent)), func() (bool, string) {
			got := valueCounts(append(one.messages(t), two.messages(t)...), "jobs")
			return len(got) == len(sent), fmt.Sprintf("%d distinct", len(got))
		})
	}
	// Until the group has rebalanced, the first process has every
	// partition; send a little at a time until both have work.
	eventually(t, "both processes receive jobs", func() (bool, string) {
		send(fmt.Sprintf("warmup%d", len(sent)), 10)
		a, b := len(one.messages(t)), len(two.messages(t))
		return a > 0 && b > 0, fmt.Sprintf("%d and %d", a, b)
	})
	warmup := slices.Clone(sent)
	send("job", 300)
	one.interrupt(t)
	two.interrupt(t)
	a, b := one.messages(t), two.messages(t)

	// Once the group is settled, every job goes to exactly one process.
	var jobs []messageDoc
	for _, m := range append(slices.Clone(a), b...) {
		if strings.HasPrefix(m.Value, "job-") {
			jobs = append(jobs, m)
		}
	}
	wantExactly(t, "the two processes together", jobs, "jobs", numbered("job", 1, 300))
	// While it rebalances, delivery is at least once: a message handed to
	// the process that is losing its partition may come again to the one
	// that gains it.
	got := valueCounts(append(slices.Clone(a), b...), "jobs")
	again := 0
	for _, w := range warmup {
		if got[w] == 0 {
			t.Errorf("warm-up job %s was lost", w)
		}
		again += got[w] - 1
	}
	if n := countAll(got) - again - len(warmup) - 300; n != 0 {
		t.Errorf("%d messages that were never sent", n)
	}
	t.Logf("%d warm-up jobs (%d delivered twice while the group rebalanced), then 300: process one received %d, process two %d",
		len(warmup), again, len(a), len(b))
}

func TestProduceInteractively(t *testing.T) {
	t.Parallel()
	kcat := requireKcat(t)
	d := startDev(t, devOptions{})
	p := d.start(t, "produce")
	p.waitStdout(t, "producer ready; type help for commands")

	p.writeLine(t, "help")
	p.waitStdout(t, "create TOPIC", "send TOPIC MESSAGE...", "list", "active", "quit")
	p.writeLine(t, "active")
	p.waitStdout(t, "no active topics")
	p.writeLine(t, "create news")
	p.waitStdout(t, "✓ topic news created with status: pending (an admin approves it)")
	p.writeLine(t, "send news too early")
	p.waitStdout(t, `✗ topic "news" is pending, not active: it waits for an admin's approval`)
	p.writeLine(t, "send nowhere hello")
	p.waitStdout(t, `✗ topic "nowhere" does not exist: request it with kds topic request nowhere`)
	p.writeLine(t, "list")
	p.waitOutput(t, "stdout", p.stdout, "news listed as pending", regexp.MustCompile(`(?m)^\s+news\s+pending$`).MatchString)

	d.mustKds(t, "topic", "approve", "news")
	p.waitStdout(t, "• topic news is now active")
	p.writeLine(t, "active")
	p.waitStdout(t, "active topics: news")
	p.writeLine(t, "send news hello   world")
	p.waitStdout(t, "✓ sent to news")
	recs := kcatRead(t, kcat, d.KafkaAddrs, "news")
	if len(recs) != 1 || deref(recs[0].Payload) != "hello   world" {
		t.Fatalf("news in Kafka: %+v, want the one message sent", recs)
	}
	if producer, _ := recs[0].header("kds-producer"); producer != "admin" {
		t.Errorf("kds-producer %q, want admin", producer)
	}
	p.writeLine(t, "send news")
	p.waitStdout(t, "usage: send TOPIC MESSAGE")
	p.writeLine(t, "frobnicate")
	p.waitStdout(t, `unknown command "frobnicate"; type help`)
	// A line too long for any message is skipped, not taken for the end.
	p.writeLine(t, "send news "+strings.Repeat("x", 1<<20))
	p.waitStdout(t, "is longer than 1048576 bytes, the largest message Kafka takes: ignored")
	p.writeLine(t, "active")
	p.waitOutput(t, "stdout", p.stdout, "a second answer to active", func(s string) bool {
		return strings.Count(s, "active topics: news") == 2
	})

	d.mustKds(t, "topic", "deactivate", "news", "--yes")
	p.waitStdout(t, "• topic news is no longer active")
	p.quit(t, "quit")
	if p.stderr.String() != "" {
		t.Errorf("stderr:\n%s", p.stderr)
	}
}

func TestConsumeInteractively(t *testing.T) {
	t.Parallel()
	d := startDev(t, devOptions{})
	c := d.start(t, "consume", "--id", "desk")
	c.waitStdout(t, "consumer desk ready; type help for commands")

	c.writeLine(t, "help")
	c.waitStdout(t, "subscribe TOPIC [TOPIC...]", "unsubscribe TOPIC", "refresh", "quit")
	c.writeLine(t, "list")
	c.waitStdout(t, "no active topics")
	c.writeLine(t, "subscribed")
	c.waitStdout(t, "not subscribed to any topic")

	d.activeTopic(t, "alpha", 1)
	d.activeTopic(t, "beta", 1)
	d.request(t, "gamma")
	c.writeLine(t, "list")
	c.waitStdout(t, "active topics: alpha, beta")
	c.writeLine(t, "subscribe alpha gamma nope")
	c.waitStdout(t, "✓ subscribed to alpha",
		`✗ gamma: topic "gamma" is pending, not active: it waits for an admin's approval`,
		`✗ nope: topic "nope" does not exist: request it with kds topic request nope`)
	c.writeLine(t, "subscribe")
	c.waitStdout(t, "usage: subscribe TOPIC [TOPIC...]")
	c.writeLine(t, "subscribed")
	c.waitStdout(t, "subscribed to: alpha")

	wantLines(t, d.mustKds(t, "send", "alpha", "first words"), "sent 1 message to alpha")
	c.waitStdout(t, "[alpha] first words")
	c.waitOutput(t, "stdout", c.stdout, "the message's details", regexp.MustCompile(`(?m)^    from admin, sent \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} \(partition 0, offset 0\)$`).MatchString)

	// A subscription made elsewhere: refresh follows it.
	if code := call(t, "PUT", d.APIURL+"/api/v1/consumers/desk/subscriptions/beta", d.AdminToken, "").status; code != 201 {
		t.Fatalf("PUT the subscription to beta: %d", code)
	}
	c.writeLine(t, "refresh")
	c.waitStdout(t, "subscribed to: alpha, beta")
	wantLines(t, d.mustKds(t, "send", "beta", "second words"), "sent 1 message to beta")
	c.waitStdout(t, "[beta] second words")

	c.writeLine(t, "unsubscribe alpha")
	c.waitStdout(t, "✓ unsubscribed from alpha")
	c.writeLine(t, "unsubscribe alpha")
	c.waitStdout(t, `✗ alpha: `)
	c.writeLine(t, "subscribed")
	c.waitStdout(t, "subscribed to: beta")
	c.writeLine(t, "frobnicate")
	c.waitStdout(t, `unknown command "frobnicate"; type help`)
	wantLines(t, d.mustKds(t, "send", "alpha", "unheard"), "sent 1 message to alpha")
	wantLines(t, d.mustKds(t, "send", "beta", "last words"), "sent 1 message to beta")
	c.waitStdout(t, "[beta] last words")
	c.quit(t, "quit")
	if strings.Contains(c.stdout.String(), "unheard") {
		t.Errorf("received a message sent after unsubscribing:\n%s", c.stdout)
	}
	if c.stderr.String() != "" {
		t.Errorf("stderr:\n%s", c.stderr)
	}
}

func TestSendAndSubscribeRefusals(t *testing.T) {
	t.Parallel()
	kcat := requireKcat(t)
	d := startDev(t, devOptions{})
	d.request(t, "waiting")
	d.activeTopic(t, "small", 1)

	wantFailure(t, d.kds(t, "send", "waiting", "hello"), 1, `kds: topic "waiting" is pending, not active: it waits for an admin's approval`)
	wantFailure(t, d.kds(t, "send", "ghost", "hello"), 1, `kds: topic "ghost" does not exist: request it with kds topic request ghost`)
	wantFailure(t, d.kdsWithInput(t, "a\nb\n", "send", "waiting"), 1, `topic "waiting" is pending, not active`)
	wantFailure(t, d.kds(t, "consume", "--id", "eager", "--topics", "waiting"), 1, `subscribe to waiting: topic "waiting" is pending, not active: it waits for an admin's approval`)
	wantFailure(t, d.kds(t, "consume", "--id", "eager", "--topics", "small,ghost"), 1, `subscribe to ghost: topic "ghost" does not exist`)

	// Larger than the 1 MiB Kafka takes: refused before anything is sent,
	// and the messages before it in the same batch are not sent either
	// (kept in it by a linger longer than the test, since the big line
	// may come slower than the default).
	big := strings.Repeat("a", 1<<20-100)
	r := d.kdsWithInput(t, "before\n"+big+"\n", "send", "small", "--linger", "1h")
	wantFailure(t, r, 1, "sending stopped after 0 acknowledged messages", "bytes is larger than the 1048576 bytes Kafka takes")
	// Longer than the longest line kds reads.
	huge := strings.Repeat("a", 1100000)
	r = d.kdsWithInput(t, huge+"\n", "send", "small")
	wantFailure(t, r, 1, "sending stopped after 0 acknowledged messages: line 1 of standard input is longer than 1048576 bytes, the largest message Kafka takes")
	if recs := kcatRead(t, kcat, d.KafkaAddrs, "small"); len(recs) != 0 {
		t.Errorf("refused messages are in Kafka: %d records", len(recs))
	}
	if subs := d.consumers(t)["eager"].Subscriptions; len(subs) != 1 || subs[0].Topic != "small" {
		t.Errorf("eager's subscriptions after the refusals: %+v, want only small", subs)
	}
}

func TestSubscriptionsShowConsumersAndTheirProcesses(t *testing.T) {
	t.Parallel()
	d := startDev(t, devOptions{env: []string{"KDS_SERVER_USAGE_INTERVAL=200ms"}})
	d.activeTopic(t, "feed", 1)
	c := d.consume(t, "viewer1", "feed")

	host, _ := os.Hostname()
	alive := fmt.Sprintf("1 alive (%s:%d)", host, c.pid())
	row := regexp.MustCompile(`(?m)^viewer1\s+feed\s+live\s+(0|-)\s+(\w+, (0 members|1 member)|-)\s+` + regexp.QuoteMeta(alive) + `\s+\S+`)
	r := d.mustKds(t, "subscriptions")
	if !row.MatchString(r.Stdout) {
		t.Errorf("kds subscriptions has no row %v\n%s", row, r)
	}
	menu := d.kdsWithInput(t, "6\n7\n", "admin")
	if menu.Code != 0 || !row.MatchString(menu.Stdout) {
		t.Errorf("admin option 6 has no row %v\n%s", row, menu)
	}
	s, _ := d.consumers(t)["viewer1"].subscription("feed")
	if !s.Live || s.Generation != 1 || s.CreatedBy != "admin" || s.FromBeginning || !strings.HasPrefix(s.Group, "kds-consumer.viewer1.feed.") {
		t.Errorf("viewer1's subscription: %+v", s)
	}

	// A process that stops says goodbye: no wait for its heartbeat to age.
	// What is sent meanwhile is its subscription's lag, with the age of
	// the oldest message, in a group without members.
	c.interrupt(t)
	d.kdsWithInput(t, "a\nb\nc\n", "send", "feed")
	row = regexp.MustCompile(`(?m)^viewer1\s+feed\s+live\s+3 \(\d+s\)\s+Empty, 0 members\s+none alive\s+\S+`)
	deadline := time.Now().Add(10 * time.Second)
	for r := d.mustKds(t, "subscriptions"); !row.MatchString(r.Stdout); r = d.mustKds(t, "subscriptions") {
		if time.Now().After(deadline) {
			t.Fatalf("kds subscriptions has no row %v after the consumer stopped\n%s", row, r)
		}
		time.Sleep(100 * time.Millisecond)
	}
	show := d.mustKds(t, "topic", "show", "feed")
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`(?m)^messages:\s+3 kept, 3 written, [\d.]+/s$`),
		regexp.MustCompile(`(?m)^size:\s+[\d.]+ (B|KiB)$`),
		regexp.MustCompile(`(?m)^last message:\s+\d+s ago$`),
		regexp.MustCompile(`(?m)^partition 0\s+offsets 0-3, 3 messages, [\d.]+ (B|KiB), last \d+s ago$`),
		regexp.MustCompile(`(?m)^subscription:\s+viewer1 lag 3 \(\d+s\), 0 members, Empty$`),
	} {
		if !want.MatchString(show.Stdout) {
			t.Errorf("kds topic show feed has no line %v:\n%s", want, show.Stdout)
		}
	}
	if list := d.mustKds(t, "topic", "list"); !regexp.MustCompile(`(?m)^feed\s+active\s+1\s+1\s+1\s+3\s+[\d.]+ (B|KiB)\s+\d+s ago\s+`).MatchString(list.Stdout) {
		t.Errorf("kds topic list has no row of feed with 3 messages:\n%s", list.Stdout)
	}
	var lagged []struct {
		ID  string `json:"id"`
		Lag []struct {
			Topic   string  `json:"topic"`
			Total   int64   `json:"total"`
			Seconds float64 `json:"seconds"`
		} `json:"lag"`
	}
	decodeJSON(t, d.kds(t, "subscriptions", "-o", "json"), &lagged)
	if len(lagged) != 1 || len(lagged[0].Lag) != 1 || lagged[0].Lag[0].Total != 3 || lagged[0].Lag[0].Seconds <= 0 {
		t.Errorf("kds subscriptions -o json: %+v, want viewer1 behind by 3 messages", lagged)
	}
	if menu := d.kdsWithInput(t, "6\n7\n", "admin"); !row.MatchString(menu.Stdout) {
		t.Errorf("admin option 6 has no row %v after the consumer stopped\n%s", row, menu)
	}
	for _, in := range d.consumers(t)["viewer1"].Instances {
		if in.Alive {
			t.Errorf("a process of viewer1 is alive after it stopped: %+v", in)
		}
	}

	// Unsubscribed and stopped, viewer1 is no longer listed, and what
	// is left says so without pretending nobody ever subscribed.
	d.mustKds(t, "unsubscribe", "--id", "viewer1", "feed")
	wantLines(t, d.mustKds(t, "subscriptions"), "No subscriptions, and no consumer running.")
}

func TestConsumeOnATerminal(t *testing.T) {
	t.Parallel()
	d := startDev(t, devOptions{})
	d.activeTopic(t, "tty", 1)
	out := filepath.Join(t.TempDir(), "messages.jsonl")
	term := d.startOnTerminal(t, `exec "$KDS" consume --id typist -o json > '`+out+`'`)

	// The prompt comes after each answer, on the terminal, and never in
	// the messages written to the file.
	term.waitScreen(t, "consumer typist ready; type help for commands\n> ")
	term.writeLine(t, "subscribe tty")
	term.waitScreen(t, "> subscribe tty\n✓ subscribed to tty\n> ")
	wantLines(t, d.mustKds(t, "send", "tty", "typed"), "sent 1 message to tty")
	eventually(t, "the message in "+out, func() (bool, string) {
		b, _ := os.ReadFile(out)
		return strings.Contains(string(b), "typed"), string(b)
	})
	term.writeLine(t, "subscribed")
	term.waitScreen(t, "> subscribed\nsubscribed to: tty\n> ")
	term.quit(t, "quit")

	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	var m messageDoc
	if len(lines) != 1 || json.Unmarshal([]byte(lines[0]), &m) != nil || m.Value != "typed" {
		t.Fatalf("%s holds %q, want the one message as JSON", out, b)
	}
	if strings.Contains(term.stdout.String(), `"value"`) {
		t.Errorf("a message went to the terminal:\n%s", term.stdout)
	}
}

// TestTopicListShowsAFreshTopicEmpty: a topic activated since the API's
// latest usage reading lists with what it holds, nothing yet, as kds
// topic show says, not as unknown until the next reading.
func TestTopicListShowsAFreshTopicEmpty(t *testing.T) {
	t.Parallel()
	d := startDev(t, devOptions{env: []string{"KDS_SERVER_USAGE_INTERVAL=1h"}})
	d.activeTopic(t, "fresh", 1)
	r := d.mustKds(t, "topic", "list")
	if !regexp.MustCompile(`(?m)^fresh\s+active\s+1\s+1\s+1\s+0\s+0 B\s+-\s+`).MatchString(r.Stdout) {
		t.Errorf("kds topic list does not show the fresh topic empty:\n%s", r.Stdout)
	}
}

// TestTopicHistoryKeepsLongReasonsToTheirRow: the reason is the history's
// last column, so a long one, such as an access transition's list of
// grants, does not pad every other row to its width.
func TestTopicHistoryKeepsLongReasonsToTheirRow(t *testing.T) {
	t.Parallel()
	d := startDev(t, devOptions{})
	d.request(t, "long_reason")
	reason := strings.Repeat("too many partitions for this cluster; ", 10)
	d.mustKds(t, "topic", "reject", "long_reason", "--reason", reason)
	lines := strings.Split(strings.TrimSpace(d.mustKds(t, "topic", "history", "long_reason").Stdout), "\n")
	if !strings.HasSuffix(lines[0], "REASON") {
		t.Errorf("the header %q does not end with REASON", lines[0])
	}
	for _, l := range lines {
		if !strings.Contains(l, reason[:40]) && len(l) > 150 {
			t.Errorf("a row without the long reason is %d characters wide:\n%s", len(l), strings.Join(lines, "\n"))
		}
	}
}

// TestConsumeCountStopsWhereTheNextRunGoesOn: --count prints that many of
// a batch and commits only those, so runs of one consumer id read the
// topic on from each other: together every message, each once.
func TestConsumeCountStopsWhereTheNextRunGoesOn(t *testing.T) {
	t.Parallel()
	d := startDev(t, devOptions{})
	d.activeTopic(t, "ledger", 3)
	sent := numbered("ledger", 1, 300)
	d.mustSendLines(t, "ledger", sent)
	var all []messageDoc
	for i, count := range []int{7, 93, 200} {
		r := d.kds(t, "consume", "--id", "clerk", "--topics", "ledger", "--from-beginning", "--count", strconv.Itoa(count), "-o", "json")
		if r.Code != 0 {
			t.Fatalf("run %d: want exit 0\n%s", i+1, r)
		}
		msgs := parseMessageLines(t, r.Stdout)
		if len(msgs) != count {
			t.Fatalf("run %d with --count %d printed %d messages", i+1, count, len(msgs))
		}
		all = append(all, msgs...)
	}
	wantExactly(t, "three runs of one consumer id", all, "ledger", sent)
}

// TestBenchConsumeReadsEveryMessageOnce: kds bench consume reads its topic
// with a consumer process and with plain franz-go, and says how long each
// took; it fails if either read a message twice or missed one.
func TestBenchConsumeReadsEveryMessageOnce(t *testing.T) {
	t.Parallel()
	d := startDev(t, devOptions{})
	r := d.kds(t, "bench", "consume", "--messages", "3000", "--rounds", "2")
	if r.Code != 0 {
		t.Fatalf("want exit 0\n%s", r)
	}
	for _, want := range []string{"3000 messages of 100 bytes", "round 2: consumer process", "2 rounds, median (range): consumer process"} {
		if !strings.Contains(r.Stdout, want) {
			t.Errorf("the output does not say %q:\n%s", want, r.Stdout)
		}
	}
}

// TestConsumeStopsWhenItsOutputRefusesWrites: a stream whose output is
// full says so and exits 1, and commits nothing it could not print: the
// next run reads every message.
func TestConsumeStopsWhenItsOutputRefusesWrites(t *testing.T) {
	t.Parallel()
	d := startDev(t, devOptions{})
	d.activeTopic(t, "full", 2)
	sent := numbered("full", 1, 50)
	d.mustSendLines(t, "full", sent)
	devFull, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Skipf("no /dev/full here: %v", err)
	}
	defer devFull.Close()
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, kdsBinary, "consume", "--id", "scribe", "--topics", "full", "--from-beginning", "-o", "json")
	cmd.Dir = d.workDir
	cmd.Env = cleanEnv("KDS_API_URL="+d.APIURL, "KDS_TOKEN="+d.AdminToken)
	var stderr strings.Builder
	cmd.Stdout, cmd.Stderr = devFull, &stderr
	err = cmd.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 || !strings.Contains(stderr.String(), "no space left on device") {
		t.Fatalf("with a full output: %v (context: %v)\n%s", err, ctx.Err(), stderr.String())
	}
	r := d.kds(t, "consume", "--id", "scribe", "--topics", "full", "--count", strconv.Itoa(len(sent)), "-o", "json")
	if r.Code != 0 {
		t.Fatalf("want exit 0\n%s", r)
	}
	wantExactly(t, "the run after the full output", parseMessageLines(t, r.Stdout), "full", sent)
}
