package backup_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/backup"
	"github.com/meibo/meibo/service"
	"github.com/meibo/meibo/store/sqlstore"
	"github.com/meibo/meibo/store/storetest"
)

// schema lists the indexes, triggers and constraints of db with their
// definitions, sorted, with the name of PostgreSQL's schema left out (each
// test database has its own).
func schema(t *testing.T, db *sqlstore.DB) []string {
	t.Helper()
	q := []string{`SELECT type || ' ' || name || ' ON ' || tbl_name || ': ' || COALESCE(sql, '') FROM sqlite_master`}
	if db.Engine() == "postgres" {
		q = []string{
			`SELECT 'index ' || indexname || ': ' || replace(indexdef, current_schema() || '.', '') FROM pg_indexes WHERE schemaname = current_schema()`,
			`SELECT 'trigger ' || g.tgname || ': ' || replace(pg_get_triggerdef(g.oid), current_schema() || '.', '')
				FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid WHERE c.relnamespace = current_schema()::regnamespace AND NOT g.tgisinternal`,
			`SELECT 'constraint ' || k.conname || ' ON ' || c.relname || ': ' || pg_get_constraintdef(k.oid)
				FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid WHERE c.relnamespace = current_schema()::regnamespace`,
		}
	}
	var out []string
	for _, s := range q {
		out = append(out, rowsOf(t, db, s)...)
	}
	slices.Sort(out)
	if len(out) < 20 {
		t.Fatalf("the schema has only %d objects: %q", len(out), out)
	}
	return out
}

