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

// TokenStore implements auth.TokenStore.
type TokenStore struct {
	db *sql.DB
}

// NewTokenStore stores tokens in db.
func NewTokenStore(db *sql.DB) *TokenStore { return &TokenStore{db: db} }

// Add implements auth.TokenStore.
func (s *TokenStore) Add(ctx context.Context, t auth.Token, hash [sha256.Size]byte) error {
	// One statement checks and inserts, its read of tokens locking what it
	// reads: of several inserts of one name at once, one is stored, and
	// one that InnoDB picks as a deadlock victim runs again and finds the
	// name taken (TestConcurrentTokensOfOneName).
	return inTx(ctx, s.db, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "INSERT INTO tokens (id, name, role, consumers, hash, created_by, created_at) "+
			"SELECT ?, ?, ?, ?, ?, ?, ? FROM DUAL WHERE NOT EXISTS (SELECT 1 FROM tokens WHERE LOWER(name) = LOWER(?) AND revoked_at IS NULL)",
			t.ID, t.Name, t.Role, nameList(t.Consumers), hash[:], t.CreatedBy, t.CreatedAt, t.Name)
		if err != nil {
			return fmt.Errorf("add token: %w", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return fmt.Errorf("add token: %w", err)
		}
		if n == 0 {
			return auth.ErrTokenNameTaken
		}
		return nil
	})
}

const tokenColumns = "id, name, role, consumers, created_by, created_at, revoked_at, last_used_at"

// Find implements auth.TokenStore.
func (s *TokenStore) Find(ctx context.Context, id string) (auth.Token, [sha256.Size]byte, error) {
	var hash []byte
	t, err := scanToken(s.db.QueryRowContext(ctx, "SELECT "+tokenColumns+", hash FROM tokens WHERE id = ?", id), &hash)
	var h [sha256.Size]byte
	if errors.Is(err, sql.ErrNoRows) {
		return auth.Token{}, h, auth.ErrTokenNotFound
	}
	if err != nil {
		return auth.Token{}, h, err
	}
	copy(h[:], hash)
	return t, h, nil
}

// List implements auth.TokenStore.
func (s *TokenStore) List(ctx context.Context) ([]auth.Token, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT "+tokenColumns+" FROM tokens ORDER BY created_at")
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	return collect(rows, func(r rowScanner) (auth.Token, error) { return scanToken(r) })
}

// Revoke implements auth.TokenStore.
func (s *TokenStore) Revoke(ctx context.Context, id string, at time.Time) error {
	res, err := s.db.ExecContext(ctx, "UPDATE tokens SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?", at, id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n > 0 {
		return nil
	}
	// No row changed: the token was revoked already, or does not exist.
	var one int
	err = s.db.QueryRowContext(ctx, "SELECT 1 FROM tokens WHERE id = ?", id).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return auth.ErrTokenNotFound
	}
	if err != nil {
		return fmt.Errorf("revoke token %s: %w", id, err)
	}
	return nil
}

// Touch implements auth.TokenStore.
func (s *TokenStore) Touch(ctx context.Context, id string, at time.Time) error {
	_, err := s.db.ExecContext(ctx, "UPDATE tokens SET last_used_at = ? WHERE id = ?", at, id)
	return err
}

func scanToken(r rowScanner, extra ...any) (auth.Token, error) {
	var (
		t               auth.Token
		role, consumers string
		revoked, used   sql.NullTime
	)
	if err := r.Scan(append([]any{&t.ID, &t.Name, &role, &consumers, &t.CreatedBy, &t.CreatedAt, &revoked, &used}, extra...)...); err != nil {
		return auth.Token{}, err
	}
	t.Consumers = parseNameList(consumers)
	var err error
	if t.Role, err = auth.ParseRole(role); err != nil {
		return auth.Token{}, fmt.Errorf("stored token %s: %w", t.ID, err)
	}
	if revoked.Valid {
		t.RevokedAt = &revoked.Time
	}
	if used.Valid {
		t.LastUsed = &used.Time
	}
	return t, nil
}
