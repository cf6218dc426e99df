package mysql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/go-sql-driver/mysql"
)

// MySQL error numbers kds reacts to.
const (
	errDuplicateKey    = 1062
	errLockWaitTimeout = 1205
	errDeadlock        = 1213
)

// maxTxAttempts bounds retries of a transaction that lost a deadlock.
const maxTxAttempts = 8

// inTx runs fn in a transaction and commits when fn returns nil. A
// transaction that InnoDB chose as a deadlock victim is run again from the
// start, so fn must only depend on what it reads inside the transaction.
func inTx(ctx context.Context, db *sql.DB, fn func(tx *sql.Tx) error) error {
	for attempt := 1; ; attempt++ {
		err := runTx(ctx, db, fn)
		if attempt < maxTxAttempts && isMySQLError(err, errDeadlock, errLockWaitTimeout) {
			select {
			case <-time.After(time.Duration(rand.IntN(5*attempt)+1) * time.Millisecond):
				continue
			case <-ctx.Done():
				return errors.Join(err, ctx.Err())
			}
		}
		return err
	}
}

func runTx(ctx context.Context, db *sql.DB, fn func(tx *sql.Tx) error) (err error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, ignoreDone(tx.Rollback()))
		}
	}()
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

func ignoreDone(err error) error {
	if errors.Is(err, sql.ErrTxDone) {
		return nil
	}
	return err
}

func isMySQLError(err error, numbers ...uint16) bool {
	var me *mysql.MySQLError
	if !errors.As(err, &me) {
		return false
	}
	for _, n := range numbers {
		if me.Number == n {
			return true
		}
	}
	return false
}
