package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"time"
)

// ErrSessionNotFound is returned by a SessionStore for an unknown session.
var ErrSessionNotFound = errors.New("session not found")

// SessionLifetime is how long a dashboard session lasts at most.
const SessionLifetime = 12 * time.Hour

// Session is a dashboard sign-in. Its id is random and lives only in the
// browser's cookie; the store keeps its hash, so that reading the store
// yields no session anyone could use.
type Session struct {
	IDHash [sha256.Size]byte
	// TokenID is the token signed in with; empty for the bootstrap admin
	// token.
	TokenID string
	// TokenHash is the hash of the token signed in with, as the token
	// store keeps it: the session lasts only as long as that token is
	// accepted.
	TokenHash [sha256.Size]byte
	CreatedAt time.Time
	ExpiresAt time.Time
}

// SessionStore keeps dashboard sessions by the hash of their id.
type SessionStore interface {
	Add(ctx context.Context, s Session) error
	// Find returns the session, or ErrSessionNotFound.
	Find(ctx context.Context, idHash [sha256.Size]byte) (Session, error)
	// Delete ends a session; ending one that does not exist is no error.
	Delete(ctx context.Context, idHash [sha256.Size]byte) error
	// DeleteExpired forgets the sessions that expired before at.
	DeleteExpired(ctx context.Context, at time.Time) error
}

// Sessions signs callers in to the dashboard with an API token and out
// again. A session is not the token: its id cannot be used as a bearer
// token, signing out ends it, and it ends with the token it was signed in
// with (revoked, or a bootstrap admin token no longer configured).
type Sessions struct {
	store  SessionStore
	tokens *Tokens
}

// NewSessions keeps sessions in store and checks them against tokens.
func NewSessions(store SessionStore, tokens *Tokens) *Sessions {
	return &Sessions{store: store, tokens: tokens}
}

// SignIn authenticates a raw token and starts a session; the id returned
// is shown once, to be kept in a cookie.
func (s *Sessions) SignIn(ctx context.Context, raw string) (string, Principal, error) {
	p, err := s.tokens.Authenticate(ctx, raw)
	if err != nil {
		return "", Principal{}, err
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", Principal{}, fmt.Errorf("generate session id: %w", err)
	}
	id := base64.RawURLEncoding.EncodeToString(b)
	now := time.Now().UTC()
	// Expired sessions go when new ones come: no job to schedule, and the
	// table holds no more than a lifetime's sign-ins.
	if err := s.store.DeleteExpired(ctx, now); err != nil {
		return "", Principal{}, fmt.Errorf("forget expired sessions: %w", err)
	}
	sess := Session{IDHash: sha256.Sum256([]byte(id)), TokenID: p.TokenID, TokenHash: sha256.Sum256([]byte(raw)),
		CreatedAt: now, ExpiresAt: now.Add(SessionLifetime)}
	if err := s.store.Add(ctx, sess); err != nil {
		return "", Principal{}, fmt.Errorf("store session: %w", err)
	}
	return id, p, nil
}

// Authenticate returns the principal of a session id, as the token it was
// signed in with says now, or ErrUnauthenticated.
func (s *Sessions) Authenticate(ctx context.Context, id string) (Principal, error) {
	if id == "" {
		return Principal{}, ErrUnauthenticated
	}
	sess, err := s.store.Find(ctx, sha256.Sum256([]byte(id)))
	if errors.Is(err, ErrSessionNotFound) {
		return Principal{}, ErrUnauthenticated
	}
	if err != nil {
		return Principal{}, fmt.Errorf("look up session: %w", err)
	}
	if !time.Now().Before(sess.ExpiresAt) {
		return Principal{}, ErrUnauthenticated
	}
	if sess.TokenID == "" {
		return s.tokens.bootstrapPrincipal(sess.TokenHash)
	}
	return s.tokens.storedPrincipal(ctx, sess.TokenID, sess.TokenHash)
}

// SignOut ends a session; an unknown id is no error.
func (s *Sessions) SignOut(ctx context.Context, id string) error {
	if err := s.store.Delete(ctx, sha256.Sum256([]byte(id))); err != nil {
		return fmt.Errorf("end session: %w", err)
	}
	return nil
}
