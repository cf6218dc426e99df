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

// TestMigrationEndsSubscriptionsOfDeletedGenerations: migration 11 ends the
// subscriptions that generations deleted before the topic manager ended
// them left behind, and keeps the live ones.
func TestMigrationEndsSubscriptionsOfDeletedGenerations(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, err := mysql.Open(ctx, mysqltest.NewConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := mysql.Migrate(ctx, db, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		"INSERT INTO topics (name, generation, status, partitions, replication_factor, configs, requested_by, requested_at, updated_at) VALUES " +
			"('gone', 1, 'deleted', 1, 1, '{}', 'a', NOW(), NOW()), ('again', 2, 'active', 1, 1, '{}', 'a', NOW(), NOW()), ('live', 1, 'active', 1, 1, '{}', 'a', NOW(), NOW())",
		"INSERT INTO subscriptions (consumer_id, topic, generation, consumer_group, from_beginning, created_by, created_at) VALUES " +
			"('c1', 'gone', 1, 'g1', FALSE, 'a', NOW()), ('c1', 'again', 1, 'g2', FALSE, 'a', NOW()), ('c2', 'again', 2, 'g3', FALSE, 'a', NOW()), ('c1', 'live', 1, 'g4', FALSE, 'a', NOW())",
		"DELETE FROM schema_migrations WHERE version_id = 11",
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	if err := mysql.Migrate(ctx, db, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	rows, err := db.QueryContext(ctx, "SELECT CONCAT(consumer_id, '/', topic) FROM subscriptions ORDER BY 1")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var left []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		left = append(left, s)
	}
	if strings.Join(left, " ") != "c1/live c2/again" {
		t.Fatalf("subscriptions after migration 11: %v, want c1/live c2/again", left)
	}
}
