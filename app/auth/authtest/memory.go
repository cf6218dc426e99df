// Package authtest has an in-memory auth.TokenStore and the contract every
// TokenStore must meet.
package authtest

import (
	"context"
	"crypto/sha256"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/kds-io/kds/app/auth"
)

// Tokens is an in-memory auth.TokenStore.
type Tokens struct {
	mu      sync.Mutex
	tokens  map[string]auth.Token
	hashes  map[string][sha256.Size]byte
	touches int
}

// NewTokens returns an empty store.
func NewTokens() *Tokens {
	return &Tokens{tokens: map[string]auth.Token{}, hashes: map[string][sha256.Size]byte{}}
}

// Add implements auth.TokenStore.
func (m *Tokens) Add(_ context.Context, t auth.Token, h [sha256.Size]byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.tokens[t.ID], m.hashes[t.ID] = t, h
	return nil
}

// Find implements auth.TokenStore.
func (m *Tokens) Find(_ context.Context, id string) (auth.Token, [sha256.Size]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	t, ok := m.tokens[id]
	if !ok {
		return auth.Token{}, [sha256.Size]byte{}, auth.ErrTokenNotFound
	}
	return t, m.hashes[id], nil
}

// List implements auth.TokenStore.
func (m *Tokens) List(context.Context) ([]auth.Token, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]auth.Token, 0, len(m.tokens))
	for _, t := range m.tokens {
		out = append(out, t)
	}
	slices.SortFunc(out, func(a, b auth.Token) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

// Revoke implements auth.TokenStore.
func (m *Tokens) Revoke(_ context.Context, id string, at time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	t, ok := m.tokens[id]
	if !ok {
		return auth.ErrTokenNotFound
	}
	if t.RevokedAt == nil {
		t.RevokedAt = &at
	}
	m.tokens[id] = t
	return nil
}

// Touch implements auth.TokenStore.
func (m *Tokens) Touch(_ context.Context, id string, at time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	t, ok := m.tokens[id]
	if !ok {
		return nil
	}
	t.LastUsed = &at
	m.tokens[id] = t
	m.touches++
	return nil
}

// Touches counts the writes of a token's last use.
func (m *Tokens) Touches() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.touches
}
