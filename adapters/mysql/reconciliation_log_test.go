package mysql_test

import (
	"context"
	"testing"
	"time"

	"github.com/kds-io/kds/adapters/mysql"
	"github.com/kds-io/kds/adapters/mysql/mysqltest"
	"github.com/kds-io/kds/app/command"
)

func TestReconciliationsAreKeptAndTheLatestRead(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, _ := mysqltest.NewDatabase(t)
	log, read := mysql.NewReconciliationLog(db), mysql.NewReadModel(db)
	if _, ok, err := read.LatestReconciliation(ctx); err != nil || ok {
		t.Fatalf("before any: ok %v, %v", ok, err)
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	for i := range 60 {
		r := command.Reconciliation{StartedAt: now, FinishedAt: now.Add(time.Duration(i) * time.Millisecond), Checked: i,
			Findings: []command.Finding{{Topic: "t", Kind: command.Orphan, Detail: "d"}}}
		if err := log.Record(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	got, ok, err := read.LatestReconciliation(ctx)
	if err != nil || !ok || got.Checked != 59 || len(got.Findings) != 1 || got.Findings[0].Kind != command.Orphan {
		t.Fatalf("latest: %+v, %v, %v", got, ok, err)
	}
	var kept int
	if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM reconciliations").Scan(&kept); err != nil || kept != 50 {
		t.Fatalf("%d reconciliations kept, %v; want 50", kept, err)
	}
}
