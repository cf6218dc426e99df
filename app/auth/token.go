package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrUnauthenticated is returned for a missing, malformed, unknown or
// revoked token; callers are not told which.
var ErrUnauthenticated = errors.New("missing or invalid API token")

const tokenPrefix = "kds_"

// Token describes an API token; the secret itself is never stored.
type Token struct {
	ID   string
	Name string
	Role Role
	// Consumers are the consumer ids a consumer's token acts for.
	Consumers []string
	CreatedBy string
	CreatedAt time.Time
	RevokedAt *time.Time
	LastUsed  *time.Time
	// Bootstrap marks the bootstrap admin token, which is in the server's
	// configuration and nowhere else: CreatedAt and LastUsed are this
	// server process's.
	Bootstrap bool
}

// Secret is a token as its holder types it: kds_<id>_<random>.
type Secret struct {
	ID   string
	Hash [sha256.Size]byte
}

// NewSecret makes a fresh random token and its stored form.
func NewSecret() (raw string, s Secret, err error) {
	id := make([]byte, 6)
	key := make([]byte, 32)
	if _, err := rand.Read(id); err != nil {
		return "", Secret{}, fmt.Errorf("generate token id: %w", err)
	}
	if _, err := rand.Read(key); err != nil {
		return "", Secret{}, fmt.Errorf("generate token secret: %w", err)
	}
	raw = tokenPrefix + hex.EncodeToString(id) + "_" + base64.RawURLEncoding.EncodeToString(key)
	s, err = ParseSecret(raw)
	return raw, s, err
}

// ParseSecret splits a typed token into the id used to find it and the hash
// compared with the stored one.
func ParseSecret(raw string) (Secret, error) {
	rest, ok := strings.CutPrefix(raw, tokenPrefix)
	if !ok {
		return Secret{}, ErrUnauthenticated
	}
	id, _, ok := strings.Cut(rest, "_")
	if !ok || len(id) != 12 {
		return Secret{}, ErrUnauthenticated
	}
	return Secret{ID: id, Hash: sha256.Sum256([]byte(raw))}, nil
}
