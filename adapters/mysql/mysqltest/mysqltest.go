// Package mysqltest gives each test its own migrated database on the MySQL
// or MariaDB server named by KDS_TEST_MYSQL_HOST, _PORT, _USER and _PASSWORD
// (default root without a password on 127.0.0.1:3306). Tests skip when the
// server cannot be reached, unless KDS_TEST_REQUIRE_MYSQL=1, as in CI.
package mysqltest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/kds-io/kds/adapters/mysql"
)

// ServerConfig is the test server, without a database.
func ServerConfig() mysql.Config {
	port, err := strconv.Atoi(env("KDS_TEST_MYSQL_PORT", "3306"))
	if err != nil {
		port = 0
	}
	return mysql.Config{
		Host:            env("KDS_TEST_MYSQL_HOST", "127.0.0.1"),
		Port:            port,
		User:            env("KDS_TEST_MYSQL_USER", "root"),
		Password:        os.Getenv("KDS_TEST_MYSQL_PASSWORD"),
		MaxOpenConns:    32,
		ConnectTimeout:  3 * time.Second,
		ConnMaxLifetime: time.Hour,
	}
}

// NewConfig creates an empty database for the test, dropped when it ends.
func NewConfig(t testing.TB) mysql.Config {
	t.Helper()
	c := ServerConfig()
	c.Database = "kds_test_" + randomSuffix()
	ctx := context.Background()
	if err := mysql.CreateDatabase(ctx, c); err != nil {
		if os.Getenv("KDS_TEST_REQUIRE_MYSQL") == "1" {
			t.Fatalf("MySQL is required (KDS_TEST_REQUIRE_MYSQL=1): %v", err)
		}
		t.Skipf("skipping: no MySQL for tests (%v); set KDS_TEST_MYSQL_HOST, _PORT, _USER, _PASSWORD", err)
	}
	t.Cleanup(func() {
		admin := c
		db, err := mysql.Open(ctx, withoutDatabase(admin))
		if err != nil {
			t.Logf("drop test database %s: %v", c.Database, err)
			return
		}
		defer db.Close()
		if _, err := db.ExecContext(ctx, "DROP DATABASE IF EXISTS `"+c.Database+"`"); err != nil {
			t.Logf("drop test database %s: %v", c.Database, err)
		}
	})
	return c
}

// NewDatabase creates and migrates a database for the test.
func NewDatabase(t testing.TB) (*sql.DB, mysql.Config) {
	t.Helper()
	c := NewConfig(t)
	ctx := context.Background()
	db, err := mysql.Open(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := mysql.Migrate(ctx, db, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	return db, c
}

func withoutDatabase(c mysql.Config) mysql.Config {
	c.Database = ""
	return c
}

func randomSuffix() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func env(key, fallback string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return fallback
}

// OutboxMessage is a message waiting in the outbox: the Kafka topic it is
// for and its payload.
type OutboxMessage struct {
	Destination string
	Payload     []byte
}

// Outbox reads the messages waiting in the outbox of db, in the order the
// forwarder will publish them.
func Outbox(t testing.TB, db *sql.DB) []OutboxMessage {
	t.Helper()
	rows, err := db.QueryContext(context.Background(), "SELECT payload FROM watermill_"+mysql.OutboxTopic+" ORDER BY `offset`")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []OutboxMessage
	for rows.Next() {
		var raw []byte
		if err := rows.Scan(&raw); err != nil {
			t.Fatal(err)
		}
		// Watermill's forwarder envelope.
		var envelope struct {
			DestinationTopic string `json:"destination_topic"`
			Payload          []byte `json:"payload"`
		}
		if err := json.Unmarshal(raw, &envelope); err != nil {
			t.Fatalf("outbox row: %v", err)
		}
		out = append(out, OutboxMessage{Destination: envelope.DestinationTopic, Payload: envelope.Payload})
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
