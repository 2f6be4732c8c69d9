package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

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

func TestTextTime(t *testing.T) {
	want := time.Date(2024, 7, 1, 12, 30, 45, 123456000, time.UTC)
	tokyo := time.FixedZone("JST", 9*3600)
	for _, v := range []any{
		want,
		want.In(tokyo),
		"2024-07-01 12:30:45.123456+00:00", // the driver's layout (_time_format=sqlite)
		"2024-07-01 21:30:45.123456+09:00",
		[]byte("2024-07-01 12:30:45.123456+00:00"),
		"2024-07-01 12:30:45.123456 +0000 UTC",                // time.Time's String, as the driver wrote by default
		"2024-07-01 21:30:45.123456 +0900 JST m=+0.000012345", // … with a monotonic reading
		"2024-07-01T12:30:45.123456Z",
		"2024-07-01 12:30:45.123456",
	} {
		var got textTime
		if err := got.Scan(v); err != nil || !got.valid || !got.t.Equal(want) || got.t.Location() != time.UTC {
			t.Errorf("Scan(%v) = %v %v (%v), want %v in UTC", v, got.t, got.valid, err, want)
		}
	}
	got := textTime{want, true}
	if err := got.Scan(nil); err != nil || got.valid || got.ptr() != nil {
		t.Errorf("Scan(nil) = %+v, %v", got, err)
	}
	for _, v := range []any{"yesterday", "2024-13-01 00:00:00+00:00", 42} {
		if err := got.Scan(v); err == nil {
			t.Errorf("Scan(%v) = %v, want an error", v, got.t)
		}
	}
}
