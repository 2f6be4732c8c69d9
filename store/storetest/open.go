// Package storetest opens fresh databases for tests on every engine and holds
// the storage contract suite that every engine must pass.
//
// A fresh SQLite store is a copy of one migrated once per test process (the
// migrations take about half a second each time under the race detector);
// Open still runs the migrations on the copy, which finds none to apply.
//
// PostgreSQL tests read their server from MEIBO_TEST_POSTGRES (a postgres://
// URL); each test gets a schema of its own: for Open, a migrated, empty one
// from the process's pool (pool.go), given back emptied at the end; for
// SchemaDSN, a new one, dropped at the end. Without it they
// are skipped with a loud message, unless MEIBO_REQUIRE_POSTGRES=1 (as CI
// sets it), which makes a missing server fail the test instead.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver

	"github.com/meibo/meibo/store/postgres"
	"github.com/meibo/meibo/store/sqlite"
	"github.com/meibo/meibo/store/sqlstore"
)

// Engines are the engines every storage and service test runs on.
var Engines = []string{"sqlite", "postgres"}

// PostgresDSN returns the PostgreSQL server for tests, skipping (or, when
// required, failing) the test when there is none.
func PostgresDSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv("MEIBO_TEST_POSTGRES")
	if dsn == "" {
		if os.Getenv("MEIBO_REQUIRE_POSTGRES") == "1" {
			t.Fatal("MEIBO_TEST_POSTGRES is not set but MEIBO_REQUIRE_POSTGRES=1: the PostgreSQL suite must run")
		}
		t.Skip("!!! MEIBO_TEST_POSTGRES is not set: PostgreSQL tests SKIPPED (set it to a postgres:// URL to run them)")
	}
	return dsn
}

var serverOnce sync.Once

// Open returns a new, migrated, empty store on engine, closed (and, for
// PostgreSQL, its schema given back to the pool) when the test ends. clock
// may be nil.
func Open(t testing.TB, engine string, clock func() time.Time) *sqlstore.DB {
	t.Helper()
	ctx := context.Background()
	opts := sqlstore.Options{Clock: clock}
	var db *sqlstore.DB
	switch engine {
	case "sqlite":
		path := filepath.Join(t.TempDir(), "meibo.db")
		if err := CopySQLiteTemplate(path); err != nil {
			t.Fatal(err)
		}
		var err error
		db, err = sqlite.Open(ctx, path, opts)
		if err != nil {
			t.Fatal(err)
		}
	case "postgres":
		return OpenPostgres(t, pooledSchemaDSN(t), opts)
	default:
		t.Fatalf("unknown engine %q", engine)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return db
}

// OpenPostgres returns the migrated store at dsn (a SchemaDSN, with any
// settings the test adds to it), closed when the test ends.
func OpenPostgres(t testing.TB, dsn string, opts sqlstore.Options) *sqlstore.DB {
	t.Helper()
	db, err := postgres.Open(context.Background(), dsn, 4, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return db
}

// sqliteTemplate is the file of a SQLite store with every migration applied,
// made at the first call of CopySQLiteTemplate.
var sqliteTemplate struct {
	once sync.Once
	file []byte
	err  error
}

// CopySQLiteTemplate writes a new SQLite database at path with every
// migration applied and nothing else: a copy of a store migrated once in this
// process.
func CopySQLiteTemplate(path string) error {
	sqliteTemplate.once.Do(func() {
		sqliteTemplate.file, sqliteTemplate.err = migratedSQLite()
	})
	if sqliteTemplate.err != nil {
		return sqliteTemplate.err
	}
	return os.WriteFile(path, sqliteTemplate.file, 0o600)
}

// migratedSQLite migrates a new SQLite store, closes it (which folds the
// write-ahead log into the file) and returns the file.
func migratedSQLite() ([]byte, error) {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "meibo-template-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "meibo.db")
	db, err := sqlite.Open(ctx, path, sqlstore.Options{})
	if err != nil {
		return nil, err
	}
	if _, err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("migrate the template store: %w", err)
	}
	if err := db.Close(); err != nil {
		return nil, fmt.Errorf("close the template store: %w", err)
	}
	if _, err := os.Stat(path + "-wal"); err == nil {
		return nil, errors.New("the template store's write-ahead log outlived its close")
	}
	return os.ReadFile(path)
}

// AppRole is the role the PostgreSQL tests' stores connect as: an ordinary
// one, neither superuser nor owner of the database, as meibo's database user
// is in production. It owns each test's schema and may do in the database
// what PUBLIC may (connect, make temporary tables). A statement that only a
// superuser may run fails the tests instead of a deployment.
const AppRole = "meibo_test_app"

// SchemaDSN creates a schema of its own for the test on the server at dsn,
// owned by AppRole, and returns a DSN that connects as AppRole and whose
// search_path selects the schema (then public, where pg_trgm lives). The
// schema is dropped when the test ends.
func SchemaDSN(t testing.TB, dsn string) string {
	t.Helper()
	ctx := context.Background()
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	var setupErr error
	serverOnce.Do(func() {
		setupErr = setUpServer(ctx, admin)
	})
	if setupErr != nil {
		t.Fatal(setupErr)
	}
	b := make([]byte, 6)
	rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	if _, err := admin.ExecContext(ctx, `CREATE SCHEMA `+schema+` AUTHORIZATION `+AppRole); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := admin.ExecContext(context.Background(), `DROP SCHEMA `+schema+` CASCADE`); err != nil {
			t.Logf("drop schema %s: %v", schema, err)
		}
	})
	return appDSN(t, dsn, schema)
}

// setUpServer makes what every test schema needs once on the server:
// pg_trgm in public, and AppRole (test processes of several packages may
// create it at the same time).
func setUpServer(ctx context.Context, admin *sql.DB) error {
	if _, err := admin.ExecContext(ctx, `CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public`); err != nil {
		return fmt.Errorf("pg_trgm: %w", err)
	}
	_, err := admin.ExecContext(ctx, `DO $$ BEGIN
		CREATE ROLE `+AppRole+` LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE;
	EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
	END $$`)
	if err != nil {
		return fmt.Errorf("create role %s: %w", AppRole, err)
	}
	return nil
}

// Each runs f as a subtest on every engine, the engines at the same time
// (each on a database of its own: a SQLite step and a PostgreSQL round trip
// overlap), and returns when every subtest has ended. f must not call
// t.Parallel (the testing package does not take it from subtests started at
// the same time). A test that changes something of the whole process (a
// package variable, the environment) runs its engines with EachInTurn
// instead.
func Each(t *testing.T, f func(t *testing.T, engine string)) {
	t.Helper()
	var wg sync.WaitGroup
	for _, e := range Engines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t.Run(e, func(t *testing.T) { f(t, e) })
		}()
	}
	wg.Wait()
}

// EachInTurn runs f as a subtest on every engine, one engine after the
// other.
func EachInTurn(t *testing.T, f func(t *testing.T, engine string)) {
	t.Helper()
	for _, e := range Engines {
		t.Run(e, func(t *testing.T) { f(t, e) })
	}
}
