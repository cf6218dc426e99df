package main_test

// Fault tests that kill kds serve: SIGKILL at chosen and random points
// while topics go through their lifecycle, and one of two instances dying
// while they share the work. Nothing may be lost, nothing done twice, and
// Kafka must end up as MySQL says.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/kds-io/kds/adapters/httpapi/apiclient"
	"github.com/kds-io/kds/adapters/httpapi/apiv1"
	"github.com/kds-io/kds/adapters/kafka/kafkatest"
	"github.com/kds-io/kds/app/command"
	"github.com/kds-io/kds/app/query"
	"github.com/kds-io/kds/app/topic"
)

// killTrigger says when the killer strikes: wherever the work is then,
// the process's consumer groups joined or still joining.
type killTrigger int

const (
	// atRandom strikes at a random moment 0.5-2 s later, wherever the work
	// then is.
	atRandom killTrigger = iota
	// midBurst strikes 0-100 ms after transitions start being recorded
	// again: in the middle of the handlers working off a backlog. After
	// 3 s without any, it strikes anyway.
	midBurst
)

func (k killTrigger) String() string {
	if k == midBurst {
		return "mid-burst"
	}
	return "random"
}

// killRecord is what one kill interrupted.
type killRecord struct {
	trigger killTrigger
	phase   string
	// What MySQL held once the process was dead: commands still queued,
	// outbox rows not yet delivered to Kafka, transitions recorded.
	queued, outboxLag, transitions int
	// Messages past the committed offsets of the lifecycle's and the topic
	// manager's groups, and how many of them were handled already: those
	// are given to the next process again and must be skipped.
	commandsBeyond, commandsHandled, eventsBeyond, eventsDone int
	// down is how long the API did not answer.
	down time.Duration
}

// killOrder asks the killer for one kill during a phase of the driver's.
type killOrder struct {
	phase   string
	trigger killTrigger
	done    chan error
}

// killer SIGKILLs a kds serve when the driver orders it and starts it
// again at once.
type killer struct {
	serve  *restartable
	db     *sql.DB
	kafka  string
	admin  *kadm.Client
	orders chan killOrder

	kills     []killRecord
	lastReady time.Time
}

func newKiller(t *testing.T, serve *restartable, db *sql.DB, kafkaAddr string) *killer {
	return &killer{serve: serve, db: db, kafka: kafkaAddr, admin: kafkatest.Admin(t, kafkatest.Config(kafkaAddr)), orders: make(chan killOrder, 16), lastReady: time.Now()}
}

// run carries out orders until they stop coming; after a failure it
// answers every later order with it.
func (k *killer) run(ctx context.Context) {
	var failed error
	for o := range k.orders {
		if failed == nil {
			failed = k.strike(ctx, o)
		}
		o.done <- failed
	}
}

// order asks for kills during phase and returns what waits for them.
func (k *killer) order(phase string, triggers ...killTrigger) []chan error {
	var done []chan error
	for _, tr := range triggers {
		o := killOrder{phase: phase, trigger: tr, done: make(chan error, 1)}
		k.orders <- o
		done = append(done, o.done)
	}
	return done
}

