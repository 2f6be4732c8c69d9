package storetest

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/meibo/meibo/store/postgres"
	"github.com/meibo/meibo/store/sqlite"
	"github.com/meibo/meibo/store/sqlstore"
)

var keptName = regexp.MustCompile(`^[a-z0-9_]+$`)

// OpenKept returns a migrated store on engine that outlives the test, for
// benchmarks whose data takes minutes to load: load fills it the first
// time, and later runs with the same name reuse it. The SQLite file lives
// under os.TempDir(), the PostgreSQL data in a schema of the test database,
// both called name (lower-case letters, digits and underscores: put the
// data's version and size in it). A load that did not finish is thrown
// away and done again.
func OpenKept(tb testing.TB, engine, name string, load func(db *sqlstore.DB) error) *sqlstore.DB {
	tb.Helper()
	if !keptName.MatchString(name) {
		tb.Fatalf("kept store name %q: use lower-case letters, digits and underscores", name)
	}
	ctx := context.Background()
	var db *sqlstore.DB
	var complete bool
	var done func() error
	switch engine {
	case "sqlite":
		path := filepath.Join(os.TempDir(), "meibo-"+name+".db")
		mark := path + ".done"
		if _, err := os.Stat(mark); err == nil {
			complete = true
		} else {
			for _, f := range []string{path, path + "-wal", path + "-shm"} {
				os.Remove(f)
			}
		}
		var err error
		if db, err = sqlite.Open(ctx, path, sqlstore.Options{}); err != nil {
			tb.Fatal(err)
		}
		done = func() error { return os.WriteFile(mark, []byte(name), 0o644) }
	case "postgres":
		dsn := PostgresDSN(tb)
		schema := "kept_" + name
		admin, err := sql.Open("pgx", dsn)
		if err != nil {
			tb.Fatal(err)
		}
		defer admin.Close()
		admin.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_tables WHERE schemaname = $1 AND tablename = 'kept_done')`, schema).Scan(&complete) //nolint:errcheck // false on error
		if !complete {
			for _, q := range []string{`DROP SCHEMA IF EXISTS ` + schema + ` CASCADE`, `CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public`, `CREATE SCHEMA ` + schema} {
				if _, err := admin.ExecContext(ctx, q); err != nil {
					tb.Fatal(err)
				}
			}
		}
		u, err := url.Parse(dsn)
		if err != nil {
			tb.Fatal(err)
		}
		q := u.Query()
		q.Set("search_path", schema+",public")
		u.RawQuery = q.Encode()
		if db, err = postgres.Open(ctx, u.String(), 4, sqlstore.Options{}); err != nil {
			tb.Fatal(err)
		}
		done = func() error {
			for _, q := range []string{`VACUUM ANALYZE`, `CREATE TABLE ` + schema + `.kept_done (name TEXT)`} {
				if _, err := db.WriteDB().ExecContext(ctx, q); err != nil {
					return err
				}
			}
			return nil
		}
	default:
		tb.Fatalf("unknown engine %q", engine)
	}
	tb.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		tb.Fatal(err)
	}
	if complete {
		return db
	}
	if err := load(db); err != nil {
		tb.Fatalf("load %s on %s: %v", name, engine, err)
	}
	if err := done(); err != nil {
		tb.Fatal(fmt.Errorf("mark %s loaded: %w", name, err))
	}
	return db
}
