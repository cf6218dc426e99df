package mysql

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/kds-io/kds/app/auth"
)

// SessionStore implements auth.SessionStore.
type SessionStore struct {
	db *sql.DB
}

// NewSessionStore stores dashboard sessions in db.
func NewSessionStore(db *sql.DB) *SessionStore { return &SessionStore{db: db} }

// Add implements auth.SessionStore.
func (s *SessionStore) Add(ctx context.Context, sess auth.Session) error {
	_, err := s.db.ExecContext(ctx, "INSERT INTO sessions (id_hash, token_id, token_hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
		sess.IDHash[:], sess.TokenID, sess.TokenHash[:], sess.CreatedAt, sess.ExpiresAt)
	if err != nil {
		return fmt.Errorf("add session: %w", err)
	}
	return nil
}

// Find implements auth.SessionStore.
func (s *SessionStore) Find(ctx context.Context, idHash [sha256.Size]byte) (auth.Session, error) {
	var (
		sess      = auth.Session{IDHash: idHash}
		tokenHash []byte
	)
	err := s.db.QueryRowContext(ctx, "SELECT token_id, token_hash, created_at, expires_at FROM sessions WHERE id_hash = ?", idHash[:]).
		Scan(&sess.TokenID, &tokenHash, &sess.CreatedAt, &sess.ExpiresAt)
	if errors.Is(err, sql.ErrNoRows) {
		return auth.Session{}, auth.ErrSessionNotFound
	}
	if err != nil {
		return auth.Session{}, fmt.Errorf("find session: %w", err)
	}
	copy(sess.TokenHash[:], tokenHash)
	return sess, nil
}

// Delete implements auth.SessionStore.
func (s *SessionStore) Delete(ctx context.Context, idHash [sha256.Size]byte) error {
	if _, err := s.db.ExecContext(ctx, "DELETE FROM sessions WHERE id_hash = ?", idHash[:]); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// DeleteExpired implements auth.SessionStore.
func (s *SessionStore) DeleteExpired(ctx context.Context, at time.Time) error {
	if _, err := s.db.ExecContext(ctx, "DELETE FROM sessions WHERE expires_at < ?", at); err != nil {
		return fmt.Errorf("delete expired sessions: %w", err)
	}
	return nil
}
