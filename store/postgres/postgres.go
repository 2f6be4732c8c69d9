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
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib" // also registers the "pgx" driver

	"github.com/meibo/meibo/store/sqlstore"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations are the PostgreSQL migrations, in name order.
var Migrations, _ = fs.Sub(migrationFiles, "migrations")

// Open connects to the PostgreSQL database at dsn (a postgres:// URL).
//
// Its statements are planned for their arguments, every time: pgx sends
// each as the unnamed statement (QueryExecModeCacheDescribe, unless dsn
// sets default_query_exec_mode), keeping only its description. Prepared
// and cached, after five runs PostgreSQL would reuse a generic plan, blind
// to the values; for a search that plan walks the whole group in name order
// whatever the pattern (a keyword matching 7 users of 1,000,000: 562 ms
// generic, 15 ms custom). Planning costs a fraction of a millisecond.
//
// The server's own cached plans keep their default: the foreign-key checks
// and the trigger functions. Forcing custom plans on the whole session
// instead (plan_cache_mode=force_custom_plan) plans every row's foreign-key
// check again, 10 µs a key: an import of 100,000 new users spends 1.0 s
// more on the keys of its list of changes, and more on the two keys of
// each user.
func Open(ctx context.Context, dsn string, maxConns int, opts sqlstore.Options) (*sqlstore.DB, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	if !strings.Contains(dsn, "default_query_exec_mode") {
		cfg.DefaultQueryExecMode = pgx.QueryExecModeCacheDescribe
	}
	db := stdlib.OpenDB(*cfg)
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

// Lock takes a transaction-scoped advisory lock named after resource and
// the schema the installation's tables are in. Advisory locks belong to the
// whole database: without the schema, two installations in schemas of one
// database (as the tests run) waited for each other's imports.
func (dialect) Lock(ctx context.Context, tx *sql.Tx, resource string) error {
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtext(current_schema() || '/meibo:' || $1))`, resource); err != nil {
		return fmt.Errorf("lock %s: %w", resource, err)
	}
	return nil
}

func (dialect) MaxParams() int { return 65535 }

// CopyFrom loads rows into table with COPY, on the pgx connection under
// conn (in the transaction open on it).
func (dialect) CopyFrom(ctx context.Context, conn *sql.Conn, table string, cols []string, rows [][]any) (int64, error) {
	var n int64
	err := conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("copy: not a pgx connection (%T)", dc)
		}
		var err error
		n, err = c.Conn().CopyFrom(ctx, pgx.Identifier{table}, cols, pgx.CopyFromRows(rows))
		return err
	})
	return n, err
}

// TextArray passes values as one text[] parameter (pgx encodes a []string).
func (dialect) TextArray(values []string) any { return values }

var (
	_ sqlstore.Copier = dialect{}
	_ sqlstore.Arrays = dialect{}
)

func (dialect) SkipLocked() string { return "FOR UPDATE SKIP LOCKED" }

// UnhurriedSQL lifts, for the rest of the transaction, the limits pg_dump
// lifts for its own connection.
func (dialect) UnhurriedSQL() string {
	return `SELECT set_config('statement_timeout', '0', true), set_config('lock_timeout', '0', true),
		set_config('idle_in_transaction_session_timeout', '0', true)`
}

// TableExists looks in meibo's own schema, the first of the search_path
// that exists (where CREATE TABLE puts a table). Found only in a later
// schema of the path, the table is an error, never a guess: taking it for
// meibo's own would let a new installation read another's data (a path
// that names another installation's schema after its own), and ignoring it
// would start a new, empty installation in front of the existing one (a
// schema named after the user, made after meibo was installed in public).
func (dialect) TableExists(ctx context.Context, db *sql.DB, name string) (bool, error) {
	var own sql.NullString
	var other sql.NullString
	if err := db.QueryRowContext(ctx, `SELECT current_schema(),
		(SELECT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		 WHERE c.relname = $1 AND c.relkind IN ('r', 'p') AND n.nspname = ANY (current_schemas(false))
		 ORDER BY array_position(current_schemas(false), n.nspname) LIMIT 1)`, name).Scan(&own, &other); err != nil {
		return false, fmt.Errorf("look for table %s: %w", name, err)
	}
	switch {
	case !other.Valid:
		return false, nil
	case own.Valid && other.String == own.String:
		return true, nil
	}
	return false, fmt.Errorf("meibo's tables are in schema %q, but the first schema of this connection's search_path is %q: "+
		"name %q first in the database URL (search_path=%s,…) to use that installation, or leave it out of the path to make a new one in %q",
		other.String, own.String, other.String, other.String, own.String)
}

// IndexScan runs fn with table scans off in the transaction, for a
// statement that asks the trigram index about a keyword: the planner's
// estimate for a pattern comes from a histogram of 100 names and overshoots
// mid-sized keywords (30,000 for the 7,417 users of "さくら"), for which a
// scan that stops at a bound of matches reads most of the table. The search
// asks only about keywords that a window of the name order showed not to be
// common, whose posting lists are short enough.
func (dialect) IndexScan(ctx context.Context, tx *sql.Tx, fn func() error) (err error) {
	var seqscan string
	if err := tx.QueryRowContext(ctx, `SELECT current_setting('enable_seqscan'), set_config('enable_seqscan', 'off', true)`).
		Scan(&seqscan, new(string)); err != nil {
		return err
	}
	defer func() {
		if _, rerr := tx.ExecContext(ctx, `SELECT set_config('enable_seqscan', $1, true)`, seqscan); rerr != nil && err == nil {
			err = rerr
		}
	}()
	return fn()
}

// Rebind leaves $n placeholders as they are: PostgreSQL's own.
func (dialect) Rebind(query string, args []any) (string, []any) { return query, args }

// Notify sends a notification at commit (pg_notify).
func (dialect) Notify(ctx context.Context, tx *sql.Tx, channel, payload string) error {
	if _, err := tx.ExecContext(ctx, `SELECT pg_notify($1, $2)`, channel, payload); err != nil {
		return fmt.Errorf("notify %s: %w", channel, err)
	}
	return nil
}

// Listen holds one connection that LISTENs on channel and calls fn with
// every payload until ctx ends; a lost connection is replaced after a short
// wait.
func (dialect) Listen(ctx context.Context, db *sql.DB, channel string, fn func(string)) error {
	for ctx.Err() == nil {
		err := listenOnce(ctx, db, channel, fn)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(time.Second):
			}
		}
	}
	return nil
}

func listenOnce(ctx context.Context, db *sql.DB, channel string, fn func(string)) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		pc := dc.(*stdlib.Conn).Conn()
		if _, err := pc.Exec(ctx, "LISTEN "+pgx.Identifier{channel}.Sanitize()); err != nil {
			return err
		}
		for {
			n, err := pc.WaitForNotification(ctx)
			if err != nil {
				return err
			}
			fn(n.Payload)
		}
	})
}
