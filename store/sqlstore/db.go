// Package sqlstore implements meibo.Store once, on database/sql, for every SQL
// engine. The engines (store/sqlite, store/postgres) open the connections,
// carry their own migrations and supply a Dialect for the few places where
// SQL differs.
//
// It imports the domain package only; no HTTP, no CSV, no service rules:
// authorization and validation happen above storage.
package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strings"
	"time"

	"github.com/meibo/meibo"
)

// Dialect is what differs between engines.
type Dialect interface {
	// Name is "sqlite" or "postgres".
	Name() string
	// IsUnique reports whether err is a unique (or primary key) violation,
	// by the driver's error code.
	IsUnique(err error) bool
	// IsForeignKey reports whether err is a foreign-key violation.
	IsForeignKey(err error) bool
	// Cast returns a placeholder cast to an SQL type where the engine needs
	// it in a VALUES list ("$3::timestamptz" on PostgreSQL, "$3" on SQLite).
	Cast(placeholder, sqlType string) string
	// Lock serialises transactions that change resource (a no-op where the
	// engine has one writer at a time).
	Lock(ctx context.Context, tx *sql.Tx, resource string) error
	// MaxParams is how many bind parameters one statement may have.
	MaxParams() int
	// SkipLocked is the clause that makes a claiming SELECT skip rows that
	// another transaction holds ("FOR UPDATE SKIP LOCKED"), or "".
	SkipLocked() string
	// Rebind rewrites a statement written with $1, $2… placeholders and its
	// arguments into what the engine prefers.
	Rebind(query string, args []any) (string, []any)
	// Notify sends a notification at commit (PostgreSQL), or nothing.
	Notify(ctx context.Context, tx *sql.Tx, channel, payload string) error
	// Listen delivers notifications until ctx ends (PostgreSQL), or
	// returns nil at once.
	Listen(ctx context.Context, db *sql.DB, channel string, fn func(string)) error
	// TableExists reports whether a table of that name exists.
	TableExists(ctx context.Context, db *sql.DB, name string) (bool, error)
	// Durability reads back the settings that a committed transaction
	// survives a crash or power loss by, and lists those that are unsafe.
	Durability(ctx context.Context, read, write *sql.DB) ([]string, error)
}

// Options configure a DB.
type Options struct {
	// Clock returns the current time; nil means time.Now.
	Clock func() time.Time
	// Bulk tunes a SQLite store for a process that writes in bulk and
	// exits (the command line's import): no memory-mapped reads, whose
	// pages would count as the process's memory.
	Bulk bool
}

// DB is a meibo.Store on one engine. Reads run on the read pool; writes on the
// write pool (one connection on SQLite, so writes queue instead of failing).
type DB struct {
	read, write *sql.DB
	dialect     Dialect
	migrations  fs.FS
	clock       func() time.Time
	observe     func(kind string, took time.Duration, err error) // see ObserveTx
	sample      *textSample                                      // of the trigram index's text (see indexParts)
}

var _ meibo.Store = (*DB)(nil)
var _ meibo.Tx = (*Tx)(nil)

// New returns a store over the given pools (read may equal write) with the
// engine's migrations.
func New(read, write *sql.DB, d Dialect, migrations fs.FS, opts Options) *DB {
	clock := opts.Clock
	if clock == nil {
		clock = time.Now
	}
	return &DB{read: read, write: write, dialect: d, migrations: migrations, clock: clock, sample: &textSample{}}
}

// Unhurrier is implemented by dialects whose server may end a statement or a
// transaction that runs long (PostgreSQL's statement_timeout, lock_timeout
// and idle_in_transaction_session_timeout, which a database administrator
// may set for meibo's user).
type Unhurrier interface {
	// UnhurriedSQL is the statement that lifts those limits for the rest
	// of the transaction it runs in.
	UnhurriedSQL() string
}

// Unhurried lifts the server's time limits for the rest of the transaction:
// for the work that is long by nature (a backup read while a slow client
// downloads it, a restore, a migration's index build over every user), as
// pg_dump lifts them for its own. Elsewhere the limits hold.
func (t *Tx) Unhurried(ctx context.Context) error {
	u, ok := t.d.(Unhurrier)
	if !ok {
		return nil
	}
	if _, err := t.tx.ExecContext(ctx, u.UnhurriedSQL()); err != nil {
		return fmt.Errorf("lift the time limits of the transaction: %w", err)
	}
	return nil
}

