// Package sqlite opens meibo's store on a SQLite file with the pure-Go driver
// modernc.org/sqlite (no cgo): WAL, busy_timeout, foreign keys and
// synchronous=FULL; one writer connection beside a pool of readers. The SQL
// itself is shared with PostgreSQL in store/sqlstore.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/meibo/meibo/store/sqlstore"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations are the SQLite migrations, in name order.
var Migrations, _ = fs.Sub(migrationFiles, "migrations")

// pragmas apply to every connection; busy_timeout comes first so that the
// others wait for a lock instead of failing.
//
// page_size sets the pages of a new database to 16 KiB (4 KiB by default;
// an existing file keeps its own). A bulk load (a restore, a large import)
// reads and writes a page per system call, and a quarter as many of them
// took a fifth off a restore of a million users. The driver runs the
// _pragma list in name order, journal_mode before page_size, and a
// database's pages are sized when its first page is written, which a switch
// to WAL does: WAL is set with the _journal_mode key, which runs after
// the list.
const pragmas = "_pragma=busy_timeout(10000)&_pragma=page_size(16384)&_journal_mode=WAL&_pragma=foreign_keys(1)&_pragma=synchronous(FULL)" +
	"&_time_format=sqlite"

// readPragmas apply to the readers of a server. mmap_size maps the file
// (its first GiB) instead of copying each page in with a system call: a
// search that reads a few thousand rows scattered through the table (the
// matches of a keyword, to sort them) spends half its time in those calls
// otherwise. A bulk process (Options.Bulk) does without: the mapped pages
// would count as its memory.
const readPragmas = "&_pragma=mmap_size(1073741824)"

// writePragmas give the one writer a 16 MiB page cache (instead of 2 MiB):
// a bulk insert that maintains several indexes reads fewer pages again.
const writePragmas = "&_txlock=immediate&_pragma=cache_size(-16384)"