func (k *killer) strike(ctx context.Context, o killOrder) error {
	base, err := count(k.db, "SELECT COUNT(*) FROM transitions")
	if err != nil {
		return err
	}
	switch o.trigger {
	case atRandom:
		time.Sleep(500*time.Millisecond + rand.N(1500*time.Millisecond))
	case midBurst:
		for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
			if n, err := count(k.db, "SELECT COUNT(*) FROM transitions"); err != nil || n > base {
				break
			}
		}
		time.Sleep(rand.N(100 * time.Millisecond))
	}
	rec := killRecord{trigger: o.trigger, phase: o.phase}
	killedAt := time.Now()
	if err := k.serve.kill(); err != nil {
		return err
	}
	rec.queued, _ = count(k.db, "SELECT COUNT(*) FROM commands WHERE status = 'queued'")
	rec.outboxLag, _ = count(k.db, outboxLagQuery)
	rec.transitions, _ = count(k.db, "SELECT COUNT(*) FROM transitions")
	// Frozen until the restarted process's members commit; counted after
	// the restart, so that the API is down only as long as kds takes to
	// start.
	commands, cerr := groupBacklog(ctx, k.admin, "kds-lifecycle", topic.CommandsTopic)
	events, eerr := groupBacklog(ctx, k.admin, "kds-topic-manager", topic.EventsTopic)
	handled, herr := snapshotHandled(k.db)
	if err := errors.Join(cerr, eerr, herr); err != nil {
		return fmt.Errorf("what kds serve will be given again: %w", err)
	}
	if _, err := k.serve.start(); err != nil {
		return err
	}
	k.lastReady = time.Now()
	rec.down = k.lastReady.Sub(killedAt)
	if rec.commandsBeyond, rec.commandsHandled, err = commands.count(ctx, k.kafka, handled.commandHandled); err != nil {
		return err
	}
	if rec.eventsBeyond, rec.eventsDone, err = events.count(ctx, k.kafka, handled.eventCarriedOut); err != nil {
		return err
	}
	k.kills = append(k.kills, rec)
	return nil
}

