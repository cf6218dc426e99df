package main_test

// Fault tests that kill at any moment: kds serve and kds consume are
// SIGKILLed at random points of their work, including while they start
// and join their consumer groups, within 0.2 s of the previous restart,
// round after round. After each round's last restart everything accepted
// must be done, within a bound, and nothing done twice.

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/kds-io/kds/adapters/httpapi/apiclient"
	"github.com/kds-io/kds/adapters/kafka/kafkatest"
	"github.com/kds-io/kds/app/command"
	"github.com/kds-io/kds/app/topic"
)

// restartBound is how long after a process's last restart everything it
// had accepted must be done. Restarts converge in about half a second here
// (docs/BENCHMARKS.md); the bound leaves room for a loaded machine.
const restartBound = 10 * time.Second

// restartRounds is how many rounds of kills a test runs:
// KDS_RESTART_ROUNDS, or 20.
func restartRounds(t *testing.T) int {
	t.Helper()
	if v := os.Getenv("KDS_RESTART_ROUNDS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("KDS_RESTART_ROUNDS=%q: want a positive number", v)
		}
		return n
	}
	return 20
}

// crash SIGKILLs p at once and starts it again; in every other round, or
// at random, it kills the new process again within 0.2 s of its start,
// while it connects and joins its groups, and starts another. It returns
// when the last process is ready, with the time that process was started
// and how many kills there were.
func crash(p *restartable, round int) (lastStart time.Time, kills int, err error) {
	for {
		if err := p.kill(); err != nil {
			return time.Time{}, kills, err
		}
		kills++
		lastStart = time.Now()
		r, err := p.launch()
		if err != nil {
			return time.Time{}, kills, err
		}
		if kills == 1 && (round%2 == 0 || rand.N(2) == 0) {
			time.Sleep(rand.N(200 * time.Millisecond))
			continue
		}
		return lastStart, kills, p.awaitReady(r)
	}
}

// lifecycleState reads where topics stand in MySQL and in Kafka, straight
// from each, not through kds.
type lifecycleState struct {
	db    *sql.DB
	admin *kadm.Client
}

// settled reports whether no command is queued, every topic in want has
// its status, and Kafka has every active topic and no deleted one; else
// what is still off.
func (s lifecycleState) settled(want map[string]topic.Status) (bool, string) {
	queued, err := count(s.db, "SELECT COUNT(*) FROM commands WHERE status = 'queued'")
	if err != nil {
		return false, err.Error()
	}
	rows, err := s.db.Query("SELECT name, status FROM topics")
	if err != nil {
		return false, err.Error()
	}
	defer rows.Close()
	stored := map[string]topic.Status{}
	for rows.Next() {
		var name, status string
		if err := rows.Scan(&name, &status); err != nil {
			return false, err.Error()
		}
		stored[name] = topic.Status(status)
	}
	inKafka, err := s.admin.ListTopics(context.Background())
	if err != nil {
		return false, err.Error()
	}
	var off []string
	if queued > 0 {
		off = append(off, fmt.Sprintf("%d commands queued", queued))
	}
	for _, name := range slices.Sorted(maps.Keys(want)) {
		st := want[name]
		_, present := inKafka[name]
		switch {
		case stored[name] != st:
			off = append(off, fmt.Sprintf("%s is %s, want %s", name, stored[name], st))
		case st == topic.Active && !present:
			off = append(off, name+" is active but not in Kafka")
		case st == topic.Deleted && present:
			off = append(off, name+" is deleted but still in Kafka")
		}
	}
	return len(off) == 0, abbreviate(off)
}

