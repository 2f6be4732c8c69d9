package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/binary"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// The migrated, empty PostgreSQL stores of Open come from a pool of the test
// process: making a schema and applying every migration takes about a third
// of a second, emptying a used one a few milliseconds. A store's schema goes
// back to the pool when its test ends, emptied as the migrations left it
// (every table but schema_migrations, every sequence back at its start), and
// only when it is as a new one would be: a schema whose tables PostgreSQL
// has analyzed (or vacuumed), which would plan differently from a new one,
// is dropped instead, as is one that cannot be emptied.
//
// A test's stores are closed before its schema goes back, but closing a
// database/sql pool does not wait for the connections in use: a goroutine
// the test left behind (an audit write of the service's) may still be in a
// transaction, and commit it while the schema is emptied or once it is in
// the pool. Its rows would then be in the next test's store, numbered from
// where the sequences were before they were set back, and that test would
// meet them as a duplicate key. So the store's connections name the schema
// (application_name), and the schema's release ends every session that is
// still connected by that name before emptying it.
//
// Pooled schemas are called tp_KEY_N, KEY the process's key, which the
// process holds as a PostgreSQL advisory lock for as long as it runs. The
// first process to use the pool drops the schemas of processes whose lock
// is free: they have ended, and left their pools behind.

var pool struct {
	once  sync.Once
	err   error
	admin *sql.DB   // the superuser of MEIBO_TEST_POSTGRES
	lock  *sql.Conn // holds the advisory lock of key
	key   int64
	dsn   string

	mu   sync.Mutex
	free []string
	made int
}

// pooledSchemaDSN returns a DSN as SchemaDSN does, for a schema of the pool:
// migrated and empty, or new (OpenPostgres migrates it). The schema goes
// back to the pool when the test ends.
func pooledSchemaDSN(t testing.TB) string {
	t.Helper()
	dsn := PostgresDSN(t)
	ctx := context.Background()
	pool.once.Do(func() { pool.err = startPool(ctx, dsn) })
	if pool.err != nil {
		t.Fatal(pool.err)
	}
	if dsn != pool.dsn {
		return SchemaDSN(t, dsn)
	}
	pool.mu.Lock()
	var schema string
	if n := len(pool.free); n > 0 {
		schema = pool.free[n-1]
		pool.free = pool.free[:n-1]
	} else {
		pool.made++
		schema = fmt.Sprintf("tp_%016x_%d", uint64(pool.key), pool.made)
	}
	pool.mu.Unlock()
	if _, err := pool.admin.ExecContext(ctx, `CREATE SCHEMA IF NOT EXISTS `+schema+` AUTHORIZATION `+AppRole); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { release(schema) })
	return withApplicationName(t, appDSN(t, dsn, schema), schema)
}

// withApplicationName is dsn whose connections tell the server name as
// their application_name.
func withApplicationName(t testing.TB, dsn, name string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("application_name", name)
	u.RawQuery = q.Encode()
	return u.String()
}

// startPool opens the pool's connections, takes the process's key and drops
// the pools of ended processes.
func startPool(ctx context.Context, dsn string) error {
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		return err
	}
	if err := setUpServer(ctx, admin); err != nil {
		admin.Close()
		return err
	}
	lock, err := admin.Conn(ctx)
	if err != nil {
		admin.Close()
		return fmt.Errorf("the pool's lock: %w", err)
	}
	var b [8]byte
	rand.Read(b[:])
	key := int64(binary.LittleEndian.Uint64(b[:]) >> 1)
	if _, err := lock.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, key); err != nil {
		lock.Close()
		admin.Close()
		return fmt.Errorf("the pool's lock: %w", err)
	}
	pool.admin, pool.lock, pool.key, pool.dsn = admin, lock, key, dsn
	return dropEndedPools(ctx)
}

// dropEndedPools drops the pooled schemas of processes that hold their key
// no longer.
func dropEndedPools(ctx context.Context) error {
	rows, err := pool.admin.QueryContext(ctx, `SELECT nspname FROM pg_namespace WHERE nspname LIKE 'tp\_%'`)
	if err != nil {
		return fmt.Errorf("pooled schemas: %w", err)
	}
	byKey := map[int64][]string{}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			rows.Close()
			return err
		}
		var key uint64
		var n int
		if _, err := fmt.Sscanf(strings.ReplaceAll(name, "_", " "), "tp %x %d", &key, &n); err == nil {
			byKey[int64(key)] = append(byKey[int64(key)], name)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for key, schemas := range byKey {
		var free bool
		if err := pool.lock.QueryRowContext(ctx, `SELECT pg_try_advisory_lock($1)`, key).Scan(&free); err != nil {
			return err
		}
		if !free {
			continue // its process still runs
		}
		if _, err := pool.lock.ExecContext(ctx, `SELECT pg_advisory_unlock($1)`, key); err != nil {
			return err
		}
		for _, s := range schemas {
			// Another process may drop it at the same time.
			pool.admin.ExecContext(ctx, `DROP SCHEMA IF EXISTS `+s+` CASCADE`)
		}
	}
	return nil
}