// TestSIGKILLDuringTheLifecycleLosesNothing drives 200 topics through
// request, approval and, for half of them, deactivation, in a steady
// stream of batches, while kds serve is SIGKILLed and started again at
// chosen points: at random, in the middle of the lifecycle handler
// applying requests, of the topic manager creating topics, and of it
// deleting them. The driver re-issues what it could not confirm. In the
// end every topic is where its commands sent it, in MySQL and in Kafka,
// every command has an outcome and no transition happened twice.
func TestSIGKILLDuringTheLifecycleLosesNothing(t *testing.T) {
	t.Parallel()
	kcat := requireKcat(t)
	begin := time.Now()
	_, kafkaAddr := startBroker(t, "")
	cfg := newServeConfig(t, kafkaAddr)
	serve := newServe(t, "kds serve", cfg)
	serve.mustStart(t)
	db := openDB(t, cfg.db)
	client := apiClient(t, serve.URL, cfg.token)

	names := topicNames("crash", 200)
	deactivated, kept := names[:100], names[100:]
	partitions := func(i int) int32 { return int32(1 + i%4) }

	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Second)
	defer cancel()
	k := newKiller(t, serve, db, kafkaAddr)
	killerDone := make(chan struct{})
	go func() {
		defer close(killerDone)
		k.run(ctx)
	}()
	defer func() {
		cancel()
		close(k.orders)
		<-killerDone
	}()

	// Each phase is a steady stream of batches, with kills during it: at
	// random while commands flow, and in the middle of the handlers
	// working off what piled up while kds serve was down (or, when
	// deactivating, as the first deletions happen). The next phase
	// starts once this one's kills are done and its topics are where its
	// commands sent them.
	var d commandDriver
	same := func(int) *apiclient.Client { return client }
	phase := func(name string, cmds []apiv1.BatchCommand, want map[string]topic.Status, kills ...killTrigger) {
		t.Helper()
		start := time.Now()
		done := k.order(name, kills...)
		if err := d.issuePaced(ctx, same, cmds, 10, 100*time.Millisecond); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, c := range done {
			if err := <-c; err != nil {
				t.Fatalf("%s: killer: %v", name, err)
			}
		}
		if err := waitStatuses(ctx, client, want); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		t.Logf("%s: %d commands done in %v", name, len(cmds), time.Since(start).Round(time.Millisecond))
	}
	phase("request", requests(names, partitions), statusOf(topic.Pending, names), atRandom, midBurst)
	phase("approve", decisions(command.ApproveTopicType, names), statusOf(topic.Active, names), atRandom, midBurst)
	want := statusOf(topic.Active, kept)
	for n, st := range statusOf(topic.Deleted, deactivated) {
		want[n] = st
	}
	phase("deactivate", decisions(command.DeactivateTopicType, deactivated), want, midBurst)

	// Every command settles; the last restart's time to converge counts
	// from when it was ready to when nothing is left to do.
	var queued []query.Command
	eventually(t, "no command still queued", func() (bool, string) {
		var err error
		queued, err = client.Commands(ctx, query.CommandFilter{Status: command.Queued})
		return err == nil && len(queued) == 0, fmt.Sprintf("%d queued, %v", len(queued), err)
	})
	converged := time.Since(k.lastReady)
	if err := waitStatuses(ctx, client, want); err != nil {
		t.Fatal(err)
	}

	active := map[string]int{}
	for i, n := range names[100:] {
		active[n] = int(partitions(100 + i))
	}
	checkKafkaAgrees(t, kcat, []string{kafkaAddr}, active, deactivated)
	isDeactivated := map[string]bool{}
	for _, n := range deactivated {
		isDeactivated[n] = true
	}
	transitions := checkHistories(t, client, names, func(n string) []topic.Action { return lifecycleActions(isDeactivated[n]) })

	if n := mustCount(t, db, "SELECT COUNT(*) FROM (SELECT command_id FROM transitions GROUP BY command_id HAVING COUNT(*) > 1) twice"); n != 0 {
		t.Errorf("%d commands have more than one transition", n)
	}
	if n := mustCount(t, db, "SELECT COUNT(*) FROM commands WHERE status IN ('rejected', 'failed') AND error NOT LIKE '%already%'"); n != 0 {
		t.Errorf("%d commands were rejected or failed for another reason than having taken effect already", n)
	}
	if took := serve.terminate(t); took > 5*time.Second {
		t.Errorf("kds serve took %v to stop after SIGTERM", took)
	}

	// The report.
	redeliveredHandled := 0
	for i, kr := range k.kills {
		t.Logf("kill %d (%s) during %s: %d commands queued, %d outbox rows undelivered, %d transitions recorded; "+
			"redelivered: %d commands (%d already handled), %d events (%d already carried out); the API was down %v",
			i+1, kr.trigger, kr.phase, kr.queued, kr.outboxLag, kr.transitions,
			kr.commandsBeyond, kr.commandsHandled, kr.eventsBeyond, kr.eventsDone, kr.down.Round(time.Millisecond))
		redeliveredHandled += kr.commandsHandled + kr.eventsDone
	}
	rows, err := db.Query("SELECT type, status, COUNT(*) FROM commands GROUP BY type, status ORDER BY type, status")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var logged []string
	total := 0
	for rows.Next() {
		var typ, status string
		var n int
		if err := rows.Scan(&typ, &status, &n); err != nil {
			t.Fatal(err)
		}
		total += n
		logged = append(logged, fmt.Sprintf("%s %s %d", typ, status, n))
	}
	records, repeats := duplicateDeliveries(t, kcat, []string{kafkaAddr}, "kds.commands")
	eventRecords, eventRepeats := duplicateDeliveries(t, kcat, []string{kafkaAddr}, "kds.events")
	t.Logf("commands logged: %d (%s); transitions: %d; kills: %d", total, strings.Join(logged, ", "), transitions, len(k.kills))
	t.Logf("driver: %d batches, %d sent again after no answer or 5xx (%s), %d commands queued, %d refused at once as already done",
		d.batches.Load(), d.retries.Load(), d.retryReasons(), d.queued.Load(), d.already.Load())
	t.Logf("duplicates suppressed: %d redelivered messages already handled; %d re-issued commands rejected by the lifecycle as already done; "+
		"forwarder redeliveries: %d of %d on kds.commands, %d of %d on kds.events",
		redeliveredHandled, mustCount(t, db, "SELECT COUNT(*) FROM commands WHERE status = 'rejected' AND error LIKE '%already%'"),
		repeats, records, eventRepeats, eventRecords)
	t.Logf("converged %v after the last restart; %v in all", converged.Round(time.Millisecond), time.Since(begin).Round(time.Millisecond))
}

