package storetest_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/store/sqlite"
	"github.com/meibo/meibo/store/sqlstore"
	"github.com/meibo/meibo/store/storetest"
)

// TestIDsNeverReused: an id is never handed out twice. Deleting the newest
// user, profile (a SCIM Group) or administrator and adding another gives
// the new one a new id, not the deleted one's: a client's retried DELETE
// or PATCH of the old id must not reach someone else.
func TestIDsNeverReused(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		db := storetest.Open(t, engine, nil)
		p := newGroup(t, db, "G1")

		gone := user(p, "gone", "gone@example.com")
		addUsers(t, db, user(p, "kept", ""), gone)
		update(t, db, func(tx meibo.Tx) error { return tx.DeleteUsers(ctx, []int64{gone.ID}) })
		again := user(p, "again", "")
		addUsers(t, db, again)
		if again.ID <= gone.ID {
			t.Errorf("a user added after the newest was deleted got id %d; the deleted one had %d", again.ID, gone.ID)
		}

		oldP := &meibo.Profile{GroupID: "G1", Name: "old"}
		update(t, db, func(tx meibo.Tx) error { return tx.CreateProfile(ctx, oldP) })
		update(t, db, func(tx meibo.Tx) error { return tx.DeleteProfile(ctx, oldP.ID) })
		newP := &meibo.Profile{GroupID: "G1", Name: "new"}
		update(t, db, func(tx meibo.Tx) error { return tx.CreateProfile(ctx, newP) })
		if newP.ID <= oldP.ID {
			t.Errorf("a profile added after the newest was deleted got id %d; the deleted one had %d", newP.ID, oldP.ID)
		}

		oldA := &meibo.Admin{LoginID: "viewer", GUID: meibo.NewGUID()}
		update(t, db, func(tx meibo.Tx) error { return tx.CreateAdmin(ctx, oldA) })
		update(t, db, func(tx meibo.Tx) error { return tx.DeleteAdmin(ctx, oldA.ID) })
		newA := &meibo.Admin{LoginID: "viewer2", GUID: meibo.NewGUID()}
		update(t, db, func(tx meibo.Tx) error { return tx.CreateAdmin(ctx, newA) })
		if newA.ID <= oldA.ID {
			t.Errorf("an administrator added after the newest was deleted got id %d; the deleted one had %d", newA.ID, oldA.ID)
		}
	})
}

