package mysql

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/kds-io/kds/app/command"
)

// keptReconciliations is how many reconciliations are kept.
const keptReconciliations = 50

// ReconciliationLog implements command.ReconciliationLog.
type ReconciliationLog struct {
	db *sql.DB
}

// NewReconciliationLog keeps reconciliations in db.
func NewReconciliationLog(db *sql.DB) *ReconciliationLog { return &ReconciliationLog{db: db} }

// Record implements command.ReconciliationLog.
func (l *ReconciliationLog) Record(ctx context.Context, r command.Reconciliation) error {
	findings, err := json.Marshal(r.Findings)
	if err != nil {
		return err
	}
	res, err := l.db.ExecContext(ctx, "INSERT INTO reconciliations (started_at, finished_at, checked, findings) VALUES (?, ?, ?, ?)",
		r.StartedAt, r.FinishedAt, r.Checked, findings)
	if err != nil {
		return fmt.Errorf("record reconciliation: %w", err)
	}
	id, _ := res.LastInsertId()
	_, err = l.db.ExecContext(ctx, "DELETE FROM reconciliations WHERE id <= ?", id-keptReconciliations)
	return err
}

// LatestReconciliation implements query.ReadModel.
func (m *ReadModel) LatestReconciliation(ctx context.Context) (command.Reconciliation, bool, error) {
	var (
		r        command.Reconciliation
		findings []byte
	)
	err := m.db.QueryRowContext(ctx, "SELECT started_at, finished_at, checked, findings FROM reconciliations ORDER BY id DESC LIMIT 1").
		Scan(&r.StartedAt, &r.FinishedAt, &r.Checked, &findings)
	if errors.Is(err, sql.ErrNoRows) {
		return r, false, nil
	}
	if err != nil {
		return r, false, fmt.Errorf("latest reconciliation: %w", err)
	}
	if err := json.Unmarshal(findings, &r.Findings); err != nil {
		return r, false, fmt.Errorf("stored reconciliation: %w", err)
	}
	return r, true, nil
}
