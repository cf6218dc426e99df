package mysql_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	wsql "github.com/ThreeDotsLabs/watermill-sql/v4/pkg/sql"
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/kds-io/kds/adapters/mysql"
	"github.com/kds-io/kds/adapters/mysql/mysqltest"
)

// recorder is a message.Publisher that remembers what it was given.
type recorder struct {
	mu   sync.Mutex
	seen map[string]int
	// block, when set, fails every publish, as Kafka being down would.
	block bool
}

func (r *recorder) Publish(_ string, msgs ...*message.Message) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.block {
		return fmt.Errorf("kafka: client has run out of available brokers")
	}
	for _, m := range msgs {
		r.seen[string(m.Payload)]++
	}
	return nil
}

func (r *recorder) Close() error { return nil }

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.seen)
}

func startForwarder(t *testing.T, db *sql.DB, o *mysql.Outbox, pub message.Publisher) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		o.Forward(ctx, db, mysql.ForwarderConfig{PollInterval: 5 * time.Millisecond, BatchSize: 100}, pub)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
}

func writeHeldOpen(ctx context.Context, db *sql.DB, o *mysql.Outbox, payload string) error {
	return mysql.WriteHeldOpen(ctx, db, o, "kds.events", []byte(`"`+payload+`"`))
}

// writeConcurrently has writers goroutines write perWriter messages each,
// every one in a transaction held open a while, and fails t on any error.
// Payloads are prefix + "w<writer>-m<message>".
func writeConcurrently(t *testing.T, ctx context.Context, db *sql.DB, o *mysql.Outbox, writers, perWriter int, prefix string) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, writers*perWriter)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWriter {
				errs <- writeHeldOpen(ctx, db, o, fmt.Sprintf("%sw%d-m%d", prefix, w, i))
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

// waitForwarded polls until rec has seen want distinct messages or 30s
// pass; the caller checks what arrived.
func waitForwarded(rec *recorder, want int) {
	deadline := time.Now().Add(30 * time.Second)
	for rec.count() < want && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
}

// TestConcurrentOutboxWritersLoseNothing is the regression test for the
// loss DESIGN.md §6 describes: many writers, many rounds, a forwarder
// draining all the while; every message must arrive.
func TestConcurrentOutboxWritersLoseNothing(t *testing.T) {
	t.Parallel()
	db, _ := mysqltest.NewDatabase(t)
	o := mysql.NewOutbox(nil)
	rec := &recorder{seen: map[string]int{}}
	startForwarder(t, db, o, rec)

	// KDS_OUTBOX_STRESS_ROUNDS runs longer, as before a change to the outbox.
	rounds := 40
	if v, err := strconv.Atoi(os.Getenv("KDS_OUTBOX_STRESS_ROUNDS")); err == nil && v > 0 {
		rounds = v
	}
	const writers, perWriter = 32, 5
	ctx := context.Background()
	for round := range rounds {
		writeConcurrently(t, ctx, db, o, writers, perWriter, fmt.Sprintf("r%d-", round))
	}
	want := rounds * writers * perWriter
	waitForwarded(rec, want)
	if got := rec.count(); got != want {
		t.Fatalf("forwarded %d distinct messages of %d written: the outbox lost %d", got, want, want-got)
	}
}

// TestTwoForwardersDeliverEachMessageOnce: two forwarders of one outbox,
// as two kds serve run, take turns a batch at a time while writers keep
// writing: every message is published, and published once.
func TestTwoForwardersDeliverEachMessageOnce(t *testing.T) {
	t.Parallel()
	db, _ := mysqltest.NewDatabase(t)
	o := mysql.NewOutbox(nil)
	rec := &recorder{seen: map[string]int{}}
	startForwarder(t, db, o, rec)
	startForwarder(t, db, mysql.NewOutbox(nil), rec)
	const writers, perWriter = 8, 40
	writeConcurrently(t, context.Background(), db, o, writers, perWriter, "")
	waitForwarded(rec, writers*perWriter)
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.seen) != writers*perWriter {
		t.Fatalf("forwarded %d distinct messages of %d written", len(rec.seen), writers*perWriter)
	}
	for payload, n := range rec.seen {
		if n != 1 {
			t.Errorf("%s published %d times", payload, n)
		}
	}
}

