package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// Durability reads back, on the writer and on a reader, the pragmas every
// connection is opened with: WAL, synchronous=FULL (2), foreign keys and a
// busy timeout. A pragma the driver or the file system did not take (WAL on
// a network file system, say) shows here instead of going unnoticed.
func (dialect) Durability(ctx context.Context, read, write *sql.DB) ([]string, error) {
	var problems []string
	for _, c := range []struct {
		name string
		db   *sql.DB
	}{{"writer", write}, {"reader", read}} {
		var journal string
		var sync, fk, busy int
		conn, err := c.db.Conn(ctx)
		if err != nil {
			return nil, fmt.Errorf("read the pragmas of the %s: %w", c.name, err)
		}
		err = conn.QueryRowContext(ctx, `SELECT (SELECT journal_mode FROM pragma_journal_mode), (SELECT synchronous FROM pragma_synchronous),
			(SELECT foreign_keys FROM pragma_foreign_keys), (SELECT timeout FROM pragma_busy_timeout)`).Scan(&journal, &sync, &fk, &busy)
		conn.Close()
		if err != nil {
			return nil, fmt.Errorf("read the pragmas of the %s: %w", c.name, err)
		}
		if !strings.EqualFold(journal, "wal") {
			problems = append(problems, fmt.Sprintf("SQLite journal_mode is %s on the %s, not wal", journal, c.name))
		}
		if sync != 2 {
			problems = append(problems, fmt.Sprintf("SQLite synchronous is %d on the %s, not 2 (FULL)", sync, c.name))
		}
		if fk != 1 {
			problems = append(problems, fmt.Sprintf("SQLite foreign_keys is off on the %s", c.name))
		}
		if busy <= 0 {
			problems = append(problems, fmt.Sprintf("SQLite busy_timeout is %d on the %s", busy, c.name))
		}
	}
	return problems, nil
}
