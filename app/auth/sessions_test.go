package auth_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/kds-io/kds/app/auth"
	"github.com/kds-io/kds/app/auth/authtest"
)

// TestSessions: a session has an id of its own that is not the token and
// works only as a session; it ends at sign-out, when its token is revoked,
// when the bootstrap token it was made with is no longer configured, and
// when it expires.
func TestSessions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tokenStore, sessionStore := authtest.NewTokens(), authtest.NewSessions()
	tokens := auth.NewTokens(tokenStore, "let-me-in")
	sessions := auth.NewSessions(sessionStore, tokens)
	raw, tok, err := tokens.Create(ctx, root, "alice", auth.Viewer)
	if err != nil {
		t.Fatal(err)
	}

	id, p, err := sessions.SignIn(ctx, raw)
	if err != nil || p.Name != "alice" || p.Role != auth.Viewer || p.TokenID != tok.ID {
		t.Fatalf("sign in: %+v, %v", p, err)
	}
	if len(id) < 43 || strings.Contains(raw, id) || strings.Contains(id, tok.ID) {
		t.Fatalf("session id %q is not a random id of its own (token %q)", id, raw)
	}
	if got, err := sessions.Authenticate(ctx, id); err != nil || !got.Equal(p) {
		t.Fatalf("the session: %+v, %v; want %+v", got, err, p)
	}
	if _, err := tokens.Authenticate(ctx, id); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Fatalf("the session id as a token: %v", err)
	}
	if _, err := sessions.Authenticate(ctx, raw); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Fatalf("the token as a session id: %v", err)
	}
	if _, _, err := sessions.SignIn(ctx, raw+"x"); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Fatalf("sign in with a wrong token: %v", err)
	}

	t.Run("sign-out", func(t *testing.T) {
		id, _, err := sessions.SignIn(ctx, raw)
		if err != nil {
			t.Fatal(err)
		}
		if err := sessions.SignOut(ctx, id); err != nil {
			t.Fatal(err)
		}
		if _, err := sessions.Authenticate(ctx, id); !errors.Is(err, auth.ErrUnauthenticated) {
			t.Fatalf("after sign-out: %v", err)
		}
	})

	t.Run("bootstrap token replaced", func(t *testing.T) {
		id, p, err := sessions.SignIn(ctx, "let-me-in")
		if err != nil || p.Role != auth.Admin || p.TokenID != "" {
			t.Fatalf("bootstrap sign-in: %+v, %v", p, err)
		}
		if _, err := sessions.Authenticate(ctx, id); err != nil {
			t.Fatal(err)
		}
		for _, bootstrap := range []string{"", "another"} {
			later := auth.NewSessions(sessionStore, auth.NewTokens(tokenStore, bootstrap))
			if _, err := later.Authenticate(ctx, id); !errors.Is(err, auth.ErrUnauthenticated) {
				t.Fatalf("bootstrap session with bootstrap token %q configured: %v", bootstrap, err)
			}
		}
	})

	t.Run("expired", func(t *testing.T) {
		const old = "an-old-session-id"
		now := time.Now().UTC()
		if err := sessionStore.Add(ctx, auth.Session{IDHash: sha256.Sum256([]byte(old)), TokenID: tok.ID, TokenHash: sha256.Sum256([]byte(raw)),
			CreatedAt: now.Add(-auth.SessionLifetime - time.Minute), ExpiresAt: now.Add(-time.Minute)}); err != nil {
			t.Fatal(err)
		}
		if _, err := sessions.Authenticate(ctx, old); !errors.Is(err, auth.ErrUnauthenticated) {
			t.Fatalf("expired session: %v", err)
		}
		if _, _, err := sessions.SignIn(ctx, raw); err != nil {
			t.Fatal(err)
		}
		if _, err := sessionStore.Find(ctx, sha256.Sum256([]byte(old))); !errors.Is(err, auth.ErrSessionNotFound) {
			t.Fatalf("an expired session is still stored after a sign-in: %v", err)
		}
	})

	// Last: revoking the token ends its sessions.
	if err := tokens.Revoke(ctx, root, tok.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := sessions.Authenticate(ctx, id); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Fatalf("session of a revoked token: %v", err)
	}
}

func TestMemorySessionsMeetTheContract(t *testing.T) {
	t.Parallel()
	authtest.SessionStoreContract(t, func(*testing.T) auth.SessionStore { return authtest.NewSessions() })
}
