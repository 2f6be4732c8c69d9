package postgres

import (
	"context"
	"database/sql"
	"fmt"
)

// Durability reads fsync and synchronous_commit as a session of meibo sees
// them (a DSN may set synchronous_commit for its connections): with fsync
// off a crash can corrupt the database, with synchronous_commit off a
// commit that meibo answered can be lost.
func (dialect) Durability(ctx context.Context, _, write *sql.DB) ([]string, error) {
	var fsync, syncCommit string
	if err := write.QueryRowContext(ctx, `SELECT current_setting('fsync'), current_setting('synchronous_commit')`).
		Scan(&fsync, &syncCommit); err != nil {
		return nil, fmt.Errorf("read the durability settings: %w", err)
	}
	var problems []string
	if fsync != "on" {
		problems = append(problems, "PostgreSQL fsync is "+fsync)
	}
	if syncCommit == "off" {
		problems = append(problems, "PostgreSQL synchronous_commit is off")
	}
	return problems, nil
}

// ReadOnly says why the server takes no writes on this connection: a
// standby (in recovery), or transactions read-only by default (the
// database's, the user's or the URL's default_transaction_read_only).
func (dialect) ReadOnly(ctx context.Context, db *sql.DB) (string, error) {
	var recovery bool
	var readOnly string
	if err := db.QueryRowContext(ctx, `SELECT pg_is_in_recovery(), current_setting('default_transaction_read_only')`).Scan(&recovery, &readOnly); err != nil {
		return "", fmt.Errorf("read whether the database takes writes: %w", err)
	}
	switch {
	case recovery:
		return "the server is a standby (in recovery): point the database URL at the primary", nil
	case readOnly == "on":
		return "its transactions are read-only (default_transaction_read_only is on for this database, user or URL)", nil
	}
	return "", nil
}
