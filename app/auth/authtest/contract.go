package authtest

import (
	"context"
	"crypto/sha256"
	"errors"
	"slices"
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
	tok := auth.Token{ID: "0123456789ab", Name: "ci-bot", Role: auth.Consumer, Consumers: []string{"orders-1", "orders-2"}, CreatedBy: "root", CreatedAt: at}
	hash := sha256.Sum256([]byte("kds_0123456789ab_secret"))

	t.Run("a token is found by id with its hash", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		if err := s.Add(ctx, tok, hash); err != nil {
			t.Fatal(err)
		}
		got, h, err := s.Find(ctx, tok.ID)
		if err != nil || h != hash || got.Name != "ci-bot" || got.Role != auth.Consumer || !slices.Equal(got.Consumers, tok.Consumers) ||
			got.CreatedBy != "root" || !got.CreatedAt.Equal(at) {
			t.Fatalf("found %+v, hash match %v, %v", got, h == hash, err)
		}
		if _, _, err := s.Find(ctx, "ffffffffffff"); !errors.Is(err, auth.ErrTokenNotFound) {
			t.Fatalf("unknown id: %v", err)
		}
	})

	t.Run("a name is taken while a token that has it is live", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		if err := s.Add(ctx, tok, hash); err != nil {
			t.Fatal(err)
		}
		again := tok
		again.ID, again.Name = "123456789abc", "CI-Bot"
		if err := s.Add(ctx, again, hash); !errors.Is(err, auth.ErrTokenNameTaken) {
			t.Fatalf("a second live token named %q: %v, want ErrTokenNameTaken", again.Name, err)
		}
		if err := s.Revoke(ctx, tok.ID, at); err != nil {
			t.Fatal(err)
		}
		if err := s.Add(ctx, again, hash); err != nil {
			t.Fatalf("the name of a revoked token: %v", err)
		}
		list, err := s.List(ctx)
		if err != nil || len(list) != 2 {
			t.Fatalf("list %+v, %v; want both tokens", list, err)
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
		if err != nil || len(list) != 1 || list[0].LastUsed == nil || !list[0].LastUsed.Equal(at.Add(time.Minute)) || !slices.Equal(list[0].Consumers, tok.Consumers) {
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

// SessionStoreContract runs the behaviour every auth.SessionStore must
// have against the implementation newStore returns; each call must return
// an empty store.
func SessionStoreContract(t *testing.T, newStore func(t *testing.T) auth.SessionStore) {
	ctx := context.Background()
	at := time.Now().UTC().Truncate(time.Microsecond)
	session := func(id, tokenID string, expires time.Time) auth.Session {
		return auth.Session{IDHash: sha256.Sum256([]byte(id)), TokenID: tokenID, TokenHash: sha256.Sum256([]byte("kds_" + tokenID + "_secret")),
			CreatedAt: at, ExpiresAt: expires}
	}

	t.Run("a session is found by the hash of its id", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		want := session("one", "0123456789ab", at.Add(time.Hour))
		if err := s.Add(ctx, want); err != nil {
			t.Fatal(err)
		}
		got, err := s.Find(ctx, want.IDHash)
		if err != nil || got.IDHash != want.IDHash || got.TokenID != want.TokenID || got.TokenHash != want.TokenHash ||
			!got.CreatedAt.Equal(at) || !got.ExpiresAt.Equal(want.ExpiresAt) {
			t.Fatalf("found %+v, %v; want %+v", got, err, want)
		}
		if _, err := s.Find(ctx, sha256.Sum256([]byte("other"))); !errors.Is(err, auth.ErrSessionNotFound) {
			t.Fatalf("unknown session: %v", err)
		}
	})

	t.Run("a bootstrap session has no token id", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		want := session("boot", "", at.Add(time.Hour))
		if err := s.Add(ctx, want); err != nil {
			t.Fatal(err)
		}
		if got, err := s.Find(ctx, want.IDHash); err != nil || got.TokenID != "" || got.TokenHash != want.TokenHash {
			t.Fatalf("found %+v, %v", got, err)
		}
	})

	t.Run("deleting ends one session, and twice is no error", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		gone, kept := session("gone", "0123456789ab", at.Add(time.Hour)), session("kept", "0123456789ab", at.Add(time.Hour))
		for _, sess := range []auth.Session{gone, kept} {
			if err := s.Add(ctx, sess); err != nil {
				t.Fatal(err)
			}
		}
		for range 2 {
			if err := s.Delete(ctx, gone.IDHash); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.Find(ctx, gone.IDHash); !errors.Is(err, auth.ErrSessionNotFound) {
			t.Fatalf("deleted session: %v", err)
		}
		if _, err := s.Find(ctx, kept.IDHash); err != nil {
			t.Fatalf("the other session: %v", err)
		}
	})

	t.Run("only expired sessions are forgotten", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		old, current := session("old", "0123456789ab", at.Add(-time.Second)), session("current", "0123456789ab", at.Add(time.Second))
		for _, sess := range []auth.Session{old, current} {
			if err := s.Add(ctx, sess); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.DeleteExpired(ctx, at); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Find(ctx, old.IDHash); !errors.Is(err, auth.ErrSessionNotFound) {
			t.Fatalf("expired session: %v", err)
		}
		if _, err := s.Find(ctx, current.IDHash); err != nil {
			t.Fatalf("current session: %v", err)
		}
	})
}
