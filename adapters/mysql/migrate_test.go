package mysql_test

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/kds-io/kds/adapters/mysql"
	"github.com/kds-io/kds/adapters/mysql/mysqltest"
)

func TestMigrateConcurrentlyAndAgain(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := mysqltest.NewConfig(t)
	db, err := mysql.Open(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = mysql.Migrate(ctx, db, slog.New(slog.DiscardHandler))
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := mysql.Migrate(ctx, db, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatalf("migrating an up-to-date database: %v", err)
	}
	var n int
	if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM outbox_lock").Scan(&n); err != nil || n != 1 {
		t.Fatalf("outbox_lock has %d rows, %v", n, err)
	}
}

func TestOpenSaysWhereItFailed(t *testing.T) {
	t.Parallel()
	c := mysqltest.ServerConfig()
	c.Host, c.Port = "127.0.0.1", 1 // nothing listens there
	c.Database = "kds"
	c.Password = "s3cret-password"
	_, err := mysql.Open(context.Background(), c)
	if err == nil {
		t.Fatal("Open succeeded against a closed port")
	}
	msg := err.Error()
	for _, want := range []string{"cannot reach MySQL at 127.0.0.1:1", `database "kds"`} {
		if !strings.Contains(msg, want) {
			t.Errorf("%q does not say %q", msg, want)
		}
	}
	if strings.Contains(msg, "s3cret-password") {
		t.Errorf("the error reveals the password: %s", msg)
	}
}