// MigrationChecker is implemented by dialects that check, before the first
// pending migration runs, what the migrations need of the server and its
// settings, so that a missing piece is told as such instead of as the SQL
// error of a migration.
type MigrationChecker interface {
	// CheckMigrate returns an error a person can act on when a pending
	// migration could not apply, or nil.
	CheckMigrate(ctx context.Context, db *sql.DB) error
}

// Migrate applies the engine's pending migrations and returns their names.
func (db *DB) Migrate(ctx context.Context) ([]string, error) {
	if c, ok := db.dialect.(MigrationChecker); ok {
		_, pending, err := db.MigrationStatus(ctx)
		if err != nil {
			return nil, err
		}
		if len(pending) > 0 {
			if err := c.CheckMigrate(ctx, db.write); err != nil {
				return nil, err
			}
		}
	}
	prelude := ""
	if u, ok := db.dialect.(Unhurrier); ok {
		prelude = u.UnhurriedSQL()
	}
	fk, _ := db.dialect.(ForeignKeySwitch)
	return migrate(ctx, db.write, db.migrations, prelude, fk)
}

// ForeignKeysOff is the first line of a migration that rebuilds tables:
// SQLite changes a column's definition (an id that is never handed out
// twice) only by copying the table into a new one, and dropping the old
// one with the foreign keys on would delete, or refuse, every row that
// refers to it. Such a migration runs on one connection with the foreign
// keys off, and commits only when no row of the database breaks one.
const ForeignKeysOff = "-- meibo: foreign keys off"

// ForeignKeySwitch is implemented by dialects that run ForeignKeysOff
// migrations: the statements that turn the foreign keys off and on again,
// and the query that lists the rows breaking one (table, row, table
// referred to), run in the migration's transaction.
type ForeignKeySwitch interface {
	ForeignKeysSQL() (off, on, check string)
}

// MigrationStatus returns the applied and the pending migrations.
func (db *DB) MigrationStatus(ctx context.Context) (applied, pending []string, err error) {
	applied, pending, _, err = status(ctx, db.write, db.dialect, db.migrations)
	return applied, pending, err
}

// MigrationState is MigrationStatus with the migrations the database has
// applied that this build does not know (a newer meibo migrated it), from
// the same reading.
func (db *DB) MigrationState(ctx context.Context) (applied, pending, newer []string, err error) {
	return status(ctx, db.write, db.dialect, db.migrations)
}

// Engine names the engine.
func (db *DB) Engine() string { return db.dialect.Name() }

// CheckDurability reads the engine's durability settings back from the
// database and lists the ones that would lose committed changes in a crash
// (none: the database keeps what it commits).
func (db *DB) CheckDurability(ctx context.Context) ([]string, error) {
	return db.dialect.Durability(ctx, db.read, db.write)
}

// ReadOnlyTeller is implemented by dialects whose server may take no
// writes at all: a PostgreSQL standby, or a database or user whose
// transactions are read-only by default.
type ReadOnlyTeller interface {
	// ReadOnly says why the server takes no writes from db, or "".
	ReadOnly(ctx context.Context, db *sql.DB) (string, error)
}

// ReadOnly says why the database takes no writes, or "" when it does.
func (db *DB) ReadOnly(ctx context.Context) (string, error) {
	if r, ok := db.dialect.(ReadOnlyTeller); ok {
		return r.ReadOnly(ctx, db.write)
	}
	return "", nil
}

// Close closes both pools.
func (db *DB) Close() error {
	err := db.write.Close()
	if db.read != db.write {
		if rerr := db.read.Close(); err == nil {
			err = rerr
		}
	}
	return err
}

// ReadDB and WriteDB expose the pools to the engine packages (migrations,
// engine-specific tools).
func (db *DB) ReadDB() *sql.DB  { return db.read }
func (db *DB) WriteDB() *sql.DB { return db.write }

func (db *DB) now() time.Time { return db.clock().UTC().Truncate(time.Microsecond) }

