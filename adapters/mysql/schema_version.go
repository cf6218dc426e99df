package mysql

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"
)

// SchemaVersion is a database's schema version beside the newest one this
// kds carries, for kds doctor.
type SchemaVersion struct {
	// Current is the newest migration applied; 0 for an empty database.
	Current int64
	// Latest is the newest migration embedded in this binary.
	Latest int64
}

// ReadSchemaVersion reads the applied version without changing anything:
// unlike Migrate, it creates no table in a database that has none.
func ReadSchemaVersion(ctx context.Context, db *sql.DB) (SchemaVersion, error) {
	latest, err := latestMigration()
	if err != nil {
		return SchemaVersion{}, err
	}
	v := SchemaVersion{Latest: latest}
	var tables int
	err = db.QueryRowContext(ctx, "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = 'schema_migrations'").Scan(&tables)
	if err != nil {
		return SchemaVersion{}, fmt.Errorf("read schema version: %w", err)
	}
	if tables == 0 {
		return v, nil
	}
	if err := db.QueryRowContext(ctx, "SELECT COALESCE(MAX(version_id), 0) FROM schema_migrations WHERE is_applied").Scan(&v.Current); err != nil {
		return SchemaVersion{}, fmt.Errorf("read schema version: %w", err)
	}
	return v, nil
}

// latestMigration is the version of the newest embedded migration, from
// its file name (00003_name.sql is version 3).
func latestMigration() (int64, error) {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return 0, err
	}
	var latest int64
	for _, name := range names {
		prefix, _, _ := strings.Cut(path.Base(name), "_")
		n, err := strconv.ParseInt(prefix, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("migration %s: no version number", name)
		}
		latest = max(latest, n)
	}
	return latest, nil
}
