package auth

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/kds-io/kds/app/subscription"
)

// ErrTokenNotFound is returned by a TokenStore for an unknown token id.
var ErrTokenNotFound = errors.New("token not found")

// ErrTokenNameTaken is returned for a new token named as a live one is,
// whatever the case: a token's name is the actor its holder's actions are
// recorded as.
var ErrTokenNameTaken = errors.New("a live token has that name; revoke it first or choose another")

// ErrBootstrapTokenConfigured refuses to revoke the bootstrap admin token,
// which is kept in the server's configuration, not with the tokens.
var ErrBootstrapTokenConfigured = errors.New("the bootstrap admin token is set in the server's configuration (auth.bootstrap_admin_token, KDS_BOOTSTRAP_ADMIN_TOKEN): remove it there and restart the server")

// BootstrapTokenID is the id the bootstrap admin token is listed under; a
// stored token's id has 12 characters.
const BootstrapTokenID = "bootstrap"

// TokenStore keeps tokens by id with the hash of their secret.
type TokenStore interface {
	// Add stores a new token, or returns ErrTokenNameTaken when a token
	// that is not revoked has its name, whatever the case.
	Add(ctx context.Context, t Token, hash [sha256.Size]byte) error
	// Find returns the token and its hash, or ErrTokenNotFound.
	Find(ctx context.Context, id string) (Token, [sha256.Size]byte, error)
	List(ctx context.Context) ([]Token, error)
	// Revoke marks the token revoked; ErrTokenNotFound if there is none.
	Revoke(ctx context.Context, id string, at time.Time) error
	// Touch records that the token was just used.
	Touch(ctx context.Context, id string, at time.Time) error
}

// Tokens authenticates callers and manages API tokens.
type Tokens struct {
	store     TokenStore
	bootstrap [sha256.Size]byte
	hasBoot   bool
	// bootSince and bootUsed are when this process took the bootstrap
	// token and last authenticated it, for the token list.
	bootSince time.Time
	bootUsed  atomic.Pointer[time.Time]
}

// The actors kds records for what is not done with a stored token: the
// bootstrap admin token's holder, and the topic manager. No token may be
// named as they are.
const (
	BootstrapAdminName = "admin"
	TopicManagerName   = "topic-manager"
)

// NewTokens authenticates against store; bootstrapAdminToken, when not
// empty, is accepted as an admin token without being stored, so the first
// admin can get in on a fresh database.
func NewTokens(store TokenStore, bootstrapAdminToken string) *Tokens {
	t := &Tokens{store: store}
	if bootstrapAdminToken != "" {
		t.bootstrap = sha256.Sum256([]byte(bootstrapAdminToken))
		t.hasBoot = true
		t.bootSince = time.Now().UTC()
	}
	return t
}

// Authenticate returns the principal a raw token stands for, or
// ErrUnauthenticated.
func (t *Tokens) Authenticate(ctx context.Context, raw string) (Principal, error) {
	if raw == "" {
		return Principal{}, ErrUnauthenticated
	}
	if p, err := t.bootstrapPrincipal(sha256.Sum256([]byte(raw))); err == nil {
		return p, nil
	}
	secret, err := ParseSecret(raw)
	if err != nil {
		return Principal{}, err
	}
	return t.storedPrincipal(ctx, secret.ID, secret.Hash)
}

// bootstrapPrincipal is the bootstrap admin when hash is the bootstrap
// admin token's.
func (t *Tokens) bootstrapPrincipal(hash [sha256.Size]byte) (Principal, error) {
	if !t.hasBoot || subtle.ConstantTimeCompare(hash[:], t.bootstrap[:]) != 1 {
		return Principal{}, ErrUnauthenticated
	}
	now := time.Now().UTC()
	t.bootUsed.Store(&now)
	return Principal{Name: BootstrapAdminName, Role: Admin}, nil
}

// storedPrincipal is the holder of the stored token id when hash is its
// hash and it is not revoked.
func (t *Tokens) storedPrincipal(ctx context.Context, id string, hash [sha256.Size]byte) (Principal, error) {
	tok, stored, err := t.store.Find(ctx, id)
	if errors.Is(err, ErrTokenNotFound) {
		return Principal{}, ErrUnauthenticated
	}
	if err != nil {
		return Principal{}, fmt.Errorf("look up token: %w", err)
	}
	if subtle.ConstantTimeCompare(hash[:], stored[:]) != 1 || tok.RevokedAt != nil {
		return Principal{}, ErrUnauthenticated
	}
	// Last use is shown to admins at minute precision; one write a minute
	// per token keeps authentication off the write path.
	now := time.Now().UTC()
	if tok.LastUsed == nil || now.Sub(*tok.LastUsed) > time.Minute {
		if err := t.store.Touch(ctx, tok.ID, now); err != nil {
			return Principal{}, fmt.Errorf("record token use: %w", err)
		}
	}
	return Principal{Name: tok.Name, Role: tok.Role, TokenID: tok.ID, Consumers: tok.Consumers}, nil
}

