package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// nullTime turns a scanned nullable time into a pointer in UTC.
func nullTime(n sql.Null[time.Time]) *time.Time {
	if !n.Valid {
		return nil
	}
	t := n.V.UTC()
	return &t
}

// placeholders returns "($n, $n+1, ...)" groups for rows×cols parameters,
// starting at $start, with per-column casts where given.
func (t *Tx) valuesList(rows, cols, start int, casts []string) string {
	var b strings.Builder
	n := start
	for r := 0; r < rows; r++ {
		if r > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		for c := 0; c < cols; c++ {
			if c > 0 {
				b.WriteString(", ")
			}
			ph := "$" + strconv.Itoa(n)
			if casts != nil && casts[c] != "" {
				ph = t.d.Cast(ph, casts[c])
			}
			b.WriteString(ph)
			n++
		}
		b.WriteByte(')')
	}
	return b.String()
}

// batchSize is how many rows of cols columns go into one statement.
func (t *Tx) batchSize(cols int) int {
	n := t.d.MaxParams() / cols
	if n > 500 {
		n = 500
	}
	return n
}

// inList returns "$start, $start+1, ..." for n parameters.
func inList(n, start int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("$" + strconv.Itoa(start+i))
	}
	return b.String()
}

// exec runs a statement and wraps its error with what was being done.
func (t *Tx) exec(ctx context.Context, what, query string, args ...any) (sql.Result, error) {
	res, err := t.tx.ExecContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return res, nil
}

// affected returns the rows a result changed.
func affected(res sql.Result) int64 {
	n, err := res.RowsAffected()
	if err != nil {
		return 0
	}
	return n
}

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}
