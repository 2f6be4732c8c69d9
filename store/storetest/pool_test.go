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

// TestPoolEndsLateWriters: a transaction that outlives its test's store (a
// goroutine the test left behind, as an audit write of the service's may
// be) writes nothing into the schema once it is given back; the next test
// on the schema meets none of its rows, and numbers its own from the start.
func TestPoolEndsLateWriters(t *testing.T) {
	PostgresDSN(t)
	ctx := meibo.WithActor(context.Background(), meibo.System("test"))
	addEvent := func(action string) func(tx meibo.Tx) error {
		return func(tx meibo.Tx) error {
			return tx.AddAudit(ctx, &meibo.AuditEvent{ActorKind: meibo.ActorSystem, ActorName: "test", Action: action, Category: meibo.CategoryConfig})
		}
	}
	const insert = `INSERT INTO audit_events (at, actor_kind, actor_name, addr, action, category, object_kind, object_id, group_id, details)
		VALUES (now(), 'system', 'test', '', $1, 'config', '', '', '', '{}')`
	var schema string
	var lateErr error
	t.Run("used", func(t *testing.T) {
		var late *sql.Tx
		// Registered before the store's cleanups, so run after them: the
		// late transaction goes on once the store is closed and its
		// schema given back, and commits.
		t.Cleanup(func() {
			defer late.Rollback() //nolint:errcheck // after a commit, a no-op
			if _, lateErr = late.Exec(insert, "late.after"); lateErr == nil {
				lateErr = late.Commit()
			}
		})
		db := Open(t, "postgres", nil)
		if err := db.Update(ctx, addEvent("early")); err != nil {
			t.Fatal(err)
		}
		var err error
		if late, err = db.WriteDB().BeginTx(ctx, nil); err != nil {
			t.Fatal(err)
		}
		if err := late.QueryRow(`SELECT current_schema()`).Scan(&schema); err != nil {
			t.Fatal(err)
		}
		if _, err := late.Exec(insert, "late.before"); err != nil {
			t.Fatal(err)
		}
	})
	if lateErr == nil {
		t.Error("the late transaction committed after its schema was given back")
	}
	if !pooled(schema) {
		t.Fatalf("%s is not back in the pool", schema)
	}
	var n int
	if err := pool.admin.QueryRow(`SELECT count(*) FROM ` + schema + `.audit_events`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("the pooled schema holds %d audit events, want 0", n)
	}
	t.Run("again", func(t *testing.T) {
		db := Open(t, "postgres", nil)
		if err := db.Update(ctx, addEvent("again")); err != nil {
			t.Fatal(err) // a duplicate key, were a late row numbered as the next one
		}
		var again string
		var evs []*meibo.AuditEvent
		err := db.View(ctx, func(tx meibo.Tx) error {
			if err := db.ReadDB().QueryRow(`SELECT current_schema()`).Scan(&again); err != nil {
				return err
			}
			var err error
			evs, err = tx.AuditEvents(ctx, meibo.AuditFilter{})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if again != schema {
			t.Fatalf("took %s, want %s again", again, schema)
		}
		if len(evs) != 1 || evs[0].ID != 1 || evs[0].Action != "again" {
			var got []string
			for _, e := range evs {
				got = append(got, fmt.Sprintf("%d:%s", e.ID, e.Action))
			}
			t.Errorf("the schema taken again holds the events %v, want only 1:again", got)
		}
	})
}
