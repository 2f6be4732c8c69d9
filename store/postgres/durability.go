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
