package auth_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kds-io/kds/app/auth"
)

type memoryStore struct {
	mu      sync.Mutex
	tokens  map[string]auth.Token
	hashes  map[string][sha256.Size]byte
	touches int
}

func newMemoryStore() *memoryStore {
	return &memoryStore{tokens: map[string]auth.Token{}, hashes: map[string][sha256.Size]byte{}}
}

func (m *memoryStore) Add(_ context.Context, t auth.Token, h [sha256.Size]byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.tokens[t.ID], m.hashes[t.ID] = t, h
	return nil
}

func (m *memoryStore) Find(_ context.Context, id string) (auth.Token, [sha256.Size]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	t, ok := m.tokens[id]
	if !ok {
		return auth.Token{}, [sha256.Size]byte{}, auth.ErrTokenNotFound
	}
	return t, m.hashes[id], nil
}

func (m *memoryStore) List(context.Context) ([]auth.Token, error) { return nil, nil }

func (m *memoryStore) Revoke(_ context.Context, id string, at time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	t, ok := m.tokens[id]
	if !ok {
		return auth.ErrTokenNotFound
	}
	t.RevokedAt = &at
	m.tokens[id] = t
	return nil
}

func (m *memoryStore) Touch(_ context.Context, id string, at time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	t := m.tokens[id]
	t.LastUsed = &at
	m.tokens[id] = t
	m.touches++
	return nil
}

var root = auth.Principal{Name: "root", Role: auth.Admin}

func TestTokenLifecycle(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store := newMemoryStore()
	tokens := auth.NewTokens(store, "")
	raw, tok, err := tokens.Create(ctx, root, "alice", auth.Producer)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(raw, "kds_"+tok.ID+"_") {
		t.Fatalf("token %q does not carry its id %s", raw, tok.ID)
	}
	p, err := tokens.Authenticate(ctx, raw)
	if err != nil || p.Name != "alice" || p.Role != auth.Producer || p.TokenID != tok.ID {
		t.Fatalf("Authenticate = %+v, %v", p, err)
	}
	if _, err := tokens.Authenticate(ctx, raw); err != nil {
		t.Fatal(err)
	}
	if store.touches != 1 {
		t.Fatalf("%d writes of last use for two uses within a minute, want 1", store.touches)
	}
	if _, err := tokens.Authenticate(ctx, raw[:len(raw)-1]+"x"); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Fatalf("altered token: %v", err)
	}
	if err := tokens.Revoke(ctx, root, tok.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := tokens.Authenticate(ctx, raw); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Fatalf("revoked token: %v", err)
	}
}

func TestOnlyAdminsManageTokens(t *testing.T) {
	t.Parallel()
	tokens := auth.NewTokens(newMemoryStore(), "")
	_, _, err := tokens.Create(context.Background(), auth.Principal{Name: "alice", Role: auth.Producer}, "bob", auth.Admin)
	var forbidden *auth.ForbiddenError
	if !errors.As(err, &forbidden) {
		t.Fatalf("producer created a token: %v", err)
	}
}

func TestBootstrapAdminToken(t *testing.T) {
	t.Parallel()
	tokens := auth.NewTokens(newMemoryStore(), "let-me-in")
	p, err := tokens.Authenticate(context.Background(), "let-me-in")
	if err != nil || p.Role != auth.Admin {
		t.Fatalf("bootstrap token: %+v, %v", p, err)
	}
	for _, raw := range []string{"", "let-me-i", "kds_nothing", "kds_0123456789ab_zzz"} {
		if _, err := tokens.Authenticate(context.Background(), raw); !errors.Is(err, auth.ErrUnauthenticated) {
			t.Fatalf("Authenticate(%q) = %v, want ErrUnauthenticated", raw, err)
		}
	}
}

func TestTokenNames(t *testing.T) {
	t.Parallel()
	tokens := auth.NewTokens(newMemoryStore(), "")
	for _, name := range []string{"", "a b", strings.Repeat("n", 65), "<script>"} {
		if _, _, err := tokens.Create(context.Background(), root, name, auth.Viewer); err == nil {
			t.Errorf("token name %q accepted", name)
		}
	}
}
