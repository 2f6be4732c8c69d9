// Package store opens meibo's storage by DSN: a postgres:// (or
// postgresql://) URL selects PostgreSQL, anything else is a SQLite file path.
package store

import (
	"context"
	"strings"

	"github.com/meibo/meibo/store/postgres"
	"github.com/meibo/meibo/store/sqlite"
	"github.com/meibo/meibo/store/sqlstore"
)

// Options configure the store.
type Options = sqlstore.Options

// IsPostgres reports whether dsn names a PostgreSQL database.
func IsPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// Open opens the database named by dsn. It does not migrate.
func Open(ctx context.Context, dsn string, opts Options) (*sqlstore.DB, error) {
	if IsPostgres(dsn) {
		return postgres.Open(ctx, dsn, 0, opts)
	}
	return sqlite.Open(ctx, dsn, opts)
}
