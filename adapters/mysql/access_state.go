package mysql

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/kds-io/kds/app/access"
	"github.com/kds-io/kds/app/auth"
	"github.com/kds-io/kds/app/topic"
)

// AccessState implements access.StateReader.
type AccessState struct {
	db *sql.DB
}

// NewAccessState reads from db.
func NewAccessState(db *sql.DB) *AccessState { return &AccessState{db: db} }

// AccessState implements access.StateReader: every topic, subscription
// and live token, read in one transaction so they agree.
func (s *AccessState) AccessState(ctx context.Context) (access.State, error) {
	var st access.State
	err := inTx(ctx, s.db, func(tx *sql.Tx) error {
		var err error
		if st.Topics, err = queryAll(ctx, tx, "SELECT name, generation, status, owner, COALESCE(producers, ''), COALESCE(consumers, '') FROM topics", scanAccessTopic); err != nil {
			return fmt.Errorf("read topics: %w", err)
		}
		if st.Subscriptions, err = queryAll(ctx, tx, "SELECT consumer_id, topic, generation FROM subscriptions", func(r rowScanner) (access.Subscription, error) {
			var sub access.Subscription
			return sub, r.Scan(&sub.ConsumerID, &sub.Topic, &sub.Generation)
		}); err != nil {
			return fmt.Errorf("read subscriptions: %w", err)
		}
		if st.Tokens, err = queryAll(ctx, tx, "SELECT id, name, role, consumers FROM tokens WHERE revoked_at IS NULL", scanAccessToken); err != nil {
			return fmt.Errorf("read tokens: %w", err)
		}
		return nil
	})
	return st, err
}

func scanAccessTopic(r rowScanner) (access.Topic, error) {
	var (
		t                            access.Topic
		status, producers, consumers string
	)
	if err := r.Scan(&t.Name, &t.Generation, &status, &t.Owner, &producers, &consumers); err != nil {
		return t, err
	}
	st, err := topic.ParseStatus(status)
	if err != nil {
		return t, fmt.Errorf("stored topic %q: %w", t.Name, err)
	}
	t.Status, t.Producers, t.Consumers = st, parseNameList(producers), parseNameList(consumers)
	return t, nil
}

func scanAccessToken(r rowScanner) (access.Token, error) {
	var (
		t               access.Token
		role, consumers string
	)
	if err := r.Scan(&t.ID, &t.Name, &role, &consumers); err != nil {
		return t, err
	}
	parsed, err := auth.ParseRole(role)
	if err != nil {
		return t, fmt.Errorf("stored token %s: %w", t.ID, err)
	}
	t.Role, t.Consumers = parsed, parseNameList(consumers)
	return t, nil
}

// queryAll runs a query in tx and scans every row.
func queryAll[T any](ctx context.Context, tx *sql.Tx, q string, scan func(rowScanner) (T, error)) ([]T, error) {
	rows, err := tx.QueryContext(ctx, q)
	if err != nil {
		return nil, err
	}
	return collect(rows, scan)
}
