package sqlite_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/meibo/meibo/store/sqlite"
	"github.com/meibo/meibo/store/sqlstore"
)

var bg = context.Background()

func open(t *testing.T, path string) *sqlstore.DB {
	t.Helper()
	db, err := sqlite.Open(bg, path, sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(bg); err != nil {
		t.Fatal(err)
	}
	return db
}

func pragma(t *testing.T, db *sql.DB, name string) string {
	t.Helper()
	var v string
	if err := db.QueryRowContext(bg, `PRAGMA `+name).Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// TestPageSize: a new database has pages of 16 KiB and WAL; a database
// made with another page size keeps it, and WAL too.
func TestPageSize(t *testing.T) {
	t.Parallel()
	db := open(t, filepath.Join(t.TempDir(), "new.db"))
	for _, c := range []struct {
		pool *sql.DB
		name string
	}{{db.WriteDB(), "writer"}, {db.ReadDB(), "reader"}} {
		if got := pragma(t, c.pool, "page_size"); got != "16384" {
			t.Errorf("page_size on the %s: %s", c.name, got)
		}
		if got := pragma(t, c.pool, "journal_mode"); got != "wal" {
			t.Errorf("journal_mode on the %s: %s", c.name, got)
		}
	}
	if problems, err := db.CheckDurability(bg); err != nil || len(problems) > 0 {
		t.Errorf("durability: %q, %v", problems, err)
	}

	path := filepath.Join(t.TempDir(), "old.db")
	old, err := sql.Open("sqlite", "file:"+path+"?_pragma=page_size(4096)")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := old.Exec(`CREATE TABLE before (x)`); err != nil {
		t.Fatal(err)
	}
	old.Close()
	db = open(t, path)
	if got := pragma(t, db.WriteDB(), "page_size"); got != "4096" {
		t.Errorf("page_size of an existing database: %s", got)
	}
	if got := pragma(t, db.WriteDB(), "journal_mode"); got != "wal" {
		t.Errorf("journal_mode of an existing database: %s", got)
	}
}

// TestAloneJournal: a store alone on its file switches to a rollback
// journal for a load and back to WAL after it; with another connection on
// the file it stays in WAL, at once rather than after the busy timeout.
func TestAloneJournal(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "meibo.db")
	db := open(t, path)
	// The store's readers are open: the switch closes them first.
	if got := pragma(t, db.ReadDB(), "journal_mode"); got != "wal" {
		t.Fatalf("journal_mode: %s", got)
	}
	back, err := db.AloneJournal(bg)
	if err != nil {
		t.Fatal(err)
	}
	if got := pragma(t, db.WriteDB(), "journal_mode"); got != "delete" {
		t.Errorf("journal_mode during an alone load: %s", got)
	}
	if err := back(bg); err != nil {
		t.Fatal(err)
	}
	if got := pragma(t, db.WriteDB(), "journal_mode"); got != "wal" {
		t.Errorf("journal_mode after an alone load: %s", got)
	}

	// A server's connection on the same file.
	other, err := sqlite.Open(bg, path, sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	conn, err := other.ReadDB().Conn(bg)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.PingContext(bg); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	back, err = db.AloneJournal(bg)
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("the refused switch took %v: it waited for the busy timeout", took)
	}
	if got := pragma(t, db.WriteDB(), "journal_mode"); got != "wal" {
		t.Errorf("journal_mode with another connection open: %s", got)
	}
	if got := pragma(t, db.WriteDB(), "busy_timeout"); got != "10000" {
		t.Errorf("busy_timeout after the refused switch: %s", got)
	}
	if err := back(bg); err != nil {
		t.Fatal(err)
	}
}

// TestTimeText: the text TimeText gives a time is the text the driver
// stores for it, to the nanosecond and in any zone.
func TestTimeText(t *testing.T) {
	t.Parallel()
	db := open(t, filepath.Join(t.TempDir(), "times.db"))
	text := db.TimeText()
	if text == nil {
		t.Fatal("no TimeText on SQLite")
	}
	tokyo := time.FixedZone("JST", 9*3600)
	w := db.WriteDB()
	if _, err := w.ExecContext(bg, `CREATE TABLE times (at TEXT)`); err != nil {
		t.Fatal(err)
	}
	for _, at := range []time.Time{
		time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		time.Date(2026, 1, 2, 3, 4, 5, 120000000, time.UTC),
		time.Date(1999, 12, 31, 23, 59, 59, 999999999, time.UTC),
		time.Date(2026, 7, 8, 9, 10, 11, 123456789, tokyo),
		time.Now(), // with a monotonic reading
	} {
		if _, err := w.ExecContext(bg, `DELETE FROM times`); err != nil {
			t.Fatal(err)
		}
		if _, err := w.ExecContext(bg, `INSERT INTO times (at) VALUES (?)`, at); err != nil {
			t.Fatal(err)
		}
		var stored string
		if err := w.QueryRowContext(bg, `SELECT at FROM times`).Scan(&stored); err != nil {
			t.Fatal(err)
		}
		if got := text(at); got != stored {
			t.Errorf("%v: TimeText %q, the driver stored %q", at, got, stored)
		}
	}
}

// TestFilePermissions: a new database file, its write-ahead log and its
// shared memory are its owner's alone, whatever the umask; an existing
// file keeps the permissions it was given, and OpenToOthers tells them.
func TestFilePermissions(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "new.db")
	db := open(t, path)
	if _, err := db.WriteDB().ExecContext(bg, `INSERT INTO settings (key, value) VALUES ('k', 'v')`); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, want -rw-------", filepath.Base(f), fi.Mode().Perm())
		}
	}
	if mode, open := sqlite.OpenToOthers(path); open {
		t.Errorf("a new file is open to others: %v", mode)
	}

	shared := filepath.Join(dir, "shared.db")
	if err := os.WriteFile(shared, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(shared, 0o644); err != nil {
		t.Fatal(err)
	}
	open(t, shared)
	if mode, open := sqlite.OpenToOthers(shared); !open || mode != 0o644 {
		t.Errorf("an existing file of mode 0644: OpenToOthers %v, %v", mode, open)
	}
}
