package live

import (
	"context"

	"github.com/kds-io/kds/app/auth"
)

// Readers decides who may read a topic's messages through the API: when
// kds manages Kafka's ACLs, those its grants let use the topic, and
// admins (app/access's Keeper).
type Readers interface {
	MayRead(ctx context.Context, by auth.Principal, topic string) error
}

// mayRead asks readers whether p may read topic; nil readers let every
// role read, as without managed ACLs.
func mayRead(ctx context.Context, readers Readers, p auth.Principal, topic string) error {
	if readers == nil {
		return nil
	}
	return readers.MayRead(ctx, p, topic)
}
