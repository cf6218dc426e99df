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

// TestLocksBelongToTheirDatabase: a server's named locks are shared by all
// its databases, but kds's are not: the same lock is taken at once in two
// databases of one server, however long their names.
func TestLocksBelongToTheirDatabase(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	one, _ := mysqltest.NewDatabase(t)
	other, _ := mysqltest.NewDatabase(t)
	for _, name := range []string{"kds.reconcile", "kds.a-lock-whose-name-is-long-enough-to-pass-mysql's-64-characters"} {
		release, ok, err := mysql.TryLock(ctx, one, name)
		if err != nil || !ok {
			t.Fatalf("%s in one database: %v, %v", name, ok, err)
		}
		if _, ok, err := mysql.TryLock(ctx, one, name); err != nil || ok {
			t.Fatalf("%s again in the same database: ok %v, %v", name, ok, err)
		}
		releaseOther, ok, err := mysql.TryLock(ctx, other, name)
		if err != nil || !ok {
			t.Fatalf("%s in another database while held in the first: ok %v, %v", name, ok, err)
		}
		releaseOther()
		release()
	}
}
