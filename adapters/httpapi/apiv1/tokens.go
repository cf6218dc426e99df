package apiv1

import (
	"time"

	"github.com/kds-io/kds/app/auth"
)

// Whoami is who a token or a dashboard session belongs to.
type Whoami struct {
	Name string    `json:"name"`
	Role auth.Role `json:"role"`
}

// TokenRequest asks for a new API token.
type TokenRequest struct {
	Name string    `json:"name"`
	Role auth.Role `json:"role"`
	// Consumers are the consumer ids a consumer's token acts for; by
	// default the one that is its name.
	Consumers []string `json:"consumers,omitempty"`
}

// TokenView describes a token; Secret is only set when it is created.
type TokenView struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	Role      auth.Role  `json:"role"`
	Consumers []string   `json:"consumers,omitempty"`
	CreatedBy string     `json:"created_by"`
	CreatedAt time.Time  `json:"created_at"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
	LastUsed  *time.Time `json:"last_used,omitempty"`
	Secret    string     `json:"token,omitempty"`
	// Bootstrap marks the bootstrap admin token of the server's
	// configuration (id "bootstrap"): created_at and last_used are those
	// of the server process that answered.
	Bootstrap bool `json:"bootstrap,omitempty"`
}

// SessionRequest signs in to the dashboard with an API token.
type SessionRequest struct {
	Token string `json:"token"`
}