// TestTwoServeInstancesShareTheWork runs two kds serve instances against
// one MySQL and one Kafka and drives 200 topics through their lifecycle,
// half of the batches through each API. Both instances' handlers take
// part (each one's /metrics counts what its own lifecycle handler and
// topic manager did, and the consumer groups split the partitions), and
// together they handle every command exactly once. Then one instance is
// SIGKILLed, and the survivor alone carries 50 more topics through.
func TestTwoServeInstancesShareTheWork(t *testing.T) {
	t.Parallel()
	kcat := requireKcat(t)
	_, kafkaAddr := startBroker(t, "")
	cfgA := newServeConfig(t, kafkaAddr)
	a := newServe(t, "kds serve A", cfgA)
	a.mustStart(t)
	b := newServe(t, "kds serve B", cfgA.withHTTPAddr(t))
	b.mustStart(t)
	admin := kafkatest.Admin(t, kafkatest.Config(kafkaAddr))
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	groups, err := waitGroupsSettled(ctx, admin, 2)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range kdsGroups {
		t.Logf("group %s: %v", g, groups[g].Members)
	}
	clientA, clientB := apiClient(t, a.URL, cfgA.token), apiClient(t, b.URL, cfgA.token)

	names := topicNames("shared", 200)
	deactivated, kept := names[:100], names[100:]
	var d commandDriver
	both := func(batch int) *apiclient.Client {
		if batch%2 == 0 {
			return clientA
		}
		return clientB
	}
	lifecycle := func(c func(int) *apiclient.Client, names, deactivated []string) {
		t.Helper()
		steps := []struct {
			cmds []apiv1.BatchCommand
			want map[string]topic.Status
		}{
			{requests(names, func(i int) int32 { return int32(1 + i%3) }), statusOf(topic.Pending, names)},
			{decisions(command.ApproveTopicType, names), statusOf(topic.Active, names)},
			{decisions(command.DeactivateTopicType, deactivated), statusOf(topic.Deleted, deactivated)},
		}
		for _, s := range steps {
			if err := d.issuePaced(ctx, c, s.cmds, 20, 20*time.Millisecond); err != nil {
				t.Fatal(err)
			}
			if err := waitStatuses(ctx, clientA, s.want); err != nil {
				t.Fatal(err)
			}
		}
	}
	lifecycle(both, names, deactivated)

	// What each instance's handlers did, from its own metrics.
	type handled struct{ lifecycle, manager, errors float64 }
	read := func(url string) handled {
		page := metricsPage(t, url, cfgA.token)
		var h handled
		for _, typ := range []string{"RequestTopic", "ApproveTopic", "DeactivateTopic"} {
			h.lifecycle += metric(page, "kds_commands_handled_total", `type="`+typ+`"`, `outcome="applied"`)
		}
		for _, typ := range []string{"ActivateTopic", "DeleteTopic"} {
			h.manager += metric(page, "kds_commands_handled_total", `type="`+typ+`"`, `outcome="applied"`)
		}
		h.errors = metric(page, "kds_handler_errors_total")
		return h
	}
	byA, byB := read(a.URL), read(b.URL)
	records, repeats := duplicateDeliveries(t, kcat, []string{kafkaAddr}, topic.CommandsTopic)
	eventRecords, eventRepeats := duplicateDeliveries(t, kcat, []string{kafkaAddr}, topic.EventsTopic)
	t.Logf("forwarder deliveries: %d of %d records on kds.commands and %d of %d on kds.events repeat an earlier one",
		repeats, records, eventRepeats, eventRecords)
	t.Logf("instance A handled %v lifecycle commands and %v topic manager commands, B %v and %v (handler errors: A %v, B %v)",
		byA.lifecycle, byA.manager, byB.lifecycle, byB.manager, byA.errors, byB.errors)
	if byA.lifecycle == 0 || byB.lifecycle == 0 || byA.manager == 0 || byB.manager == 0 {
		t.Errorf("the work was not shared: A handled %+v, B %+v", byA, byB)
	}
	if got, want := byA.lifecycle+byB.lifecycle, float64(200+200+100); got != want {
		t.Logf("A's metrics:\n%s\nB's metrics:\n%s", grepLines(metricsPage(t, a.URL, cfgA.token), "kds_commands_handled_total{"),
			grepLines(metricsPage(t, b.URL, cfgA.token), "kds_commands_handled_total{"))
		t.Errorf("the lifecycle handlers applied %v commands together, want each of the %v exactly once", got, want)
	}
	if got, want := byA.manager+byB.manager, float64(200+100); got != want {
		t.Errorf("the topic managers carried out %v commands together, want each of the %v exactly once", got, want)
	}

	// Kill B once its groups have committed everything they handled, so
	// that what follows is the survivor's work alone.
	eventually(t, "nothing left uncommitted by the consumer groups", func() (bool, string) {
		c, cerr := groupBacklog(ctx, admin, "kds-lifecycle", topic.CommandsTopic)
		e, eerr := groupBacklog(ctx, admin, "kds-topic-manager", topic.EventsTopic)
		return cerr == nil && eerr == nil && len(c.ranges)+len(e.ranges) == 0, fmt.Sprint(c.ranges, e.ranges, cerr, eerr)
	})
	b.mustKill(t)
	killed := time.Now()
	before := read(a.URL)
	more := topicNames("survivor", 50)
	only := func(int) *apiclient.Client { return clientA }
	lifecycle(only, more, more[:25])
	t.Logf("the survivor carried 50 topics through %v after the kill", time.Since(killed).Round(time.Millisecond))
	// The survivor's groups rebalance once B's members are dropped, and a
	// message handled but not yet committed then is delivered again and
	// counted again ("or found already applied"): so at least, here; the
	// histories below show each applied once.
	after := read(a.URL)
	if got, want := after.lifecycle-before.lifecycle, float64(50+50+25); got < want {
		t.Errorf("the survivor's lifecycle handler applied %v commands after the kill, want %v", got, want)
	}
	if got, want := after.manager-before.manager, float64(50+25); got < want {
		t.Errorf("the survivor's topic manager carried out %v commands after the kill, want %v", got, want)
	}
	// B's dead members are dropped when their sessions time out; then the
	// one member of each group is the survivor's.
	groups, err = waitGroupsSettled(ctx, admin, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range kdsGroups {
		for _, topics := range groups[g].Members {
			for tp, parts := range topics {
				if len(parts) != 8 {
					t.Errorf("group %s: the survivor reads %d of the 8 partitions of %s", g, len(parts), tp)
				}
			}
		}
	}

	active := map[string]int{}
	for i, n := range kept {
		active[n] = 1 + (100+i)%3
	}
	for i, n := range more[25:] {
		active[n] = 1 + (25+i)%3
	}
	checkKafkaAgrees(t, kcat, []string{kafkaAddr}, active, append(slices.Clone(deactivated), more[:25]...))
	isDeactivated := map[string]bool{}
	for _, n := range append(slices.Clone(deactivated), more[:25]...) {
		isDeactivated[n] = true
	}
	transitions := checkHistories(t, clientA, append(slices.Clone(names), more...), func(n string) []topic.Action { return lifecycleActions(isDeactivated[n]) })
	queued, err := clientA.Commands(ctx, query.CommandFilter{Status: command.Queued})
	if err != nil || len(queued) != 0 {
		t.Errorf("commands still queued: %d, %v", len(queued), err)
	}
	t.Logf("%d topics, %d transitions, %d commands issued through the APIs", len(names)+len(more), transitions, d.queued.Load())
}

// grepLines is the lines of s that contain w.
func grepLines(s, w string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, w) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