// View runs fn in a read-only transaction.
func (db *DB) View(ctx context.Context, fn func(meibo.Tx) error) (err error) {
	if db.observe != nil {
		defer func(start time.Time) { db.observe("read", time.Since(start), err) }(time.Now())
	}
	opts := &sql.TxOptions{ReadOnly: true}
	if db.dialect.Name() == "postgres" {
		opts.Isolation = sql.LevelRepeatableRead
	} else {
		opts = nil // the SQLite driver does not take options; its readers are query_only
	}
	tx, err := db.read.BeginTx(ctx, opts)
	if err != nil {
		return fmt.Errorf("begin read: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // read-only: nothing to keep
	return fn(&Tx{tx: tx, d: db.dialect, now: db.now(), sample: db.sample})
}

// Update runs fn in a read-write transaction.
func (db *DB) Update(ctx context.Context, fn func(meibo.Tx) error) (err error) {
	if db.observe != nil {
		defer func(start time.Time) { db.observe("write", time.Since(start), err) }(time.Now())
	}
	var tx *sql.Tx
	var conn *sql.Conn
	if _, ok := db.dialect.(Copier); ok {
		// The transaction runs on a connection of its own, which bulk
		// writes reach directly (COPY) while the transaction is open.
		if conn, err = db.write.Conn(ctx); err != nil {
			return fmt.Errorf("begin write: %w", err)
		}
		defer conn.Close()
		tx, err = conn.BeginTx(ctx, nil)
	} else {
		tx, err = db.write.BeginTx(ctx, nil)
	}
	if err != nil {
		return fmt.Errorf("begin write: %w", err)
	}
	if conn != nil {
		// Ended before the connection is closed, even when fn panics:
		// closing a connection waits for its transaction.
		defer tx.Rollback() //nolint:errcheck // after a commit, a no-op
	}
	t := &Tx{tx: tx, conn: conn, d: db.dialect, now: db.now(), sample: db.sample}
	if err := fn(t); err != nil {
		if rerr := tx.Rollback(); rerr != nil && !errors.Is(rerr, sql.ErrTxDone) {
			return errors.Join(err, fmt.Errorf("rollback: %w", rerr))
		}
		return err
	}
	if err := t.endDefer(ctx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// Tx is one transaction.
type Tx struct {
	tx   *sql.Tx
	conn *sql.Conn // the write transaction's connection where the engine copies (see Copier), else nil
	// staged holds the staging tables created in this transaction (see bulk.go).
	staged map[string]bool
	d      Dialect
	now    time.Time
	stmts  map[string]*preparedStmt // prepared batch statements (closed with the transaction)
	// deferred: new users wait for the search index (DeferSearchIndex).
	deferred bool
	sample   *textSample // the store's (see indexParts)
}

// Now is the transaction's fixed clock.
func (t *Tx) Now() time.Time { return t.now }

// Lock serialises transactions that change resource.
func (t *Tx) Lock(ctx context.Context, resource string) error {
	return t.d.Lock(ctx, t.tx, resource)
}

// Notify sends a notification at commit.
func (t *Tx) Notify(ctx context.Context, channel, payload string) error {
	return t.d.Notify(ctx, t.tx, channel, payload)
}

// Listen delivers notifications of every process until ctx ends.
func (db *DB) Listen(ctx context.Context, channel string, fn func(string)) error {
	return db.dialect.Listen(ctx, db.write, channel, fn)
}

// SQLTx exposes the underlying transaction to engine packages.
func (t *Tx) SQLTx() *sql.Tx { return t.tx }

// Migrate applies the *.sql files of dir in name order, each in its own
// transaction, recording each in schema_migrations. It returns the names
// applied.
func Migrate(ctx context.Context, db *sql.DB, migrations fs.FS) ([]string, error) {
	return migrate(ctx, db, migrations, "", nil)
}

// migrate is Migrate, running prelude first in each migration's
// transaction when it is not empty; fk runs the ForeignKeysOff migrations.
func migrate(ctx context.Context, db *sql.DB, migrations fs.FS, prelude string, fk ForeignKeySwitch) ([]string, error) {
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)`); err != nil {
		return nil, fmt.Errorf("create schema_migrations: %w", err)
	}
	names, err := migrationNames(migrations)
	if err != nil {
		return nil, err
	}
	done, err := appliedMigrations(ctx, db)
	if err != nil {
		return nil, err
	}
	var applied []string
	for _, name := range names {
		if done[name] {
			continue
		}
		body, err := fs.ReadFile(migrations, name)
		if err != nil {
			return applied, fmt.Errorf("read migration %s: %w", name, err)
		}
		if err := applyMigration(ctx, db, name, string(body), prelude, fk); err != nil {
			return applied, err
		}
		applied = append(applied, name)
	}
	return applied, nil
}

// applyMigration runs one migration in a transaction of its own and
// records it.
func applyMigration(ctx context.Context, db *sql.DB, name, body, prelude string, fk ForeignKeySwitch) (err error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("migration %s: %w", name, err)
	}
	defer conn.Close()
	var check string
	if strings.HasPrefix(body, ForeignKeysOff) {
		if fk == nil {
			// Run with the foreign keys on, its DROP TABLEs would delete
			// every row that refers to the tables it copies.
			return fmt.Errorf("migration %s rebuilds tables and needs the foreign keys off, which this way of migrating cannot do: open the database with meibo to migrate it", name)
		}
		var off, on string
		off, on, check = fk.ForeignKeysSQL()
		if _, err := conn.ExecContext(ctx, off); err != nil {
			return fmt.Errorf("migration %s: turn the foreign keys off: %w", name, err)
		}
		defer func() {
			// Not ctx: the connection goes back to the pool, and must
			// not go back with the foreign keys off.
			if _, onErr := conn.ExecContext(context.Background(), on); onErr != nil {
				conn.Raw(func(any) error { return driver.ErrBadConn }) //nolint:errcheck // drops the connection
				if err == nil {
					err = fmt.Errorf("migration %s: turn the foreign keys on again: %w", name, onErr)
				}
			}
		}()
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin migration %s: %w", name, err)
	}
	defer tx.Rollback() //nolint:errcheck // after a commit: nothing to undo
	if prelude != "" {
		if _, err := tx.ExecContext(ctx, prelude); err != nil {
			return fmt.Errorf("migration %s: %w", name, err)
		}
	}
	if _, err := tx.ExecContext(ctx, body); err != nil {
		return fmt.Errorf("migration %s: %w", name, err)
	}
	if check != "" {
		var table, parent string
		var row sql.NullInt64
		switch err := tx.QueryRowContext(ctx, check).Scan(&table, &row, &parent); {
		case err == nil:
			return fmt.Errorf("migration %s: row %d of table %s refers to a row of %s that is not there; nothing was changed", name, row.Int64, table, parent)
		case !errors.Is(err, sql.ErrNoRows):
			return fmt.Errorf("migration %s: check the foreign keys: %w", name, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (name, applied_at) VALUES ($1, $2)`, name, time.Now().UTC().Format(time.RFC3339)); err != nil {
		return fmt.Errorf("record migration %s: %w", name, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit migration %s: %w", name, err)
	}
	return nil
}

// Status returns the migrations of dir that the database has applied and those
// it has not. A database without the bookkeeping table has applied none.
func Status(ctx context.Context, db *sql.DB, d Dialect, migrations fs.FS) (applied, pending []string, err error) {
	applied, pending, _, err = status(ctx, db, d, migrations)
	return applied, pending, err
}

// status is Status, with the migrations applied that are not in dir, in
// name order.
func status(ctx context.Context, db *sql.DB, d Dialect, migrations fs.FS) (applied, pending, newer []string, err error) {
	names, err := migrationNames(migrations)
	if err != nil {
		return nil, nil, nil, err
	}
	exists, err := d.TableExists(ctx, db, "schema_migrations")
	if err != nil {
		return nil, nil, nil, err
	}
	done := map[string]bool{}
	if exists {
		if done, err = appliedMigrations(ctx, db); err != nil {
			return nil, nil, nil, err
		}
	}
	for _, n := range names {
		if done[n] {
			applied = append(applied, n)
			delete(done, n)
		} else {
			pending = append(pending, n)
		}
	}
	for n := range done {
		newer = append(newer, n)
	}
	sort.Strings(newer)
	return applied, pending, newer, nil
}

func migrationNames(migrations fs.FS) ([]string, error) {
	entries, err := fs.ReadDir(migrations, ".")
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	var names []string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".sql") {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	return names, nil
}

func appliedMigrations(ctx context.Context, db *sql.DB) (map[string]bool, error) {
	rows, err := db.QueryContext(ctx, `SELECT name FROM schema_migrations`)
	if err != nil {
		return nil, fmt.Errorf("read schema_migrations: %w", err)
	}
	defer rows.Close()
	done := map[string]bool{}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, fmt.Errorf("read schema_migrations: %w", err)
		}
		done[n] = true
	}
	return done, rows.Err()
}
