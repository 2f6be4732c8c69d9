package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
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

// textTime scans a time the driver hands over as a time.Time (PostgreSQL)
// or as the text it stored (SQLite, for a column read through an
// expression), in UTC. SQLite's driver writes times in timeTextLayout
// (_time_format=sqlite); text in another layout goes through the layouts the
// driver reads.
type textTime struct {
	t     time.Time
	valid bool
}

const timeTextLayout = "2006-01-02 15:04:05.999999999-07:00"

// timeTextLayouts are the layouts modernc.org/sqlite reads times in, after
// time.Time's String form.
var timeTextLayouts = []string{"2006-01-02 15:04:05.999999999 -0700 MST", timeTextLayout,
	"2006-01-02T15:04:05.999999999-07:00", "2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04", "2006-01-02T15:04", "2006-01-02"}

func (s *textTime) Scan(v any) error {
	switch v := v.(type) {
	case nil:
		*s = textTime{}
		return nil
	case time.Time:
		*s = textTime{v.UTC(), true}
		return nil
	case []byte:
		return s.parse(string(v))
	case string:
		return s.parse(v)
	}
	return fmt.Errorf("a time stored as %T", v)
}

func (s *textTime) parse(text string) error {
	if t, err := time.Parse(timeTextLayout, text); err == nil {
		*s = textTime{t.UTC(), true}
		return nil
	}
	if i := strings.Index(text, " m="); i > 0 {
		text = text[:i] // time.Time's String with a monotonic reading
	}
	zoned := strings.TrimSuffix(text, "Z")
	for _, layout := range timeTextLayouts {
		if t, err := time.Parse(layout, zoned); err == nil {
			*s = textTime{t.UTC(), true}
			return nil
		}
	}
	return fmt.Errorf("time %q in none of the driver's layouts", text)
}

// ptr is the time, or nil for NULL.
func (s textTime) ptr() *time.Time {
	if !s.valid {
		return nil
	}
	return &s.t
}

// placeholders returns "($n, $n+1, ...)" groups for rows×cols parameters,
// starting at $start, with per-column casts where given.
func (t *Tx) valuesList(rows, cols, start int, casts []string) string {
	key := valuesKey{dialect: t.d.Name(), rows: rows, cols: cols, start: start, casts: strings.Join(casts, "\x00")}
	valuesLists.Lock()
	s, ok := valuesLists.m[key]
	valuesLists.Unlock()
	if ok {
		return s
	}
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
	s = b.String()
	valuesLists.Lock()
	if len(valuesLists.m) >= 64 {
		clear(valuesLists.m)
	}
	valuesLists.m[key] = s
	valuesLists.Unlock()
	return s
}

// valuesLists keeps the last lists valuesList wrote: a bulk write asks for
// the same one (its batch size) hundreds of times, and writing a list of
// thousands of placeholders cost an import of new users a twentieth of its
// time on SQLite. The cache starts again when it holds 64.
var valuesLists = struct {
	sync.Mutex
	m map[valuesKey]string
}{m: map[valuesKey]string{}}

type valuesKey struct {
	dialect           string
	rows, cols, start int
	casts             string
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
	res, err := t.execContext(ctx, query, args...)
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

// execContext, queryContext and queryRowContext run a statement written with
// $1, $2… placeholders, rewritten by the dialect where the engine wants
// others.
//
// Statements with many parameters (the batches of bulk writes and lookups)
// are prepared once per transaction and reused: parsing a statement of
// thousands of placeholders costs more than running it.
func (t *Tx) execContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st, args, err := t.prepared(ctx, query, args); err != nil {
		return nil, err
	} else if st != nil {
		return st.ExecContext(ctx, args...)
	}
	query, args = t.d.Rebind(query, args)
	return t.tx.ExecContext(ctx, query, args...)
}

func (t *Tx) queryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st, args, err := t.prepared(ctx, query, args); err != nil {
		return nil, err
	} else if st != nil {
		return st.QueryContext(ctx, args...)
	}
	query, args = t.d.Rebind(query, args)
	return t.tx.QueryContext(ctx, query, args...)
}

func (t *Tx) queryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	query, args = t.d.Rebind(query, args)
	return t.tx.QueryRowContext(ctx, query, args...)
}

// preparedMinArgs is how many arguments make a statement worth keeping.
const preparedMinArgs = 200

