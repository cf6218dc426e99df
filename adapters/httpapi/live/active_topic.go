package live

import (
	"context"

	"github.com/kds-io/kds/app/auth"
	"github.com/kds-io/kds/app/content"
	"github.com/kds-io/kds/app/query"
	"github.com/kds-io/kds/app/topic"
)

// requireActive reports whether p may see topic name and it is active: the
// lookup's error, or a content.NotActiveError.
func requireActive(ctx context.Context, queries query.Queries, p auth.Principal, name string) error {
	t, err := queries.Topic(ctx, p, name)
	if err != nil {
		return err
	}
	if t.Status != topic.Active {
		return &content.NotActiveError{Topic: name, Status: t.Status}
	}
	return nil
}
