// Package postgres opens meibo's store on PostgreSQL through pgx's
// database/sql driver. The SQL itself is shared with SQLite in store/sqlstore;
// this package holds the PostgreSQL migrations and what differs.
package postgres

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver

	"github.com/meibo/meibo/store/sqlstore"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations are the PostgreSQL migrations, in name order.
var Migrations, _ = fs.Sub(migrationFiles, "migrations")

// Open connects to the PostgreSQL database at dsn (a postgres:// URL).
func Open(ctx context.Context, dsn string, maxConns int, opts sqlstore.Options) (*sqlstore.DB, error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	if maxConns <= 0 {
		maxConns = 10
	}
	db.SetMaxOpenConns(maxConns)
	db.SetMaxIdleConns(maxConns)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to postgres: %w", err)
	}
	return sqlstore.New(db, db, dialect{}, Migrations, opts), nil
}

type dialect struct{}

func (dialect) Name() string { return "postgres" }

func code(err error) string {
	var e *pgconn.PgError
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// Error codes of PostgreSQL (Appendix A).
const (
	uniqueViolation     = "23505"
	foreignKeyViolation = "23503"
)

func (dialect) IsUnique(err error) bool     { return code(err) == uniqueViolation }
func (dialect) IsForeignKey(err error) bool { return code(err) == foreignKeyViolation }

func (dialect) Cast(placeholder, sqlType string) string { return placeholder + "::" + sqlType }

// Lock takes a transaction-scoped advisory lock named after resource.
func (dialect) Lock(ctx context.Context, tx *sql.Tx, resource string) error {
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtext($1))`, "meibo:"+resource); err != nil {
		return fmt.Errorf("lock %s: %w", resource, err)
	}
	return nil
}

func (dialect) MaxParams() int { return 65535 }

func (dialect) SkipLocked() string { return "FOR UPDATE SKIP LOCKED" }

func (dialect) TableExists(ctx context.Context, db *sql.DB, name string) (bool, error) {
	var ok bool
	if err := db.QueryRowContext(ctx, `SELECT to_regclass($1) IS NOT NULL`, name).Scan(&ok); err != nil {
		return false, fmt.Errorf("look for table %s: %w", name, err)
	}
	return ok, nil
}

// SearchIDs leaves keyword matching to the main query: the planner chooses
// between the trigram index and the name index with its statistics.
func (dialect) SearchIDs(context.Context, *sql.Tx, string, int) ([]int64, bool, error) {
	return nil, false, nil
}

// Rebind leaves $n placeholders as they are: PostgreSQL's own.
func (dialect) Rebind(query string, args []any) (string, []any) { return query, args }
