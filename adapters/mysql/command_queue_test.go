package mysql_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/kds-io/kds/adapters/mysql"
	"github.com/kds-io/kds/adapters/mysql/mysqltest"
	"github.com/kds-io/kds/app/command"
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
