package access

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"

	"github.com/kds-io/kds/app/auth"
)

// Credentials are a token holder's own Kafka login.
type Credentials struct {
	Mechanism string `json:"mechanism"`
	Username  string `json:"username"`
	Password  string `json:"password"`
}

// ErrNoStoredToken is returned for a caller without a stored token (the
// bootstrap admin token, or a dashboard session of it): only tokens kds
// made have a Kafka principal.
var ErrNoStoredToken = errors.New("only a token made with kds token create has Kafka credentials; the bootstrap admin token has none: " +
	"send and read with one (kds token create NAME --role producer, or --role admin, then KDS_TOKEN)")

// MappedPrincipalError is returned for a token whose name the operator
// mapped to a principal of their own, which kds has no password for.
type MappedPrincipalError struct {
	Name, Principal string
}

func (e *MappedPrincipalError) Error() string {
	return fmt.Sprintf("token %q is Kafka principal %s, whose credentials kds does not manage: configure kafka.sasl.* or kafka.tls.* for it", e.Name, e.Principal)
}

// Credentials sets and returns the caller's own SCRAM login: only ever the
// caller's, whose token id keys the password, so a token issued again
// under the same name has a new one.
func (k *Keeper) Credentials(ctx context.Context, by auth.Principal) (Credentials, error) {
	if err := auth.Authorize(by, auth.ReachKafka); err != nil {
		return Credentials{}, err
	}
	if by.TokenID == "" {
		return Credentials{}, ErrNoStoredToken
	}
	principal, scram := k.principals.Of(by.Name)
	if !scram {
		return Credentials{}, &MappedPrincipalError{Name: by.Name, Principal: principal}
	}
	c := Credentials{Mechanism: k.mechanism, Username: ScramUser(by.Name), Password: k.password(by.TokenID)}
	// Under the lock, and only for a token still live: a revocation's
	// convergence deletes the user, and must not be undone by a fetch that
	// authenticated a moment before it.
	err := k.lock.Hold(ctx, func() error {
		s, err := k.state.AccessState(ctx)
		if err != nil {
			return fmt.Errorf("read the live tokens: %w", err)
		}
		if !slices.ContainsFunc(s.Tokens, func(t Token) bool { return t.ID == by.TokenID }) {
			return auth.ErrUnauthenticated
		}
		if err := k.kafka.SetScram(ctx, c.Username, c.Mechanism, c.Password); err != nil {
			return fmt.Errorf("set Kafka credentials of %s: %w", c.Username, err)
		}
		return nil
	})
	if err != nil {
		return Credentials{}, err
	}
	return c, nil
}

// password derives a token's SCRAM password; it is never stored.
func (k *Keeper) password(tokenID string) string {
	mac := hmac.New(sha256.New, k.secret)
	mac.Write([]byte("kafka-scram/" + tokenID))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}