// Open opens (creating if needed) the SQLite database at path.
func Open(ctx context.Context, path string, opts sqlstore.Options) (*sqlstore.DB, error) {
	if path == "" || strings.HasPrefix(path, ":memory:") {
		return nil, errors.New("sqlite: a file path is needed (the store keeps a writer and readers on one file)")
	}
	if err := createPrivate(path); err != nil {
		return nil, err
	}
	name := "file:" + (&url.URL{Path: path}).EscapedPath()
	write, err := sql.Open("sqlite", name+"?"+pragmas+writePragmas)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxIdleTime(0)
	if err := write.PingContext(ctx); err != nil {
		write.Close()
		if code(err) == sqlite3.SQLITE_READONLY_DIRECTORY {
			return nil, fmt.Errorf("open %s: this user may not create files in the folder %s, where SQLite keeps the database's "+
				"-wal and -shm files beside it: make the folder writable by the user meibo runs as, or move the database into one that is (%w)",
				path, filepath.Dir(path), err)
		}
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	rp := readPragmas
	if opts.Bulk {
		rp = ""
	}
	read, err := sql.Open("sqlite", name+"?"+pragmas+"&_pragma=query_only(1)"+rp)
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	n := max(4, runtime.GOMAXPROCS(0))
	read.SetMaxOpenConns(n)
	read.SetMaxIdleConns(n)
	return sqlstore.New(read, write, dialect{path: path}, Migrations, opts), nil
}

// createPrivate creates the database file, empty, readable and writable by
// its owner alone, when there is none yet: it holds password hashes and the
// links of the mail waiting to be sent. SQLite gives its write-ahead log
// and shared-memory files the database file's permissions. (Left to SQLite,
// the file would be created with the process's umask, usually readable by
// every user of the machine.)
func createPrivate(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	switch {
	case errors.Is(err, fs.ErrExist):
		return nil
	case err != nil:
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err // the path is said once
		}
		return fmt.Errorf("create the database file %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("create the database file %s: %w", path, err)
	}
	return nil
}

// OpenToOthers reports whether users other than the owner of the database
// file at path (its group, or anyone) may read it or write it.
func OpenToOthers(path string) (fs.FileMode, bool) {
	fi, err := os.Stat(path)
	if err != nil {
		return 0, false
	}
	return fi.Mode().Perm(), fi.Mode().Perm()&0o066 != 0
}

type dialect struct {
	path string // of the database file
}

// ReadOnly says why this user cannot write the database: its file, its
// -wal or -shm file, or its folder is read-only for the user (or on a
// read-only file system). SQLite opens such a file for reading and refuses
// the first write with "attempt to write a readonly database".
func (d dialect) ReadOnly(context.Context, *sql.DB) (string, error) {
	for _, f := range []string{d.path, d.path + "-wal", d.path + "-shm"} {
		err := syscall.Access(f, 2) // W_OK
		if err == nil || errors.Is(err, fs.ErrNotExist) {
			continue
		}
		mode := ""
		if fi, serr := os.Stat(f); serr == nil {
			mode = ", mode " + fi.Mode().Perm().String()
		}
		return fmt.Sprintf("the file %s is read-only for this user (%v%s): make it, and the database's -wal and -shm files, "+
			"writable by the user meibo runs as", f, err, mode), nil
	}
	dir := filepath.Dir(d.path)
	if err := syscall.Access(dir, 2|1); err != nil { // W_OK|X_OK: SQLite makes -wal and -shm files there
		return fmt.Sprintf("this user may not create files in the folder %s (%v), where SQLite keeps the database's -wal and -shm files: "+
			"make the folder writable by the user meibo runs as", dir, err), nil
	}
	return "", nil
}

func (dialect) Name() string { return "sqlite" }

// timeLayout is how the driver writes a time with _time_format=sqlite.
const timeLayout = "2006-01-02 15:04:05.999999999-07:00"

func (dialect) TimeText(t time.Time) string { return t.Format(timeLayout) }

func code(err error) int {
	var e *sqlite.Error
	if errors.As(err, &e) {
		return e.Code()
	}
	return 0
}

func (dialect) IsUnique(err error) bool {
	c := code(err)
	return c == sqlite3.SQLITE_CONSTRAINT_UNIQUE || c == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
}

func (dialect) IsForeignKey(err error) bool {
	return code(err) == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
}

func (dialect) Cast(placeholder, _ string) string { return placeholder }

// Lock does nothing: the store has one writer connection and opens write
// transactions with BEGIN IMMEDIATE, so they run one at a time.
func (dialect) Lock(context.Context, *sql.Tx, string) error { return nil }

func (dialect) MaxParams() int { return 32766 }

func (dialect) SkipLocked() string { return "" }

// ForeignKeysSQL: PRAGMA foreign_keys changes nothing inside a
// transaction, so the migration runner sets it on its connection before
// it begins; foreign_key_check lists the rows that break a foreign key.
func (dialect) ForeignKeysSQL() (off, on, check string) {
	return "PRAGMA foreign_keys = OFF", "PRAGMA foreign_keys = ON", `SELECT "table", rowid, parent FROM pragma_foreign_key_check LIMIT 1`
}

func (dialect) TableExists(ctx context.Context, db *sql.DB, name string) (bool, error) {
	var n int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = $1`, name).Scan(&n); err != nil {
		return false, fmt.Errorf("look for table %s: %w", name, err)
	}
	return n > 0, nil
}

// SearchIDs asks the trigram index, and the users waiting for it, for the
// rows holding the keyword (in every group), reading no more than limit+1
// of them, listed in one string: thousands of IDs row by row cost more than
// the index lookup itself.
func (dialect) SearchIDs(ctx context.Context, tx *sql.Tx, keyword string, limit int) ([]int64, bool, error) {
	var list sql.NullString
	if err := tx.QueryRowContext(ctx, `SELECT group_concat(id) FROM (`+trigramIDs("?1", "?2")+` LIMIT `+
		strconv.Itoa(limit+1)+`)`, phrase(keyword), keyword).Scan(&list); err != nil {
		return nil, false, err
	}
	if list.String == "" {
		return nil, true, nil
	}
	parts := strings.Split(list.String, ",")
	if len(parts) > limit {
		return nil, false, nil
	}
	ids := make([]int64, len(parts))
	for i, p := range parts {
		var err error
		if ids[i], err = strconv.ParseInt(p, 10, 64); err != nil {
			return nil, false, err
		}
	}
	return ids, true, nil
}

// TrigramIDs is a subquery of the users holding the keyword (column id),
// which the search joins its users to when it sorts thousands of them (see
// sqlstore's trigramSubquery).
func (dialect) TrigramIDs(keyword string, arg func(any) string) string {
	return trigramIDs(arg(phrase(keyword)), arg(keyword))
}

// trigramIDs selects the users holding a keyword (column id): those of the
// trigram index that its phrase matches, and those waiting for the index
// (migration 0022) whose folded name or e-mail key holds it. A user is in
// exactly one of the two.
func trigramIDs(phrase, keyword string) string {
	return `SELECT rowid AS id FROM users_fts WHERE users_fts MATCH ` + phrase + ` UNION ALL
		SELECT user_id FROM user_grams_pending WHERE instr(name_fold, ` + keyword + `) > 0 OR instr(email_key, ` + keyword + `) > 0`
}

// phrase quotes a keyword as one FTS5 phrase: with the trigram tokenizer,
// its trigrams in a row, i.e. the keyword as a substring.
func phrase(keyword string) string {
	return `"` + strings.ReplaceAll(keyword, `"`, `""`) + `"`
}

// Rebind turns $n placeholders into anonymous ones (see
// sqlstore.RebindPositional).
func (dialect) Rebind(query string, args []any) (string, []any) {
	return sqlstore.RebindPositional(query, args)
}

// Notify does nothing: one server uses a SQLite file, and it notifies its
// own waiters in process.
func (dialect) Notify(context.Context, *sql.Tx, string, string) error { return nil }

// Listen returns at once: see Notify.
func (dialect) Listen(context.Context, *sql.DB, string, func(string)) error { return nil }
