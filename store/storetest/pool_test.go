package storetest

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"testing"

	"github.com/meibo/meibo"
)

// The pool's tests are not parallel: the package's parallel tests, which
// take schemas from the same pool, wait until they have run.

// storeSchema opens a store on engine, runs do in a transaction of it, and
// returns the store's schema.
func storeSchema(t *testing.T, engine string, do func(tx meibo.Tx) error) string {
	t.Helper()
	db := Open(t, engine, nil)
	ctx := meibo.WithActor(context.Background(), meibo.System("test"))
	if err := db.Update(ctx, do); err != nil {
		t.Fatal(err)
	}
	var schema string
	if err := db.WriteDB().QueryRowContext(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		t.Fatal(err)
	}
	return schema
}

// pooled reports whether schema waits in the pool.
func pooled(schema string) bool {
	pool.mu.Lock()
	defer pool.mu.Unlock()
	return slices.Contains(pool.free, schema)
}

func TestPoolGivesBackNewSchemas(t *testing.T) {
	PostgresDSN(t)
	var schema string
	t.Run("used", func(t *testing.T) {
		schema = storeSchema(t, "postgres", func(tx meibo.Tx) error {
			ctx := context.Background()
			if err := tx.CreateGroup(ctx, &meibo.Group{ID: "G1", Name: "G1"}); err != nil {
				return err
			}
			return tx.CreateProfile(ctx, &meibo.Profile{GroupID: "G1", Name: "default"})
		})
	})
	if !pooled(schema) {
		t.Fatalf("%s is not back in the pool", schema)
	}
	ctx := context.Background()
	var rows, migrations int
	err := pool.admin.QueryRowContext(ctx, fmt.Sprintf(`SELECT (SELECT count(*) FROM %[1]s.groups) + (SELECT count(*) FROM %[1]s.profiles),
		(SELECT count(*) FROM %[1]s.schema_migrations)`, schema)).Scan(&rows, &migrations)
	if err != nil {
		t.Fatal(err)
	}
	if rows != 0 || migrations == 0 {
		t.Errorf("the pooled schema holds %d groups and profiles (want 0) and %d migrations (want all)", rows, migrations)
	}
	// Taken again (the last given back is the first taken): a store on it
	// numbers its rows from the start, as a new one does.
	t.Run("again", func(t *testing.T) {
		var id int64
		again := storeSchema(t, "postgres", func(tx meibo.Tx) error {
			ctx := context.Background()
			if err := tx.CreateGroup(ctx, &meibo.Group{ID: "G2", Name: "G2"}); err != nil {
				return err
			}
			p := &meibo.Profile{GroupID: "G2", Name: "default"}
			err := tx.CreateProfile(ctx, p)
			id = p.ID
			return err
		})
		if again != schema {
			t.Fatalf("took %s, want %s again", again, schema)
		}
		if id != 1 {
			t.Errorf("the new group's profile is number %d, want 1", id)
		}
	})
}

func TestPoolDropsAnalyzedSchemas(t *testing.T) {
	PostgresDSN(t)
	var schema string
	t.Run("analyzed", func(t *testing.T) {
		schema = storeSchema(t, "postgres", func(tx meibo.Tx) error { return nil })
		db, err := sql.Open("pgx", pool.dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if _, err := db.Exec(`ANALYZE ` + schema + `.users`); err != nil {
			t.Fatal(err)
		}
	})
	var exists bool
	if err := pool.admin.QueryRow(`SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)`, schema).Scan(&exists); err != nil {
		t.Fatal(err)
	}
	if exists || pooled(schema) {
		t.Errorf("the analyzed schema %s was kept (in the pool: %v)", schema, pooled(schema))
	}
}

func TestPoolDropsEndedProcessesSchemas(t *testing.T) {
	dsn := PostgresDSN(t)
	Open(t, "postgres", nil) // starts the pool
	ctx := context.Background()
	// A process that runs: its key is locked by a connection of its own.
	other, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	conn, err := other.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	const running, ended = int64(0x1234567890abcd), int64(0x1234567890abce)
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, running); err != nil {
		t.Fatal(err)
	}
	schemas := map[int64]string{running: fmt.Sprintf("tp_%016x_1", running), ended: fmt.Sprintf("tp_%016x_1", ended)}
	for _, s := range schemas {
		if _, err := pool.admin.ExecContext(ctx, `CREATE SCHEMA IF NOT EXISTS `+s); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { pool.admin.Exec(`DROP SCHEMA IF EXISTS ` + s) })
	}
	if err := dropEndedPools(ctx); err != nil {
		t.Fatal(err)
	}
	for key, s := range schemas {
		var exists bool
		if err := pool.admin.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)`, s).Scan(&exists); err != nil {
			t.Fatal(err)
		}
		if want := key == running; exists != want {
			t.Errorf("%s exists: %v, want %v", s, exists, want)
		}
	}
	// Its own schemas stay, and its key stays locked.
	var free bool
	if err := conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock($1)`, pool.key).Scan(&free); err != nil {
		t.Fatal(err)
	}
	if free {
		t.Error("the pool's own key was free")
	}
}
