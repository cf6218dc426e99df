// Package app is kds's application layer: what the API, the CLI and the
// Watermill handlers call. It knows nothing of MySQL, Kafka, HTTP or
// configuration files; adapters implement its ports.
package app

import (
	"github.com/kds-io/kds/app/access"
	"github.com/kds-io/kds/app/auth"
	"github.com/kds-io/kds/app/command"
	"github.com/kds-io/kds/app/query"
)

// Application is every use case, wired once in cmd/kds.
type Application struct {
	Commands Commands
	Queries  query.Queries
	Tokens   *auth.Tokens
	Sessions *auth.Sessions
	// Access keeps Kafka's ACLs and hands out Kafka credentials, with
	// kafka.manage_acls; nil without.
	Access *access.Keeper
}

// Commands are the use cases that change state.
type Commands struct {
	Issue         command.IssueHandler
	Apply         command.ApplyHandler
	TopicManager  command.TopicManager
	Subscriptions command.Subscriptions
	Poison        command.Poison
	Undeliverable command.UndeliverableHandler
}
