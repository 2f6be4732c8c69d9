package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"

	_ "modernc.org/sqlite"
)

// positional is a dialect that rewrites placeholders as SQLite's does.
type positional struct{ Dialect }

func (positional) Name() string { return "sqlite" }
func (positional) Rebind(q string, args []any) (string, []any) {
	return RebindPositional(q, args)
}

// TestPreparedArguments runs statements big enough to be kept prepared
// whose placeholders the dialect reorders and repeats, each twice with
// other values: the kept statement must take the arguments where the first
// rewriting put them.
func TestPreparedArguments(t *testing.T) {
	ctx := context.Background()
	db, err := sql.Open("sqlite", "file:"+t.TempDir()+"/p.db")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	sqlTx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer sqlTx.Rollback()
	tx := &Tx{tx: sqlTx, d: positional{}}
	if _, err := tx.execContext(ctx, `CREATE TABLE t (a INTEGER, b INTEGER, c INTEGER)`); err != nil {
		t.Fatal(err)
	}
	const n = preparedMinArgs + 10
	// $1 is the tag of every row, and the values come in reverse order:
	// (tag, $n, $n-1), (tag, $n-2, $n-3)… down to $3; $2 is not used.
	var rows []string
	for i := n; i > 2; i -= 2 {
		rows = append(rows, fmt.Sprintf("($1, $%d, $%d)", i, i-1))
	}
	insert := `INSERT INTO t (a, b, c) VALUES ` + strings.Join(rows, ", ")
	for round := range 2 {
		args := make([]any, n)
		args[0] = 1000 * (round + 1)
		for i := 1; i < n; i++ {
			args[i] = i + 1 + 1000*round
		}
		if _, err := tx.execContext(ctx, insert, args...); err != nil {
			t.Fatal(err)
		}
	}
	if len(tx.stmts) != 1 {
		t.Fatalf("%d statements kept, want the one", len(tx.stmts))
	}
	// Ask for the rows back with more than preparedMinArgs placeholders too,
	// in an order the rewriting repeats.
	var in []string
	for i := 2; i <= n; i++ {
		in = append(in, fmt.Sprintf("$%d", i))
	}
	query := `SELECT a, b, c FROM t WHERE (a = $1 OR a = $1) AND b IN (` + strings.Join(in, ", ") + `) ORDER BY b`
	for round := range 2 {
		args := make([]any, n)
		args[0] = 1000 * (round + 1)
		for i := 1; i < n; i++ {
			args[i] = i + 1 + 1000*round
		}
		rs, err := tx.queryContext(ctx, query, args...)
		if err != nil {
			t.Fatal(err)
		}
		got := 0
		for rs.Next() {
			var a, b, c int
			if err := rs.Scan(&a, &b, &c); err != nil {
				t.Fatal(err)
			}
			// Row (tag, $i, $i-1) holds the values i and i-1 of its round.
			if a != 1000*(round+1) || c != b-1 || (b-1000*round)%2 != 0 {
				t.Errorf("round %d: row (%d, %d, %d)", round, a, b, c)
			}
			got++
		}
		if err := rs.Err(); err != nil {
			t.Fatal(err)
		}
		rs.Close()
		if want := (n - 2) / 2; got != want {
			t.Errorf("round %d: %d rows, want %d", round, got, want)
		}
	}
}