// TestOutboxWritesEachTopicsRunInOneInsert: a batch of commands is written
// with one statement, not one per command, while every other outbox writer
// waits for outbox_lock.
func TestOutboxWritesEachTopicsRunInOneInsert(t *testing.T) {
	t.Parallel()
	db, _ := mysqltest.NewDatabase(t)
	var topics []string
	for range 500 {
		topics = append(topics, "kds.commands")
	}
	for range 500 {
		topics = append(topics, "kds.events")
	}
	n, err := mysql.OutboxInserts(context.Background(), db, mysql.NewOutbox(nil), topics...)
	if err != nil || n != 2 {
		t.Fatalf("1,000 messages for 2 topics took %d INSERTs, %v; want 2", n, err)
	}
}

// TestWritersDoNotWaitForAStuckForwarder: while Kafka refuses everything the
// forwarder holds its batch, and writers must still commit promptly.
func TestWritersDoNotWaitForAStuckForwarder(t *testing.T) {
	t.Parallel()
	db, _ := mysqltest.NewDatabase(t)
	o := mysql.NewOutbox(nil)
	rec := &recorder{seen: map[string]int{}, block: true}
	if err := writeHeldOpen(context.Background(), db, o, "first"); err != nil {
		t.Fatal(err)
	}
	startForwarder(t, db, o, rec)
	time.Sleep(100 * time.Millisecond) // let the forwarder take the row and start failing
	for i := range 20 {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		err := writeHeldOpen(ctx, db, o, fmt.Sprint("later", i))
		cancel()
		if err != nil {
			t.Fatalf("write %d while the forwarder is stuck: %v", i, err)
		}
	}
	rec.mu.Lock()
	rec.block = false
	rec.mu.Unlock()
	deadline := time.Now().Add(20 * time.Second)
	for rec.count() < 21 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if rec.count() != 21 {
		t.Fatalf("forwarded %d of 21 once Kafka was back", rec.count())
	}
}

// TestForwardersOfANewGroupTakeTurnsFromTheFirstRead is the regression
// test for the duplicates DESIGN.md §6 describes: two forwarders of a
// consumer group that has never read the outbox read it at the same time,
// and the first row must still be delivered once.
func TestForwardersOfANewGroupTakeTurnsFromTheFirstRead(t *testing.T) {
	t.Parallel()
	db, _ := mysqltest.NewDatabase(t)
	o := mysql.NewOutbox(nil)
	ctx := context.Background()
	// A row still being written holds up every read that reaches it, so
	// both forwarders are reading before either can deliver anything.
	held, err := mysql.BeginOutboxWrite(ctx, db, o, "kds.events", []byte(`"first"`))
	if err != nil {
		t.Fatal(err)
	}
	defer held.Rollback() //nolint:errcheck // ends the write if the test stops before its commit
	var forwarders [2]<-chan *message.Message
	for i := range forwarders {
		sub, err := o.GroupSubscriber(db, mysql.ForwarderConfig{PollInterval: 5 * time.Millisecond, BatchSize: 100}, "another-forwarder")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { sub.Close() })
		if forwarders[i], err = sub.Subscribe(ctx, mysql.OutboxTopic); err != nil {
			t.Fatal(err)
		}
	}
	waitForWaitingForwarders(t, db, 2)
	if err := held.Commit(); err != nil {
		t.Fatal(err)
	}
	first, payload := receiveForwarded(t, forwarders)
	if payload != `"first"` {
		t.Fatalf("first delivery %s, want \"first\"", payload)
	}
	// The other forwarder now waits for the one that delivered: for its
	// turn to read, or to record as consumed the rows it has read.
	waitForWaitingForwarders(t, db, 1)
	first.Ack()
	// A row written now is read only after the other forwarder's turn.
	if err := writeHeldOpen(ctx, db, o, "last"); err != nil {
		t.Fatal(err)
	}
	for {
		m, payload := receiveForwarded(t, forwarders)
		m.Ack()
		if payload == `"last"` {
			return
		}
		t.Errorf("delivered %s again", payload)
	}
}