// sqliteSchema lists a SQLite database's tables, indexes and triggers
// with their definitions (a table's name as SQLite quotes it after a
// rename aside), and sqlite_sequence's rows.
func sqliteSchema(t *testing.T, db *sqlstore.DB) []string {
	t.Helper()
	rows, err := db.WriteDB().QueryContext(ctx, `SELECT type, name, COALESCE(sql, '') FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var typ, name, sql string
		if err := rows.Scan(&typ, &name, &sql); err != nil {
			t.Fatal(err)
		}
		sql = strings.Replace(sql, `CREATE TABLE "`+name+`"`, "CREATE TABLE "+name, 1)
		out = append(out, typ+" "+name+": "+sql)
	}
	return out
}

// sqliteColumns lists a table's columns with their declared types.
func sqliteColumns(t *testing.T, db *sqlstore.DB, table string) []string {
	t.Helper()
	rows, err := db.WriteDB().QueryContext(ctx, `SELECT name || ' ' || type || ' ' || "notnull" || ' ' || COALESCE(dflt_value, '') FROM pragma_table_info($1)`, table)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			t.Fatal(err)
		}
		out = append(out, c)
	}
	return out
}

// TestIDsMigration: SQLite's migration 0036 copies the tables whose ids
// must never be handed out twice into tables with AUTOINCREMENT, keeping
// every id, row, index and trigger, with the foreign keys off only while it
// runs; a database with a row that breaks a foreign key is left as it was,
// and the error names the table.
func TestIDsMigration(t *testing.T) {
	const migration = "0036_ids_never_reused.sql"
	t.Run("copies", func(t *testing.T) {
		db := migratedBefore(t, "sqlite", "0036")
		p := newGroup(t, db, "G1")
		taro, hanako, gone := user(p, "山田太郎", "taro@example.com"), user(p, "hanako", "hanako@example.com"), user(p, "gone", "")
		addUsers(t, db, taro, hanako, gone)
		// In SQL: the store's code is of the newest schema.
		if _, err := db.WriteDB().ExecContext(ctx, `DELETE FROM users WHERE id = $1`, gone.ID); err != nil {
			t.Fatal(err)
		}
		before := sqliteSchema(t, db)
		beforeCols := map[string][]string{}
		for _, b := range before {
			if name, ok := strings.CutPrefix(b, "table "); ok {
				name, _, _ = strings.Cut(name, ":")
				beforeCols[name] = sqliteColumns(t, db, name)
			}
		}
		applied, err := db.Migrate(ctx)
		if err != nil || !slices.Contains(applied, migration) {
			t.Fatalf("applied %q: %v", applied, err)
		}
		// Every index and trigger is back as it was, and every column
		// (later migrations may add some): compared with the database
		// before the migration, not with a new one, which ran it too.
		after := sqliteSchema(t, db)
		for _, b := range before {
			if !strings.HasPrefix(b, "table ") && !slices.Contains(after, b) {
				t.Errorf("after the migration, missing or changed: %s", b)
			}
		}
		for table, cols := range beforeCols {
			now := sqliteColumns(t, db, table)
			for _, c := range cols {
				if !slices.Contains(now, c) {
					t.Errorf("table %s lost its column %s", table, c)
				}
			}
		}
		if _, err := db.WriteDB().ExecContext(ctx, `INSERT INTO users_fts (users_fts) VALUES ('integrity-check')`); err != nil {
			t.Errorf("the trigram index after the migration: %v", err)
		}
		if got, want := sqliteSchema(t, db), sqliteSchema(t, storetest.Open(t, "sqlite", nil)); !slices.Equal(got, want) {
			t.Errorf("schema after the migration:\n%s\nwant, as a new database has it:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		view(t, db, func(tx meibo.Tx) error {
			for _, u := range []*meibo.User{taro, hanako} {
				got, err := tx.User(ctx, u.ID)
				if err != nil || got.Name != u.Name || got.Email != u.Email {
					t.Errorf("user %d after the migration: %+v, %v; want %s", u.ID, got, err, u.Name)
				}
			}
			return nil
		})
		var on int
		if err := db.WriteDB().QueryRowContext(ctx, `PRAGMA foreign_keys`).Scan(&on); err != nil || on != 1 {
			t.Errorf("foreign keys after the migration: %d (%v), want on", on, err)
		}
		// The triggers are back: a new user is counted.
		// (An id deleted before the migration, above the largest left,
		// may be given once more: SQLite kept no record of it.)
		next := user(p, "佐藤太郎", "")
		addUsers(t, db, next)
		if n := countUsers(t, db, "G1"); n != 3 {
			t.Errorf("%d users counted after the migration, want 3", n)
		}
		update(t, db, func(tx meibo.Tx) error { return tx.DeleteUsers(ctx, []int64{next.ID}) })
		last := user(p, "last", "")
		addUsers(t, db, last)
		if last.ID <= next.ID {
			t.Errorf("a user added after the newest was deleted got id %d; the deleted one had %d", last.ID, next.ID)
		}
	})
	t.Run("not without the switch", func(t *testing.T) {
		db := migratedBefore(t, "sqlite", "0036")
		applied, err := sqlstore.Migrate(ctx, db.WriteDB(), sqlite.Migrations)
		if err == nil || !strings.Contains(err.Error(), "foreign keys off") || slices.Contains(applied, migration) {
			t.Fatalf("migrated without a way to turn the foreign keys off: applied %q, %v; want it refused", applied, err)
		}
	})
	t.Run("refuses a broken key", func(t *testing.T) {
		db := migratedBefore(t, "sqlite", "0036")
		newGroup(t, db, "G1")
		w := db.WriteDB() // one connection: the pragma holds for the insert
		for _, q := range []string{`PRAGMA foreign_keys = OFF`, `INSERT INTO admin_groups (admin_id, group_id) VALUES (999, 'G1')`, `PRAGMA foreign_keys = ON`} {
			if _, err := w.ExecContext(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
		before := sqliteSchema(t, db)
		applied, err := db.Migrate(ctx)
		if err == nil || !strings.Contains(err.Error(), "admin_groups") || slices.Contains(applied, migration) {
			t.Fatalf("migration over a broken key: applied %q, %v; want it refused naming admin_groups", applied, err)
		}
		if after := sqliteSchema(t, db); !slices.Equal(before, after) {
			t.Errorf("the refused migration changed the schema:\n%s", strings.Join(after, "\n"))
		}
		var on int
		if err := w.QueryRowContext(ctx, `PRAGMA foreign_keys`).Scan(&on); err != nil || on != 1 {
			t.Errorf("foreign keys after the refusal: %d (%v), want on", on, err)
		}
	})
}
