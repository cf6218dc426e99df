// Package authtest has in-memory auth.TokenStore and auth.SessionStore
// implementations and the contracts every implementation must meet.
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
	for _, live := range m.tokens {
		if live.RevokedAt == nil && strings.EqualFold(live.Name, t.Name) {
			return auth.ErrTokenNameTaken
		}
	}
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

// Sessions is an in-memory auth.SessionStore.
type Sessions struct {
	mu       sync.Mutex
	sessions map[[sha256.Size]byte]auth.Session
}

// NewSessions returns an empty store.
func NewSessions() *Sessions {
	return &Sessions{sessions: map[[sha256.Size]byte]auth.Session{}}
}

// Add implements auth.SessionStore.
func (m *Sessions) Add(_ context.Context, s auth.Session) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sessions[s.IDHash] = s
	return nil
}

// Find implements auth.SessionStore.
func (m *Sessions) Find(_ context.Context, idHash [sha256.Size]byte) (auth.Session, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.sessions[idHash]
	if !ok {
		return auth.Session{}, auth.ErrSessionNotFound
	}
	return s, nil
}

// Delete implements auth.SessionStore.
func (m *Sessions) Delete(_ context.Context, idHash [sha256.Size]byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.sessions, idHash)
	return nil
}

// DeleteExpired implements auth.SessionStore.
func (m *Sessions) DeleteExpired(_ context.Context, at time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for h, s := range m.sessions {
		if s.ExpiresAt.Before(at) {
			delete(m.sessions, h)
		}
	}
	return nil
}
