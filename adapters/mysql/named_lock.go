package mysql

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"time"
)

// TryLock takes a named lock that lasts as long as the returned release is
// not called, on a connection of its own; it reports false at once when
// another process holds it.
func TryLock(ctx context.Context, db *sql.DB, name string) (release func(), ok bool, err error) {
	return namedLock(ctx, db, name, 0)
}

// namedLock takes a named lock on a connection of its own, waiting up to
// wait for another process to release it; it reports false when that
// process held it all that time. The lock lasts until release is called,
// or the connection ends.
func namedLock(ctx context.Context, db *sql.DB, name string, wait time.Duration) (release func(), ok bool, err error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("take lock %s: %w", name, err)
	}
	var database sql.NullString
	if err := conn.QueryRowContext(ctx, "SELECT DATABASE()").Scan(&database); err != nil {
		conn.Close()
		return nil, false, fmt.Errorf("take lock %s: %w", name, err)
	}
	scoped := lockName(database.String, name)
	var got sql.NullInt64
	if err := conn.QueryRowContext(ctx, "SELECT GET_LOCK(?, ?)", scoped, wait.Seconds()).Scan(&got); err != nil {
		conn.Close()
		return nil, false, fmt.Errorf("take lock %s: %w", name, err)
	}
	if got.Int64 != 1 {
		conn.Close()
		return nil, false, nil
	}
	return func() {
		_, _ = conn.ExecContext(context.WithoutCancel(ctx), "SELECT RELEASE_LOCK(?)", scoped)
		conn.Close()
	}, true, nil
}

// maxLockName is the longest lock name MySQL takes.
const maxLockName = 64

// lockName is name within database. A server's named locks are shared by
// all its databases, so kds installations on one server would otherwise
// take turns, one's reconciliation skipped while another's runs. A name
// longer than MySQL takes is shortened to a hash of itself.
func lockName(database, name string) string {
	scoped := database + "/" + name
	if len(scoped) <= maxLockName {
		return scoped
	}
	sum := sha256.Sum256([]byte(scoped))
	return "kds/" + hex.EncodeToString(sum[:])[:maxLockName-len("kds/")]
}

// NamedLock is a MySQL named lock that processes take turns with
// (access.Lock).
type NamedLock struct {
	db   *sql.DB
	name string
	wait time.Duration
}

// NewNamedLock is the lock name in db; Hold waits up to wait for it.
func NewNamedLock(db *sql.DB, name string, wait time.Duration) NamedLock {
	return NamedLock{db: db, name: name, wait: wait}
}

// Hold runs f while holding the lock.
func (l NamedLock) Hold(ctx context.Context, f func() error) error {
	release, ok, err := namedLock(ctx, l.db, l.name, l.wait)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("lock %s: another process held it for %s", l.name, l.wait)
	}
	defer release()
	return f()
}