// waitSettled polls s until want holds, for at most restartBound after
// since, and returns how long after since it held.
func waitSettled(t *testing.T, s lifecycleState, want map[string]topic.Status, since time.Time, what string) time.Duration {
	t.Helper()
	for {
		ok, off := s.settled(want)
		if ok {
			return time.Since(since)
		}
		if time.Since(since) > restartBound {
			t.Fatalf("%s: not done %v after the last restart: %s", what, restartBound, off)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// lifecycleRounds drives topics through their lifecycle in rounds, through
// api: each round requests 4 new topics, approves the previous round's and
// deactivates 2 of those approved the round before, and, while the API
// takes those commands, strike kills what it kills. After each round it
// waits until everything accepted is done and returns how long that took
// after each round's last restart.
type lifecycleRounds struct {
	api    *apiclient.Client
	state  lifecycleState
	driver commandDriver

	want              map[string]topic.Status
	pending, approved []string
	deactivated       map[string]bool
}

func newLifecycleRounds(api *apiclient.Client, state lifecycleState) *lifecycleRounds {
	return &lifecycleRounds{api: api, state: state, want: map[string]topic.Status{}, deactivated: map[string]bool{}}
}

func (l *lifecycleRounds) run(t *testing.T, ctx context.Context, round int, strike func() (time.Time, int, error)) (time.Duration, int) {
	t.Helper()
	fresh := topicNames(fmt.Sprintf("round%02d", round), 4)
	cmds := requests(fresh, func(i int) int32 { return int32(1 + i%3) })
	cmds = append(cmds, decisions(command.ApproveTopicType, l.pending)...)
	leaving := l.approved[:min(2, len(l.approved))]
	cmds = append(cmds, decisions(command.DeactivateTopicType, leaving)...)
	for _, n := range fresh {
		l.want[n] = topic.Pending
	}
	for _, n := range l.pending {
		l.want[n] = topic.Active
	}
	for _, n := range leaving {
		l.want[n], l.deactivated[n] = topic.Deleted, true
	}
	l.approved, l.pending = append(slices.Clone(l.approved[len(leaving):]), l.pending...), fresh

	// The commands go in a few batches while the kill strikes at a random
	// moment: some are queued, some are on their way through the outbox,
	// the lifecycle and the topic manager, some are refused for want of a
	// process and sent again by the driver once it is back.
	issued := make(chan error, 1)
	go func() {
		for i := 0; i < len(cmds); i += 3 {
			if err := l.driver.issue(ctx, l.api, cmds[i:min(i+3, len(cmds))]...); err != nil {
				issued <- err
				return
			}
		}
		issued <- nil
	}()
	time.Sleep(rand.N(300 * time.Millisecond))
	lastStart, kills, err := strike()
	if err != nil {
		t.Fatalf("round %d: %v", round, err)
	}
	if err := <-issued; err != nil {
		t.Fatalf("round %d: %v", round, err)
	}
	return waitSettled(t, l.state, l.want, lastStart, fmt.Sprintf("round %d", round)), kills
}

// crashRounds runs restartRounds rounds, crashing target in each, and
// calls after once each round is done. It returns how long after its last
// restart each round was done, and how many kills there were.
func (l *lifecycleRounds) crashRounds(t *testing.T, target *restartable, after func(round int)) (took []time.Duration, kills int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	for round := range restartRounds(t) {
		d, k := l.run(t, ctx, round, func() (time.Time, int, error) { return crash(target, round) })
		took, kills = append(took, d), kills+k
		after(round)
	}
	return took, kills
}

// check fails the test unless every topic's history has each action of its
// lifecycle exactly once and no command has more than one transition.
func (l *lifecycleRounds) check(t *testing.T) {
	t.Helper()
	names := slices.Sorted(maps.Keys(l.want))
	checkHistories(t, l.api, names, func(n string) []topic.Action {
		switch l.want[n] {
		case topic.Pending:
			return []topic.Action{topic.Request}
		default:
			return lifecycleActions(l.deactivated[n])
		}
	})
	if n := mustCount(t, l.state.db, "SELECT COUNT(*) FROM (SELECT command_id FROM transitions GROUP BY command_id HAVING COUNT(*) > 1) twice"); n != 0 {
		t.Errorf("%d commands have more than one transition", n)
	}
}

// summary is a distribution's median and range.
func summary(ds []time.Duration) string {
	s := slices.Clone(ds)
	slices.Sort(s)
	return fmt.Sprintf("median %v, min %v, max %v (n=%d)", s[len(s)/2].Round(time.Millisecond), s[0].Round(time.Millisecond), s[len(s)-1].Round(time.Millisecond), len(s))
}

// TestServeKilledAtAnyMomentLeavesNothingBehind SIGKILLs kds serve at a
// random moment of each round's work, and in every other round again
// within 0.2 s of its restart, while it starts and joins its groups. After
// each round's last restart every accepted command is applied and Kafka
// agrees with MySQL within restartBound; in the end no command was applied
// twice.
func TestServeKilledAtAnyMomentLeavesNothingBehind(t *testing.T) {
	t.Parallel()
	_, kafkaAddr := startBroker(t, "")
	cfg := newServeConfig(t, kafkaAddr)
	serve := newServe(t, "kds serve", cfg)
	serve.mustStart(t)
	l := newLifecycleRounds(apiClient(t, serve.URL, cfg.token), lifecycleState{db: openDB(t, cfg.db), admin: kafkatest.Admin(t, kafkatest.Config(kafkaAddr))})
	took, kills := l.crashRounds(t, serve, func(int) {})
	l.check(t)
	t.Logf("%d rounds, %d kills; everything accepted was done after the last restart in %s", len(took), kills, summary(took))
	t.Logf("driver: %d batches, %d sent again (%s)", l.driver.batches.Load(), l.driver.retries.Load(), l.driver.retryReasons())
}

// TestOneOfTwoInstancesKilledAtAnyMoment runs two kds serve instances
// sharing the work and SIGKILLs one of them at random moments, round after
// round, while commands go through the other's API: the survivor keeps
// serving, the killed one takes its share back when it returns, and
// everything is done within restartBound of its last restart.
func TestOneOfTwoInstancesKilledAtAnyMoment(t *testing.T) {
	t.Parallel()
	_, kafkaAddr := startBroker(t, "")
	cfg := newServeConfig(t, kafkaAddr)
	survivor := newServe(t, "kds serve (survivor)", cfg)
	survivor.mustStart(t)
	victim := newServe(t, "kds serve (killed)", cfg.withHTTPAddr(t))
	victim.mustStart(t)
	l := newLifecycleRounds(apiClient(t, survivor.URL, cfg.token), lifecycleState{db: openDB(t, cfg.db), admin: kafkatest.Admin(t, kafkatest.Config(kafkaAddr))})
	took, kills := l.crashRounds(t, victim, func(round int) {
		if !survivor.running() {
			t.Fatalf("round %d: the survivor stopped", round)
		}
	})
	l.check(t)
	t.Logf("%d rounds, %d kills of one instance; everything accepted was done after its last restart in %s", len(took), kills, summary(took))
}

// TestConsumerKilledAtAnyMomentCatchesUp SIGKILLs a kds consume process at
// random moments while messages flow, in every other round again within
// 0.2 s of its restart: each time it is started again it gets every message
// sent while it was down, within restartBound, and no message is lost.
func TestConsumerKilledAtAnyMomentCatchesUp(t *testing.T) {
	t.Parallel()
	d := startDev(t, devOptions{})
	d.activeTopic(t, "feed", 3)
	reader := newRestartable(t, "kds consume", []string{"KDS_API_URL=" + d.APIURL, "KDS_TOKEN=" + d.AdminToken},
		"consume", "--id", "crash-reader", "--topics", "feed", "-o", "json")
	reader.ready = func(r *processRun) bool { return strings.Contains(r.stderr.String(), "✓ subscribed to feed") }
	reader.mustStart(t)
	sender := d.stream(t, "feed", 5*time.Millisecond)

	// seen is every value any run of the reader printed.
	seen := func() map[string]bool {
		got := map[string]bool{}
		reader.mu.Lock()
		defer reader.mu.Unlock()
		for _, r := range reader.runs {
			for _, line := range strings.Split(r.stdout.String(), "\n") {
				var m messageDoc
				if json.Unmarshal([]byte(line), &m) == nil && m.Topic == "feed" {
					got[m.Value] = true
				}
			}
		}
		return got
	}
	missing := func(upTo int) []string {
		got := seen()
		var miss []string
		for i := 1; i <= upTo; i++ {
			if v := fmt.Sprintf("feed-%d", i); !got[v] {
				miss = append(miss, v)
			}
		}
		return miss
	}

	var took []time.Duration
	for round := range restartRounds(t) {
		time.Sleep(100*time.Millisecond + rand.N(400*time.Millisecond))
		lastStart, _, err := crash(reader, round)
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		// Everything sent up to the restart was sent while no reader
		// ran, or before; it must all arrive.
		sentBefore := sender.begun() - 1
		for {
			miss := missing(sentBefore)
			if len(miss) == 0 {
				took = append(took, time.Since(lastStart))
				break
			}
			if time.Since(lastStart) > restartBound {
				t.Fatalf("round %d: %d of the %d messages sent before the restart have not arrived %v after it: %s",
					round, len(miss), sentBefore, restartBound, abbreviate(miss))
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	total := sender.finish(t)
	eventually(t, "every message sent", func() (bool, string) {
		miss := missing(total)
		return len(miss) == 0, fmt.Sprintf("%d of %d missing: %s", len(miss), total, abbreviate(miss))
	})
	t.Logf("%d rounds, %d messages; each restarted reader had every earlier message after it started in %s", len(took), total, summary(took))
}