// MaxTokenConsumers bounds the consumer ids one token acts for.
const MaxTokenConsumers = 100

// Create issues a new token; the raw secret is returned once and never
// stored. A consumer's token acts for the consumer ids given, or for the
// consumer id that is its name; other roles take none (an admin acts for
// any).
func (t *Tokens) Create(ctx context.Context, by Principal, name string, role Role, consumers ...string) (string, Token, error) {
	if err := Authorize(by, ManageTokens); err != nil {
		return "", Token{}, err
	}
	if err := validateTokenName(name); err != nil {
		return "", Token{}, err
	}
	consumers, err := tokenConsumers(name, role, consumers)
	if err != nil {
		return "", Token{}, err
	}
	raw, secret, err := NewSecret()
	if err != nil {
		return "", Token{}, err
	}
	tok := Token{ID: secret.ID, Name: name, Role: role, Consumers: consumers, CreatedBy: by.Name, CreatedAt: time.Now().UTC()}
	if err := t.store.Add(ctx, tok, secret.Hash); err != nil {
		return "", Token{}, fmt.Errorf("store token %q: %w", name, err)
	}
	return raw, tok, nil
}

// List returns every token, revoked ones included, after the bootstrap
// admin token when the server has one.
func (t *Tokens) List(ctx context.Context, by Principal) ([]Token, error) {
	if err := Authorize(by, ManageTokens); err != nil {
		return nil, err
	}
	stored, err := t.store.List(ctx)
	if err != nil || !t.hasBoot {
		return stored, err
	}
	boot := Token{ID: BootstrapTokenID, Name: BootstrapAdminName, Role: Admin, CreatedBy: "configuration", CreatedAt: t.bootSince,
		LastUsed: t.bootUsed.Load(), Bootstrap: true}
	return append([]Token{boot}, stored...), nil
}

// Revoke stops a token from working.
func (t *Tokens) Revoke(ctx context.Context, by Principal, id string) error {
	if err := Authorize(by, ManageTokens); err != nil {
		return err
	}
	if id == BootstrapTokenID {
		return ErrBootstrapTokenConfigured
	}
	if err := t.store.Revoke(ctx, id, time.Now().UTC()); err != nil {
		return fmt.Errorf("revoke token %s: %w", id, err)
	}
	return nil
}

// InvalidTokenNameError is returned for a token name that cannot be used as
// an actor name.
type InvalidTokenNameError struct {
	Name   string
	Reason string
}

func (e *InvalidTokenNameError) Error() string {
	return fmt.Sprintf("invalid token name %q: %s", e.Name, e.Reason)
}

// InvalidTokenConsumersError is returned for consumer ids a token cannot
// be made for.
type InvalidTokenConsumersError struct {
	Reason string
}

func (e *InvalidTokenConsumersError) Error() string {
	return "invalid consumer ids for a token: " + e.Reason
}

// tokenConsumers are the consumer ids a new token acts for.
func tokenConsumers(name string, role Role, consumers []string) ([]string, error) {
	switch {
	case role != Consumer && len(consumers) > 0:
		return nil, &InvalidTokenConsumersError{Reason: fmt.Sprintf("only consumer tokens are made for consumer ids (an admin acts for any, a %s for none)", role)}
	case role != Consumer:
		return nil, nil
	case len(consumers) == 0:
		if _, err := subscription.ParseConsumerID(name); err != nil {
			return nil, &InvalidTokenConsumersError{Reason: fmt.Sprintf("the name %q is not a consumer id, so name the consumer ids the token acts for", name)}
		}
		return []string{name}, nil
	case len(consumers) > MaxTokenConsumers:
		return nil, &InvalidTokenConsumersError{Reason: fmt.Sprintf("at most %d, got %d", MaxTokenConsumers, len(consumers))}
	}
	var ids []string
	for _, c := range consumers {
		if _, err := subscription.ParseConsumerID(c); err != nil {
			return nil, &InvalidTokenConsumersError{Reason: err.Error()}
		}
		if !slices.Contains(ids, c) {
			ids = append(ids, c)
		}
	}
	return ids, nil
}

func validateTokenName(name string) error {
	if name == "" || len(name) > 64 {
		return &InvalidTokenNameError{Name: name, Reason: "use 1 to 64 characters"}
	}
	for _, reserved := range []string{BootstrapAdminName, TopicManagerName} {
		if strings.EqualFold(name, reserved) {
			return &InvalidTokenNameError{Name: name, Reason: "kds records its own actions as " + reserved}
		}
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-' || r == '@') {
			return &InvalidTokenNameError{Name: name, Reason: fmt.Sprintf("character %+q is not allowed (letters, digits, '.', '_', '-', '@')", r)}
		}
	}
	return nil
}