// waitForWaitingForwarders waits until n statements of the forwarders are
// running in the test's database, which here means waiting for a lock.
func waitForWaitingForwarders(t *testing.T, db *sql.DB, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var running int
		err := db.QueryRow("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE DB = DATABASE() " +
			"AND ID <> CONNECTION_ID() AND COMMAND = 'Query' AND INFO LIKE '%watermill_offsets_kds_outbox%'").Scan(&running)
		if err != nil {
			t.Fatal(err)
		}
		if running == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d statements of the forwarders running, want %d", running, n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// receiveForwarded returns the next message of any of forwarders and the
// payload it carries for Kafka.
func receiveForwarded(t *testing.T, forwarders [2]<-chan *message.Message) (*message.Message, string) {
	t.Helper()
	var m *message.Message
	select {
	case m = <-forwarders[0]:
	case m = <-forwarders[1]:
	case <-time.After(10 * time.Second):
		t.Fatal("no delivery in 10s")
	}
	var envelope struct{ Payload []byte }
	if err := json.Unmarshal(m.Payload, &envelope); err != nil {
		t.Fatal(err)
	}
	return m, string(envelope.Payload)
}

// TestClosingTheOutboxSubscriberClosesItsSubscriptions: once Close has
// returned, every channel the subscriber gave out is closed, as Watermill's
// Subscriber promises and its universal tests check. watermill-sql's
// subscriber lets Close return just before it closes them.
func TestClosingTheOutboxSubscriberClosesItsSubscriptions(t *testing.T) {
	t.Parallel()
	db, _ := mysqltest.NewDatabase(t)
	o := mysql.NewOutbox(nil)
	ctx := context.Background()
	for i := range 200 {
		sub, err := o.GroupSubscriber(db, mysql.ForwarderConfig{PollInterval: time.Millisecond, BatchSize: 100}, "closing")
		if err != nil {
			t.Fatal(err)
		}
		msgs, err := sub.Subscribe(ctx, mysql.OutboxTopic)
		if err != nil {
			t.Fatal(err)
		}
		if err := sub.Close(); err != nil {
			t.Fatal(err)
		}
		select {
		case _, open := <-msgs:
			if open {
				t.Fatal("a message after Close")
			}
		default:
			t.Fatalf("subscription %d still open after Close returned", i)
		}
	}
}

// TestWatermillSQLDeliversAgainPastTheAckDeadline pins a fact of
// watermill-sql (DESIGN.md §6): a message that has waited AckDeadline for
// its acknowledgement is read and delivered again, though its first copy
// is still out and may yet be acknowledged.
func TestWatermillSQLDeliversAgainPastTheAckDeadline(t *testing.T) {
	t.Parallel()
	db, _ := mysqltest.NewDatabase(t)
	ctx := context.Background()
	if err := writeHeldOpen(ctx, db, mysql.NewOutbox(nil), "slow"); err != nil {
		t.Fatal(err)
	}
	ackDeadline := 50 * time.Millisecond
	sub, err := wsql.NewSubscriber(wsql.BeginnerFromStdSQL(db), wsql.SubscriberConfig{
		ConsumerGroup:  "slow-consumer",
		SchemaAdapter:  wsql.DefaultMySQLSchema{},
		OffsetsAdapter: wsql.DefaultMySQLOffsetsAdapter{},
		AckDeadline:    &ackDeadline,
		PollInterval:   5 * time.Millisecond,
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	msgs, err := sub.Subscribe(ctx, mysql.OutboxTopic)
	if err != nil {
		t.Fatal(err)
	}
	receive := func() *message.Message {
		select {
		case m := <-msgs:
			return m
		case <-time.After(10 * time.Second):
			t.Fatal("no delivery in 10s")
			return nil
		}
	}
	first := receive()
	again := receive()
	if again.UUID != first.UUID {
		t.Fatalf("delivered %s while %s was out, want %[2]s again", again.UUID, first.UUID)
	}
	first.Ack()
	again.Ack()
}

// TestForwarderRetriesLostLockContestsAtOnce: a read of the outbox that
// lost a deadlock or timed out waiting for a lock (another forwarder's
// turn) is tried again at once; other failures wait.
func TestForwarderRetriesLostLockContestsAtOnce(t *testing.T) {
	t.Parallel()
	db, _ := mysqltest.NewDatabase(t)
	cases := []struct {
		name string
		err  error
		want time.Duration
	}{
		{"deadlock", deadlock(t, db), 0},
		{"lock wait timeout", lockWaitTimeout(t, db), 0},
		{"other", db.QueryRow("SELECT * FROM no_such_table").Err(), time.Second},
		{"shutdown", context.Canceled, 0},
	}
	for _, c := range cases {
		// Wrapped as watermill-sql's subscriber wraps it.
		err := fmt.Errorf("could not query message: %w", c.err)
		if got := mysql.ForwarderRetryDelay(err); got != c.want {
			t.Errorf("%s (%v): retry in %v, want %v", c.name, c.err, got, c.want)
		}
	}
}

// lockWaitTimeout is the error of a locking read that waited too long.
func lockWaitTimeout(t *testing.T, db *sql.DB) error {
	t.Helper()
	ctx := context.Background()
	holder, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Rollback() //nolint:errcheck // only releases the lock
	if _, err := holder.ExecContext(ctx, "SELECT id FROM outbox_lock WHERE id = 1 FOR UPDATE"); err != nil {
		t.Fatal(err)
	}
	_, err = db.ExecContext(ctx, "SET STATEMENT innodb_lock_wait_timeout = 1 FOR SELECT id FROM outbox_lock WHERE id = 1 FOR UPDATE")
	if err == nil {
		t.Fatal("a locked row was read without waiting")
	}
	return err
}

// deadlock is the error of the transaction InnoDB chose as the victim of a
// deadlock.
func deadlock(t *testing.T, db *sql.DB) error {
	t.Helper()
	ctx := context.Background()
	rows := []string{
		"SELECT id FROM outbox_lock WHERE id = 1 FOR UPDATE",
		"SELECT consumer_group FROM watermill_offsets_kds_outbox WHERE consumer_group = 'kds-forwarder' FOR UPDATE",
	}
	txs := make([]*sql.Tx, 2)
	for i := range txs {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback() //nolint:errcheck // only releases the locks
		if _, err := tx.ExecContext(ctx, rows[i]); err != nil {
			t.Fatal(err)
		}
		txs[i] = tx
	}
	// Each transaction now wants the row the other holds.
	errs := make(chan error, 2)
	for i, tx := range txs {
		go func() {
			_, err := tx.ExecContext(ctx, rows[1-i])
			if err != nil {
				_ = tx.Rollback()
			}
			errs <- err
		}()
	}
	err := errors.Join(<-errs, <-errs)
	if err == nil {
		t.Fatal("no deadlock")
	}
	return err
}

// TestOldestUndeliveredMessage is how long the oldest row has waited for
// the forwarder: the outbox is stuck when it grows.
func TestOldestUndeliveredMessage(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, _ := mysqltest.NewDatabase(t)
	o := mysql.NewOutbox(nil)
	oldest := func() time.Duration {
		t.Helper()
		d, err := o.Oldest(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	if d := oldest(); d != 0 {
		t.Fatalf("an empty outbox's oldest message: %v", d)
	}
	for _, p := range []string{"first", "second"} {
		if err := writeHeldOpen(ctx, db, o, p); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.ExecContext(ctx, "UPDATE watermill_kds_outbox SET created_at = created_at - INTERVAL 90 SECOND ORDER BY `offset` LIMIT 1"); err != nil {
		t.Fatal(err)
	}
	if d := oldest(); d < 90*time.Second || d > 120*time.Second {
		t.Fatalf("oldest undelivered message %v, want the first one's 90s", d)
	}
	rec := &recorder{seen: map[string]int{}}
	startForwarder(t, db, o, rec)
	deadline := time.Now().Add(20 * time.Second)
	for oldest() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("still %v old once the forwarder delivered %d", oldest(), rec.count())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// panickingOnce is a publisher whose first Publish panics, as a bug in
// what records a refused message would.
type panickingOnce struct {
	recorder
	panicked bool
}

func (p *panickingOnce) Publish(topic string, msgs ...*message.Message) error {
	p.mu.Lock()
	first := !p.panicked
	p.panicked = true
	p.mu.Unlock()
	if first {
		panic("recording the refusal failed")
	}
	return p.recorder.Publish(topic, msgs...)
}

// TestAPanicWhileForwardingIsRetried: the batch whose publishing panicked
// is read and published again, and the process goes on.
func TestAPanicWhileForwardingIsRetried(t *testing.T) {
	t.Parallel()
	db, _ := mysqltest.NewDatabase(t)
	o := mysql.NewOutbox(nil)
	pub := &panickingOnce{recorder: recorder{seen: map[string]int{}}}
	if err := writeHeldOpen(context.Background(), db, o, "after-a-panic"); err != nil {
		t.Fatal(err)
	}
	startForwarder(t, db, o, pub)
	deadline := time.Now().Add(20 * time.Second)
	for pub.count() < 1 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if pub.count() != 1 {
		t.Fatal("the message was not forwarded after the panic")
	}
}
