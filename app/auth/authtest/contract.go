package authtest

import (
	"context"
	"crypto/sha256"
	"errors"
	"testing"
	"time"

	"github.com/kds-io/kds/app/auth"
)

// TokenStoreContract runs the behaviour every auth.TokenStore must have
// against the implementation newStore returns; each call must return an
// empty store.
func TokenStoreContract(t *testing.T, newStore func(t *testing.T) auth.TokenStore) {
	ctx := context.Background()
	at := time.Now().UTC().Truncate(time.Microsecond)
	tok := auth.Token{ID: "0123456789ab", Name: "ci-bot", Role: auth.Consumer, CreatedBy: "root", CreatedAt: at}
	hash := sha256.Sum256([]byte("kds_0123456789ab_secret"))

	t.Run("a token is found by id with its hash", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		if err := s.Add(ctx, tok, hash); err != nil {
			t.Fatal(err)
		}
		got, h, err := s.Find(ctx, tok.ID)
		if err != nil || h != hash || got.Name != "ci-bot" || got.Role != auth.Consumer || got.CreatedBy != "root" || !got.CreatedAt.Equal(at) {
			t.Fatalf("found %+v, hash match %v, %v", got, h == hash, err)
		}
		if _, _, err := s.Find(ctx, "ffffffffffff"); !errors.Is(err, auth.ErrTokenNotFound) {
			t.Fatalf("unknown id: %v", err)
		}
	})

	t.Run("revoking keeps the first time and refuses unknown ids", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		if err := s.Add(ctx, tok, hash); err != nil {
			t.Fatal(err)
		}
		if err := s.Revoke(ctx, tok.ID, at); err != nil {
			t.Fatal(err)
		}
		if err := s.Revoke(ctx, tok.ID, at.Add(time.Hour)); err != nil {
			t.Fatalf("revoking twice: %v", err)
		}
		got, _, _ := s.Find(ctx, tok.ID)
		if got.RevokedAt == nil || !got.RevokedAt.Equal(at) {
			t.Fatalf("revoked at %v, want %v", got.RevokedAt, at)
		}
		if err := s.Revoke(ctx, "ffffffffffff", at); !errors.Is(err, auth.ErrTokenNotFound) {
			t.Fatalf("revoking an unknown token: %v", err)
		}
	})

	t.Run("last use is recorded and listed", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		if err := s.Add(ctx, tok, hash); err != nil {
			t.Fatal(err)
		}
		if err := s.Touch(ctx, tok.ID, at.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		list, err := s.List(ctx)
		if err != nil || len(list) != 1 || list[0].LastUsed == nil || !list[0].LastUsed.Equal(at.Add(time.Minute)) {
			t.Fatalf("list %+v, %v", list, err)
		}
	})

	t.Run("touching an unknown id changes nothing", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		if err := s.Add(ctx, tok, hash); err != nil {
			t.Fatal(err)
		}
		if err := s.Touch(ctx, "ffffffffffff", at); err != nil {
			t.Fatalf("touching an unknown token: %v", err)
		}
		list, err := s.List(ctx)
		if err != nil || len(list) != 1 || list[0].ID != tok.ID || list[0].LastUsed != nil {
			t.Fatalf("list %+v, %v; want only the token added, unused", list, err)
		}
	})
}