// release empties schema and puts it back in the pool, or drops it when it
// cannot be used as a new one.
func release(schema string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := endSessions(ctx, schema)
	if err == nil {
		err = empty(ctx, schema)
	}
	if err != nil {
		if _, err := pool.admin.ExecContext(ctx, `DROP SCHEMA IF EXISTS `+schema+` CASCADE`); err != nil {
			fmt.Printf("storetest: drop schema %s: %v\n", schema, err)
		}
		return
	}
	pool.mu.Lock()
	pool.free = append(pool.free, schema)
	pool.mu.Unlock()
}

// endSessions ends the sessions still connected to schema's stores (see
// withApplicationName), and waits until they are gone: their transactions
// are rolled back, and nothing of them reaches the schema any more.
func endSessions(ctx context.Context, schema string) error {
	for {
		// The sessions are chosen first (a condition beside the call
		// would not be sure to be evaluated before it); pg_terminate_backend
		// waits up to its timeout for each to end, and one that takes
		// longer is asked again.
		var left int
		err := pool.admin.QueryRowContext(ctx, `WITH s AS MATERIALIZED (
				SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND pid <> pg_backend_pid())
			SELECT count(*) FILTER (WHERE NOT pg_terminate_backend(pid, 1000)) FROM s`, schema).Scan(&left)
		if err != nil {
			return fmt.Errorf("end the sessions of %s: %w", schema, err)
		}
		if left == 0 {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("end the sessions of %s: %d left: %w", schema, left, err)
		}
	}
}

// errNotNew is empty's refusal of a schema that would not be as a new one.
var errNotNew = fmt.Errorf("the schema's tables have statistics")

// empty deletes every row of schema but its migrations' and sets its
// sequences back to their start, in one transaction with the triggers and
// foreign keys off (session_replication_role, as the superuser).
func empty(ctx context.Context, schema string) error {
	tx, err := pool.admin.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var analyzed bool
	var tables []string
	err = tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_class WHERE relnamespace = $1::regnamespace AND relkind = 'r' AND reltuples >= 0)`,
		schema).Scan(&analyzed)
	if err != nil {
		return err
	}
	if analyzed {
		return errNotNew
	}
	rows, err := tx.QueryContext(ctx, `SELECT relname FROM pg_class
		WHERE relnamespace = $1::regnamespace AND relkind = 'r' AND relname <> 'schema_migrations'`, schema)
	if err != nil {
		return err
	}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			rows.Close()
			return err
		}
		tables = append(tables, schema+"."+quoteIdent(name))
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if len(tables) == 0 {
		return fmt.Errorf("schema %s has no tables", schema)
	}
	// The tables are locked before they are emptied and the sequences set
	// back in the same transaction, so that no writer (a session
	// endSessions did not know of) can come between: one that holds a
	// table is waited for, for at most lock_timeout (then the schema is
	// dropped), and one that comes later waits for the commit. setval is
	// not undone by a rollback, but a schema that fails to empty is dropped.
	var stmts strings.Builder
	stmts.WriteString(`SET LOCAL lock_timeout = '5s'; SET LOCAL session_replication_role = replica;`)
	stmts.WriteString(" LOCK TABLE " + strings.Join(tables, ", ") + " IN EXCLUSIVE MODE;")
	for _, t := range tables {
		stmts.WriteString(" DELETE FROM " + t + ";")
	}
	if _, err := tx.ExecContext(ctx, stmts.String()); err != nil {
		return fmt.Errorf("empty %s: %w", schema, err)
	}
	_, err = tx.ExecContext(ctx, `SELECT setval(s.seqrelid, s.seqstart, false) FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid
		WHERE c.relnamespace = $1::regnamespace`, schema)
	if err != nil {
		return fmt.Errorf("empty %s: set its sequences back: %w", schema, err)
	}
	return tx.Commit()
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// appDSN is dsn connecting as AppRole with schema first on its path (then
// public, where pg_trgm lives).
func appDSN(t testing.TB, dsn, schema string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.User(AppRole)
	q := u.Query()
	q.Set("search_path", schema+",public")
	u.RawQuery = q.Encode()
	return u.String()
}
