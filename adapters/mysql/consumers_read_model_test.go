package mysql_test

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/kds-io/kds/adapters/mysql"
	"github.com/kds-io/kds/adapters/mysql/mysqltest"
	"github.com/kds-io/kds/app/subscription"
)

// TestConsumersReadsOnlyTheConsumersAsked: looking up one consumer reads
// its own processes' attachments, not those of every process.
func TestConsumersReadsOnlyTheConsumersAsked(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, c := mysqltest.NewDatabase(t)
	repo := mysql.NewSubscriptionRepository(db, mysql.NewOutbox(nil))
	now := time.Now().UTC()
	busy := make([]string, 2000)
	for i := range busy {
		busy[i] = fmt.Sprint("busy-", i)
	}
	for _, in := range []subscription.Instance{
		{ID: "busy-1", ConsumerID: "busy", Host: "h", PID: 1, Attached: busy, LastSeen: now},
		{ID: "quiet-1", ConsumerID: "quiet", Host: "h", PID: 2, Attached: []string{"news"}, LastSeen: now},
	} {
		if err := repo.Report(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	// One connection, so that its session counts every row the read model reads.
	c.MaxOpenConns = 1
	one, err := mysql.Open(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	defer one.Close()
	read := mysql.NewReadModel(one)

	before := rowsRead(t, one)
	got, err := read.Consumers(ctx, "quiet")
	if err != nil || len(got) != 1 || len(got[0].Instances) != 1 || !slices.Equal(got[0].Instances[0].Attached, []string{"news"}) {
		t.Fatalf("consumer quiet: %+v, %v", got, err)
	}
	if n := rowsRead(t, one) - before; n > 10 {
		t.Errorf("looking up one consumer read %d rows", n)
	}
	all, err := read.Consumers(ctx)
	if err != nil || len(all) != 2 || all[0].ID != "busy" || len(all[0].Instances[0].Attached) != len(busy) || all[1].ID != "quiet" {
		t.Fatalf("all consumers: %d, %v", len(all), err)
	}
}

// rowsRead is how many table rows db's only connection has read.
func rowsRead(t *testing.T, db *sql.DB) int {
	t.Helper()
	var (
		name string
		n    int
	)
	if err := db.QueryRow("SHOW SESSION STATUS LIKE 'Rows_read'").Scan(&name, &n); err != nil {
		t.Fatal(err)
	}
	return n
}
