package mysql_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/kds-io/kds/adapters/mysql"
	"github.com/kds-io/kds/adapters/mysql/mysqltest"
	"github.com/kds-io/kds/app/auth"
	"github.com/kds-io/kds/app/auth/authtest"
)

func TestTokensInMySQL(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, _ := mysqltest.NewDatabase(t)
	tokens := auth.NewTokens(mysql.NewTokenStore(db), "")
	root := auth.Principal{Name: "root", Role: auth.Admin}

	raw, tok, err := tokens.Create(ctx, root, "ci-bot", auth.Consumer)
	if err != nil {
		t.Fatal(err)
	}
	p, err := tokens.Authenticate(ctx, raw)
	if err != nil || p.Name != "ci-bot" || p.Role != auth.Consumer {
		t.Fatalf("authenticate: %+v, %v", p, err)
	}
	list, err := tokens.List(ctx, root)
	if err != nil || len(list) != 1 || list[0].ID != tok.ID || list[0].LastUsed == nil || list[0].CreatedBy != "root" {
		t.Fatalf("list: %+v, %v", list, err)
	}
	var stored []byte
	if err := db.QueryRowContext(ctx, "SELECT hash FROM tokens WHERE id = ?", tok.ID).Scan(&stored); err != nil || string(stored) == raw {
		t.Fatal("the token is stored in the clear")
	}
	if err := tokens.Revoke(ctx, root, tok.ID); err != nil {
		t.Fatal(err)
	}
	if err := tokens.Revoke(ctx, root, tok.ID); err != nil {
		t.Fatalf("revoking twice: %v", err)
	}
	if _, err := tokens.Authenticate(ctx, raw); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Fatalf("revoked token still works: %v", err)
	}
	if err := tokens.Revoke(ctx, root, "000000000000"); !errors.Is(err, auth.ErrTokenNotFound) {
		t.Fatalf("revoking an unknown token: %v", err)
	}
}

func TestTokenStoreMeetsTheContract(t *testing.T) {
	t.Parallel()
	authtest.TokenStoreContract(t, func(t *testing.T) auth.TokenStore {
		db, _ := mysqltest.NewDatabase(t)
		return mysql.NewTokenStore(db)
	})
}

// TestRevokeReportsAFailedCheck: revoking a token that is already revoked
// changes no row, so Revoke then checks that the token exists; when that
// check fails, Revoke must say so rather than report success.
func TestRevokeReportsAFailedCheck(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, c := mysqltest.NewDatabase(t)
	store := mysql.NewTokenStore(db)
	tok := auth.Token{ID: "0123456789ab", Name: "ci-bot", Role: auth.Consumer, CreatedBy: "root", CreatedAt: time.Now().UTC()}
	if err := store.Add(ctx, tok, [32]byte{}); err != nil {
		t.Fatal(err)
	}
	if err := store.Revoke(ctx, tok.ID, time.Now()); err != nil {
		t.Fatal(err)
	}

	// Hold the token's row, so that the second revocation's UPDATE waits...
	holder, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Rollback() //nolint:errcheck // only releases the row
	if _, err := holder.ExecContext(ctx, "SELECT id FROM tokens WHERE id = ? FOR UPDATE", tok.ID); err != nil {
		t.Fatal(err)
	}
	revoked := make(chan error, 1)
	go func() { revoked <- store.Revoke(ctx, tok.ID, time.Now()) }()
	waitForQuery(t, db, c.Database, "UPDATE tokens", "Updating")
	// ...queue a table lock behind it, which its check then waits for...
	locker, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer locker.Close()
	locked := make(chan error, 1)
	go func() {
		_, err := locker.ExecContext(ctx, "LOCK TABLES tokens WRITE")
		locked <- err
	}()
	waitForQuery(t, db, c.Database, "LOCK TABLES", "Waiting for table metadata lock")
	if err := holder.Rollback(); err != nil {
		t.Fatal(err)
	}
	// ...and interrupt the check.
	check := waitForQuery(t, db, c.Database, "SELECT 1 FROM tokens", "Waiting for table metadata lock")
	if _, err := db.ExecContext(ctx, "KILL QUERY ?", check); err != nil {
		t.Fatal(err)
	}
	if err := <-revoked; err == nil {
		t.Error("Revoke succeeded although its check was interrupted")
	}
	if err := <-locked; err != nil {
		t.Fatal(err)
	}
	if _, err := locker.ExecContext(ctx, "UNLOCK TABLES"); err != nil {
		t.Fatal(err)
	}
}

// waitForQuery waits until a statement of database starting with prefix is
// in state, and returns the id of its connection.
func waitForQuery(t *testing.T, db *sql.DB, database, prefix, state string) int64 {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var id int64
		err := db.QueryRow("SELECT id FROM information_schema.processlist WHERE db = ? AND info LIKE ? AND state = ?",
			database, prefix+"%", state).Scan(&id)
		if err == nil {
			return id
		}
		if !errors.Is(err, sql.ErrNoRows) || time.Now().After(deadline) {
			t.Fatalf("waiting for %q to be in state %q: %v", prefix, state, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestConcurrentTokensOfOneName: of several tokens of one name added at
// once, one is stored.
func TestConcurrentTokensOfOneName(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, _ := mysqltest.NewDatabase(t)
	store := mysql.NewTokenStore(db)
	const n = 32
	errs := make(chan error, n)
	for i := range n {
		go func() {
			tok := auth.Token{ID: fmt.Sprintf("%012d", i), Name: "twin", Role: auth.Viewer, CreatedBy: "root", CreatedAt: time.Now().UTC()}
			errs <- store.Add(ctx, tok, [32]byte{})
		}()
	}
	stored := 0
	for range n {
		err := <-errs
		switch {
		case err == nil:
			stored++
		case !errors.Is(err, auth.ErrTokenNameTaken):
			t.Errorf("a concurrent add: %v, want ErrTokenNameTaken", err)
		}
	}
	list, err := store.List(ctx)
	if err != nil || stored != 1 || len(list) != 1 {
		t.Fatalf("%d adds succeeded and %d tokens are stored (%v), want 1", stored, len(list), err)
	}
}