// rowsOf runs a query and returns its rows, each as one string, sorted.
func rowsOf(t *testing.T, db *sqlstore.DB, q string) []string {
	t.Helper()
	rows, err := db.ReadDB().QueryContext(bg, q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	cols := must(rows.Columns())(t)
	out := []string{}
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		for i, v := range vals {
			if i > 0 {
				b.WriteString("|")
			}
			if x, ok := v.([]byte); ok {
				v = string(x)
			}
			fmt.Fprint(&b, v)
		}
		out = append(out, b.String())
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

// derived reads the tables that triggers derive from users.
func derived(t *testing.T, db *sqlstore.DB) map[string][]string {
	t.Helper()
	out := map[string][]string{
		"unified_users":      rowsOf(t, db, `SELECT name, unified_key, email, members FROM unified_users`),
		"group_user_counts":  rowsOf(t, db, `SELECT group_id, users FROM group_user_counts`),
		"user_grams":         rowsOf(t, db, `SELECT group_id, gram, name_fold, name, user_id FROM user_grams`),
		"user_grams_pending": rowsOf(t, db, `SELECT group_id, name_fold, name, user_id, email_key FROM user_grams_pending`),
	}
	if db.Engine() == "sqlite" {
		out["users_fts_config"] = rowsOf(t, db, `SELECT k, v FROM users_fts_config`)
		// The trigram index's rows by keyword, through the index.
		for _, kw := range []string{"ali", "yamada", "example.org", "山田太"} {
			out["users_fts "+kw] = rowsOf(t, db, `SELECT rowid FROM users_fts WHERE users_fts MATCH '"`+kw+`"'`)
		}
	}
	return out
}

// checkWriter fails unless a SQLite database is in WAL mode again and its
// writer enforces foreign keys again (the load turned both off).
func checkWriter(t *testing.T, db *sqlstore.DB) {
	t.Helper()
	if db.Engine() != "sqlite" {
		return
	}
	var mode string
	if err := db.WriteDB().QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode after the restore: %q (%v)", mode, err)
	}
	var fk int
	if err := db.WriteDB().QueryRow(`PRAGMA foreign_keys`).Scan(&fk); err != nil || fk != 1 {
		t.Errorf("foreign_keys on the writer after the restore: %d (%v)", fk, err)
	}
}

// indexPending runs the keyword indexer until no user waits.
func indexPending(t *testing.T, db *sqlstore.DB) {
	t.Helper()
	for {
		var n int
		if err := db.Update(bg, func(tx meibo.Tx) error {
			var err error
			n, err = tx.IndexPendingUsers(bg, 1000)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
}

// reseal rewrites a backup's text with f and writes every stream's count
// and checksum again, as a backup of such data would hold them.
func reseal(t *testing.T, file []byte, f func(string) string) []byte {
	t.Helper()
	zr := must(gzip.NewReader(bytes.NewReader(file)))(t)
	body := f(string(must(io.ReadAll(zr))(t)))
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	sum := sha256.New()
	var rows, total int64
	var tables int
	sc := bufio.NewScanner(strings.NewReader(body))
	sc.Buffer(nil, 64<<20)
	for sc.Scan() {
		line := sc.Text()
		var c struct {
			Table string `json:"table"`
			End   string `json:"end"`
		}
		if strings.HasPrefix(line, "{") {
			if err := json.Unmarshal([]byte(line), &c); err != nil {
				t.Fatal(err)
			}
		}
		switch {
		case c.Table != "":
			sum.Reset()
			rows = 0
			sum.Write([]byte(line + "\n"))
		case c.End == "backup":
			line = fmt.Sprintf(`{"end":"backup","rows":%d,"tables":%d}`, total, tables)
		case c.End != "":
			line = fmt.Sprintf(`{"end":%q,"rows":%d,"sha256":%q}`, c.End, rows, hex.EncodeToString(sum.Sum(nil)))
			total += rows
			tables++
		case strings.HasPrefix(line, "["):
			sum.Write([]byte(line + "\n"))
			rows++
		}
		zw.Write([]byte(line + "\n"))
	}
	zw.Close()
	return out.Bytes()
}

// TestRestoreSchema: a restore drops indexes, triggers and (PostgreSQL)
// foreign keys while it loads and puts them back, so after it the schema
// is a freshly migrated database's, and the tables the triggers keep hold
// what the triggers would have written. A restore that fails after every
// user is written (its last stream damaged), or while it builds the indexes
// again (a duplicate that a unique index refuses), leaves schema and data
// as they were.
func TestRestoreSchema(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		src := populate(t, engine)
		// One person in two groups, the address written apart: the licence
		// count keeps the first user's address (by ID).
		sys := meibo.WithActor(bg, meibo.System("cli:test"))
		must(src.svc.CreateUser(sys, "G2", service.UserInput{Name: "alice", Email: "ALICE@example.org"}))(t)
		var buf bytes.Buffer
		must(backup.Write(bg, src.db, &buf, "test", 0))(t)
		file := buf.Bytes()
		fresh := schema(t, storetest.Open(t, engine, nil))

		// As the command restores: alone on the database (on SQLite,
		// with a rollback journal, and WAL again after it).
		dst := storetest.Open(t, engine, nil)
		must(backup.Restore(bg, dst, bytes.NewReader(file), backup.RestoreOptions{Alone: true}))(t)
		checkWriter(t, dst)
		if got := schema(t, dst); !reflect.DeepEqual(got, fresh) {
			t.Errorf("schema after a restore:\n%q\nfresh:\n%q", got, fresh)
		}
		// Every restored user waits for the keyword index; once indexed,
		// the derived tables are the source's.
		var users, pending int
		if err := dst.ReadDB().QueryRow(`SELECT (SELECT COUNT(*) FROM users), (SELECT COUNT(*) FROM user_grams_pending)`).Scan(&users, &pending); err != nil || users == 0 || pending != users {
			t.Errorf("%d users, %d waiting for the keyword index (%v)", users, pending, err)
		}
		indexPending(t, src.db)
		indexPending(t, dst)
		want := derived(t, src.db)
		if got := derived(t, dst); !reflect.DeepEqual(got, want) {
			t.Errorf("derived tables after a restore:\n%q\nsource:\n%q", got, want)
		}
		if engine == "sqlite" {
			if _, err := dst.WriteDB().Exec(`INSERT INTO users_fts (users_fts, rank) VALUES ('integrity-check', 1)`); err != nil {
				t.Errorf("trigram index: %v", err)
			}
		}

		failures := []struct {
			name string
			file []byte
		}{
			{"last stream damaged", rewrite(t, file, func(s string) string {
				i := strings.LastIndex(s, `"ext-1"`) // in user_identities, the last table
				return s[:i] + `"ext-2"` + s[i+len(`"ext-1"`):]
			})},
			{"key to a missing row", reseal(t, file, func(s string) string {
				// Group G1 renamed G9: its profiles and users refer to
				// a group that the file does not hold.
				return strings.Replace(s, `["G1",`, `["G9",`, 1)
			})},
			{"duplicate for a unique index", reseal(t, file, func(s string) string {
				// A group "g1" beside "G1": groups_id_lower refuses it
				// when it is built again.
				i := strings.Index(s, `["G1",`)
				end := i + strings.Index(s[i:], "\n") + 1
				return s[:end] + `["g1",` + s[i+len(`["G1",`):end] + s[end:]
			})},
		}
		for _, c := range failures {
			t.Run(c.name, func(t *testing.T) {
				// Verify reads streams, not keys or indexes.
				if _, err := backup.Verify(bytes.NewReader(c.file), ""); (err == nil) != (c.name != "last stream damaged") {
					t.Fatalf("verify: %v", err)
				}
				// Into a new database, and over an installation.
				empty := storetest.Open(t, engine, nil)
				_, err := backup.Restore(bg, empty, bytes.NewReader(c.file), backup.RestoreOptions{Alone: true})
				if err == nil {
					t.Fatal("the restore went through")
				}
				if c.name == "key to a missing row" && !strings.Contains(err.Error(), "foreign key") {
					t.Errorf("restore: %v, want a foreign key's error", err)
				}
				checkWriter(t, empty)
				if got := schema(t, empty); !reflect.DeepEqual(got, fresh) {
					t.Errorf("schema after a failed restore:\n%q\nfresh:\n%q", got, fresh)
				}
				for table, rows := range dump(t, empty) {
					if len(rows) > 0 {
						t.Errorf("table %s holds %d rows after a failed restore", table, len(rows))
					}
				}
				old := populate(t, engine)
				beforeSchema, beforeData, beforeDerived := schema(t, old.db), dump(t, old.db), derived(t, old.db)
				if _, err := backup.Restore(bg, old.db, bytes.NewReader(c.file), backup.RestoreOptions{Replace: true}); err == nil {
					t.Fatal("the restore went through")
				}
				checkWriter(t, old.db)
				if got := schema(t, old.db); !reflect.DeepEqual(got, beforeSchema) {
					t.Errorf("schema after a failed restore:\n%q\nbefore:\n%q", got, beforeSchema)
				}
				if !reflect.DeepEqual(dump(t, old.db), beforeData) {
					t.Error("a failed restore changed the data")
				}
				if !reflect.DeepEqual(derived(t, old.db), beforeDerived) {
					t.Error("a failed restore changed the derived tables")
				}
			})
		}
	})
}

// TestLoadTriggers: every trigger of a migrated database is one whose work
// a restore redoes (sqlstore's loadTriggers), so that a migration that adds
// a trigger makes its author decide whether a restore may drop it.
func TestLoadTriggers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		db := storetest.Open(t, engine, nil)
		q := `SELECT name FROM sqlite_master WHERE type = 'trigger'`
		if engine == "postgres" {
			q = `SELECT g.tgname FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid
				WHERE c.relnamespace = current_schema()::regnamespace AND NOT g.tgisinternal`
		}
		got := rowsOf(t, db, q)
		want := sqlstore.LoadTriggers(engine)
		slices.Sort(want)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("triggers of the schema %q, of a restore %q: add the new one to loadTriggers (and its work to Load.Finish) or leave it out on purpose", got, want)
		}
	})
}
