package mysql_test

import (
	"context"
	"testing"

	"github.com/kds-io/kds/adapters/mysql"
	"github.com/kds-io/kds/adapters/mysql/mysqltest"
)

func TestTryLockLetsOneHolderAtATime(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, c := mysqltest.NewDatabase(t)
	name := "kds.test-lock." + c.Database
	release, ok, err := mysql.TryLock(ctx, db, name)
	if err != nil || !ok {
		t.Fatalf("first lock: %v, %v", ok, err)
	}
	if _, ok, err := mysql.TryLock(ctx, db, name); err != nil || ok {
		t.Fatalf("second lock while held: ok %v, %v", ok, err)
	}
	release()
	again, ok, err := mysql.TryLock(ctx, db, name)
	if err != nil || !ok {
		t.Fatalf("lock after release: %v, %v", ok, err)
	}
	again()
}
