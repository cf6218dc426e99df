package mysql_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/kds-io/kds/adapters/mysql"
	"github.com/kds-io/kds/adapters/mysql/mysqltest"
	"github.com/kds-io/kds/app/command"
	"github.com/kds-io/kds/app/query"
	"github.com/kds-io/kds/app/topic"
)

func newCommand(t command.Type, name string) command.Command {
	return command.Command{Type: t, ID: uuid.NewString(), Topic: name, Actor: "alice", Reason: "because", IssuedAt: time.Now().UTC().Truncate(time.Microsecond),
		Partitions: 2, ReplicationFactor: 1, Configs: map[string]string{"cleanup.policy": "compact"}}
}

func TestQueuedCommandsAreLoggedAndSettled(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, _ := mysqltest.NewDatabase(t)
	outbox := mysql.NewOutbox(nil)
	queue, repo, read := mysql.NewCommandQueue(db, outbox), mysql.NewTopicRepository(db, outbox), mysql.NewReadModel(db)

	req := newCommand(command.RequestTopicType, "orders")
	bad := newCommand(command.ApproveTopicType, "missing")
	if err := queue.Enqueue(ctx, req, bad); err != nil {
		t.Fatal(err)
	}
	got, err := read.Command(ctx, req.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != command.Queued || got.Topic != "orders" || got.Partitions != 2 || got.Configs["cleanup.policy"] != "compact" || !got.IssuedAt.Equal(req.IssuedAt) {
		t.Fatalf("logged %+v", got)
	}
	if lag, err := outbox.Lag(ctx, db); err != nil || lag != 2 {
		t.Fatalf("outbox lag %d, %v; want the 2 queued commands", lag, err)
	}

	apply := command.NewApplyHandler(repo, topic.Limits{})
	if err := apply.Handle(ctx, req); err != nil {
		t.Fatal(err)
	}
	var notFound *topic.NotFoundError
	if err := apply.Handle(ctx, bad); !errors.As(err, &notFound) {
		t.Fatalf("approving a missing topic: %v", err)
	}

	got, _ = read.Command(ctx, req.ID)
	if got.Status != command.Applied || got.HandledAt == nil {
		t.Fatalf("request settled as %+v", got)
	}
	got, _ = read.Command(ctx, bad.ID)
	if got.Status != command.Rejected || got.Error != `topic "missing" not found` {
		t.Fatalf("bad approve settled as %s %q", got.Status, got.Error)
	}
	list, err := read.Commands(ctx, query.CommandFilter{Status: command.Rejected})
	if err != nil || len(list) != 1 || list[0].ID != bad.ID {
		t.Fatalf("rejected commands: %+v, %v", list, err)
	}
	// Two commands, one transition event, one CommandRejected event.
	if lag, _ := outbox.Lag(ctx, db); lag != 4 {
		t.Fatalf("outbox lag %d, want 4", lag)
	}
}

func TestReadModelShowsTopicsAndHistory(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, _ := mysqltest.NewDatabase(t)
	outbox := mysql.NewOutbox(nil)
	repo, read := mysql.NewTopicRepository(db, outbox), mysql.NewReadModel(db)
	apply := command.NewApplyHandler(repo, topic.Limits{})
	run := func(c command.Command) {
		t.Helper()
		if err := apply.Handle(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	run(newCommand(command.RequestTopicType, "news"))
	run(newCommand(command.RequestTopicType, "sports"))
	run(newCommand(command.ApproveTopicType, "news"))
	run(newCommand(command.RejectTopicType, "sports"))
	run(newCommand(command.RequestTopicType, "sports"))

	all, err := read.Topics(ctx, query.TopicFilter{})
	if err != nil || len(all) != 2 || all[0].Name != "news" || all[1].Name != "sports" {
		t.Fatalf("all topics: %+v, %v", all, err)
	}
	approved, _ := read.Topics(ctx, query.TopicFilter{Status: topic.Approved})
	if len(approved) != 1 || approved[0].Name != "news" || approved[0].Partitions != 2 || approved[0].RequestedBy != "alice" {
		t.Fatalf("approved topics: %+v", approved)
	}
	sports, err := read.Topic(ctx, "sports")
	if err != nil || sports.Generation != 2 || sports.Status != topic.Pending {
		t.Fatalf("sports: %+v, %v", sports, err)
	}
	history, err := read.History(ctx, "sports")
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		gen      int
		from, to topic.Status
	}{{1, "", topic.Pending}, {1, topic.Pending, topic.Rejected}, {2, topic.Rejected, topic.Pending}}
	if len(history) != len(want) {
		t.Fatalf("history %+v", history)
	}
	for i, w := range want {
		h := history[i]
		if h.Generation != w.gen || h.From != w.from || h.To != w.to || h.Actor != "alice" || h.Reason != "because" || h.CommandID == "" {
			t.Fatalf("history[%d] = %+v, want %+v", i, h, w)
		}
	}
	var notFound *topic.NotFoundError
	if _, err := read.Topic(ctx, "nope"); !errors.As(err, &notFound) {
		t.Fatalf("unknown topic: %v", err)
	}
	if _, err := read.History(ctx, "nope"); !errors.As(err, &notFound) {
		t.Fatalf("history of unknown topic: %v", err)
	}
	var cmdNotFound *query.CommandNotFoundError
	if _, err := read.Command(ctx, uuid.NewString()); !errors.As(err, &cmdNotFound) {
		t.Fatalf("unknown command: %v", err)
	}
}

func TestPruneKeepsUnforwardedRows(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, _ := mysqltest.NewDatabase(t)
	outbox := mysql.NewOutbox(nil)
	for i := range 5 {
		if err := mysql.WriteHeldOpen(ctx, db, outbox, "kds.events", []byte{'1' + byte(i)}); err != nil {
			t.Fatal(err)
		}
	}
	// The forwarder has delivered up to offset 3.
	if _, err := db.ExecContext(ctx, "INSERT INTO watermill_offsets_kds_outbox (consumer_group, offset_acked, offset_consumed) VALUES (?, 3, 3) "+
		"ON DUPLICATE KEY UPDATE offset_acked = 3, offset_consumed = 3", mysql.ForwarderConsumerGroup); err != nil {
		t.Fatal(err)
	}
	if n, err := outbox.Prune(ctx, db, -time.Hour); err != nil || n != 2 {
		t.Fatalf("pruned %d, %v; want offsets 1 and 2", n, err)
	}
	var left int
	if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM watermill_kds_outbox").Scan(&left); err != nil || left != 3 {
		t.Fatalf("%d rows left, %v; want 3", left, err)
	}
	if n, _ := outbox.Prune(ctx, db, time.Hour); n != 0 {
		t.Fatalf("pruned %d rows younger than the retention", n)
	}
}
