package mysql

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"log/slog"
	"time"

	"github.com/pressly/goose/v3"
)

//go:embed migrations/*.sql
var migrations embed.FS

// migrationLock serializes instances that start together on a new
// database; one waits up to migrationLockWait for another to finish.
const (
	migrationLock     = "kds.migrate"
	migrationLockWait = time.Minute
)

// Migrate brings the schema up to date; several processes may call it at
// once.
func Migrate(ctx context.Context, db *sql.DB, log *slog.Logger) error {
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return err
	}
	provider, err := goose.NewProvider(goose.DialectMySQL, db, fsys, goose.WithTableName("schema_migrations"))
	if err != nil {
		return fmt.Errorf("load migrations: %w", err)
	}
	release, ok, err := namedLock(ctx, db, migrationLock, migrationLockWait)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if !ok {
		return fmt.Errorf("migrate: another process held the migration lock for %.0f s", migrationLockWait.Seconds())
	}
	defer release()
	results, err := provider.Up(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	for _, r := range results {
		log.Info("applied migration", "version", r.Source.Version, "file", r.Source.Path, "duration", r.Duration)
	}
	return nil
}