// preparedStmt is a statement prepared in a transaction, kept under the
// query as written ($1, $2…), with how the dialect's rewriting orders the
// arguments: the batches of a bulk write run the same statement hundreds
// of times, and rewriting tens of thousands of characters for each cost
// an import of new users a fortieth of its time on SQLite.
type preparedStmt struct {
	st    *sql.Stmt
	order []int // the statement's arguments by their index in the call's; nil: the same
}

// prepared returns the transaction's prepared statement for query and the
// arguments to run it with, or a nil statement when the statement is small
// enough to run unprepared.
func (t *Tx) prepared(ctx context.Context, query string, args []any) (*sql.Stmt, []any, error) {
	if len(args) < preparedMinArgs {
		return nil, args, nil
	}
	p := t.stmts[query]
	if p == nil {
		// The rewriting of the indexes 0…n-1 tells where each argument goes.
		index := make([]any, len(args))
		for i := range index {
			index[i] = i
		}
		rebound, moved := t.d.Rebind(query, index)
		st, err := t.tx.PrepareContext(ctx, rebound)
		if err != nil {
			return nil, nil, err
		}
		p = &preparedStmt{st: st}
		order := make([]int, len(moved))
		same := len(moved) == len(args)
		for j, i := range moved {
			order[j] = i.(int)
			same = same && order[j] == j
		}
		if !same {
			p.order = order
		}
		if t.stmts == nil {
			t.stmts = map[string]*preparedStmt{}
		}
		t.stmts[query] = p
	}
	if p.order == nil {
		return p.st, args, nil
	}
	out := make([]any, len(p.order))
	for j, i := range p.order {
		out[j] = args[i]
	}
	return p.st, out, nil
}

// RebindPositional rewrites $1, $2… placeholders into anonymous ? ones,
// repeating or reordering the arguments to match. SQLite looks named and
// numbered parameters up in a list, which costs time in the square of their
// number in the big statements of bulk imports; anonymous ones cost nothing.
// Placeholders inside quoted literals or identifiers are left alone.
func RebindPositional(query string, args []any) (string, []any) {
	if !strings.Contains(query, "$") {
		return query, args
	}
	var b strings.Builder
	b.Grow(len(query))
	out := make([]any, 0, len(args))
	var quote byte
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '$' && i+1 < len(query) && query[i+1] >= '0' && query[i+1] <= '9':
			j := i + 1
			n := 0
			for j < len(query) && query[j] >= '0' && query[j] <= '9' {
				n = n*10 + int(query[j]-'0')
				j++
			}
			if n >= 1 && n <= len(args) {
				b.WriteByte('?')
				out = append(out, args[n-1])
				i = j - 1
				continue
			}
		}
		b.WriteByte(c)
	}
	return b.String(), out
}

// conds builds the conditions of a query and their numbered arguments.
type conds struct {
	where []string
	args  []any
}

// arg adds an argument and returns its placeholder ($n).
func (c *conds) arg(v any) string {
	c.args = append(c.args, v)
	return "$" + strconv.Itoa(len(c.args))
}

// add adds a condition.
func (c *conds) add(cond string) { c.where = append(c.where, cond) }

// list adds each value as an argument and returns their placeholders,
// separated by commas.
func (c *conds) list(values []string) string {
	ph := make([]string, len(values))
	for i, v := range values {
		ph[i] = c.arg(v)
	}
	return strings.Join(ph, ", ")
}

// sql is " WHERE a AND b", or "" without conditions.
func (c *conds) sql() string {
	if len(c.where) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(c.where, " AND ")
}

// scanner is a row to scan: *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

// all runs a query and reads every row with scan; what names the reading in
// errors.
func all[T any](ctx context.Context, t *Tx, scan func(scanner) (T, error), what, query string, args ...any) ([]T, error) {
	rows, err := t.queryContext(ctx, query, args...)
	return collect(rows, err, scan, what)
}

// collect reads every row of rows (the result of a query that returned err)
// with scan, and closes them.
func collect[T any](rows *sql.Rows, err error, scan func(scanner) (T, error), what string) ([]T, error) {
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return out, nil
}

// one runs a query for a single row and reads it with scan; no row is
// notFound, and what names the reading in other errors.
func one[T any](ctx context.Context, t *Tx, scan func(scanner) (T, error), notFound error, what, query string, args ...any) (T, error) {
	v, err := scan(t.queryRowContext(ctx, query, args...))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		var zero T
		return zero, notFound
	case err != nil:
		var zero T
		return zero, fmt.Errorf("%s: %w", what, err)
	}
	return v, nil
}
