package mysql_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/kds-io/kds/adapters/mysql"
	"github.com/kds-io/kds/adapters/mysql/mysqltest"
	"github.com/kds-io/kds/app/command"
	"github.com/kds-io/kds/app/topic"
)

// BenchmarkEnqueue queues a batch of 1,000 commands, the most one API
// request carries, per operation.
func BenchmarkEnqueue(b *testing.B) {
	ctx := context.Background()
	db, _ := mysqltest.NewDatabase(b)
	queue := mysql.NewCommandQueue(db, mysql.NewOutbox(nil))
	batch := make([]command.Command, 1000)
	for b.Loop() {
		for i := range batch {
			batch[i] = newCommand(command.RequestTopicType, fmt.Sprint("bench-", i))
		}
		if err := queue.Enqueue(ctx, batch...); err != nil {
			b.Fatal(err)
		}
	}
}

// TestFailSettlesOnlyQueuedCommands: a command Kafka would never take is
// failed, with the reason and a CommandFailed event for those who wait;
// one failed or applied already stays as it is.
func TestFailSettlesOnlyQueuedCommands(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, _ := mysqltest.NewDatabase(t)
	outbox := mysql.NewOutbox(nil)
	queue, read := mysql.NewCommandQueue(db, outbox), mysql.NewReadModel(db)
	refused, applied := newCommand(command.RequestTopicType, "refused"), newCommand(command.RequestTopicType, "applied")
	if err := queue.Enqueue(ctx, refused, applied); err != nil {
		t.Fatal(err)
	}
	if err := command.NewApplyHandler(mysql.NewTopicRepository(db, outbox), topic.Limits{}).Handle(ctx, applied); err != nil {
		t.Fatal(err)
	}
	lag := func() int64 {
		t.Helper()
		n, err := outbox.Lag(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := lag()
	for _, fail := range []struct {
		cmd    command.Command
		reason string
	}{{refused, "too large"}, {refused, "again"}, {applied, "too large"}, {newCommand(command.ApproveTopicType, "never-logged"), "x"}} {
		if err := queue.Fail(ctx, fail.cmd, fail.reason); err != nil {
			t.Fatal(err)
		}
	}
	if got, _ := read.Command(ctx, refused.ID); got.Status != command.Failed || got.Error != "too large" || got.HandledAt == nil {
		t.Errorf("the refused command: %+v", got)
	}
	if got, _ := read.Command(ctx, applied.ID); got.Status != command.Applied || got.Error != "" {
		t.Errorf("the applied command: %+v", got)
	}
	if n := lag() - before; n != 1 {
		t.Errorf("%d events written, want one CommandFailed", n)
	}
}
