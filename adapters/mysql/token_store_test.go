package mysql_test

import (
	"context"
	"errors"
	"testing"

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
