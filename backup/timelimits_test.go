package backup_test

import (
	"bytes"
	"database/sql"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/meibo/meibo/backup"
	"github.com/meibo/meibo/store/sqlstore"
	"github.com/meibo/meibo/store/storetest"
)

// slowWriter takes its first writes slowly, as a download to a slow client.
type slowWriter struct {
	w     io.Writer
	slow  int
	delay time.Duration
}

func (s *slowWriter) Write(p []byte) (int, error) {
	if s.slow > 0 {
		s.slow--
		time.Sleep(s.delay)
	}
	return s.w.Write(p)
}

// slowReader gives its bytes a few at a time, slowly, as an upload from a
// slow client.
type slowReader struct {
	r     io.Reader
	delay time.Duration
}

func (s *slowReader) Read(p []byte) (int, error) {
	time.Sleep(s.delay)
	return s.r.Read(p[:min(len(p), 4096)])
}

// timedStore opens a new, migrated store on PostgreSQL through a DSN that
// sets the server's time limits as a database administrator might for
// meibo's user: a statement, or a transaction idle between two, ended after
// 200 ms. The migrations run under them too.
func timedStore(t *testing.T) (db *sqlstore.DB, untimed string) {
	t.Helper()
	untimed = storetest.SchemaDSN(t, storetest.PostgresDSN(t))
	db = storetest.OpenPostgres(t, untimed+"&statement_timeout=200&idle_in_transaction_session_timeout=200&lock_timeout=200", sqlstore.Options{})
	var limit string
	if err := db.ReadDB().QueryRow(`SHOW statement_timeout`).Scan(&limit); err != nil || limit != "200ms" {
		t.Fatalf("statement_timeout %q, %v", limit, err)
	}
	return db, untimed
}

// TestServerTimeLimits: a restore read from a slow client and a backup
// written to one take longer than the time limits a database administrator
// set for meibo's user; they complete, as pg_dump does, while those limits
// still hold for every other statement.
func TestServerTimeLimits(t *testing.T) {
	t.Parallel()
	src := populate(t, "postgres")
	var file bytes.Buffer
	must(backup.Write(bg, src.db, &file, "test", 0))(t)

	timed, untimed := timedStore(t)
	if _, err := backup.Restore(bg, timed, &slowReader{bytes.NewReader(file.Bytes()), 300 * time.Millisecond}, backup.RestoreOptions{}); err != nil {
		t.Fatalf("restore from a slow upload: %v", err)
	}

	// Enough users that the server is still sending them, held back by a
	// full socket, while the download takes the first of the file slowly
	// (written without the limits, waiting for the keyword index).
	plain, err := sql.Open("pgx", untimed)
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	tx, err := plain.Begin()
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`SELECT set_config('meibo.defer_grams', 'on', true)`,
		`INSERT INTO users (group_id, name, name_fold, email, email_key, unified_key, profile_id, created_at, updated_at)
		SELECT 'G1', n, n, e, e, e, (SELECT min(id) FROM profiles WHERE group_id = 'G1'), now(), now()
		FROM generate_series(1, 60000) i, LATERAL (SELECT 'bulk' || i AS n, 'bulk' || i || '@example.org' AS e) v`} {
		if _, err := tx.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}

	var out bytes.Buffer
	info, err := backup.Write(bg, timed, &slowWriter{w: &out, slow: 3, delay: 300 * time.Millisecond}, "test", 0)
	if err != nil {
		t.Fatalf("backup to a slow download: %v", err)
	}
	if info.Rows < 60000 || out.Len() == 0 {
		t.Fatalf("backup to a slow download: %d rows, %d bytes", info.Rows, out.Len())
	}
	if _, err := timed.ReadDB().Exec(`SELECT pg_sleep(0.5)`); err == nil || !strings.Contains(err.Error(), "statement timeout") {
		t.Errorf("a statement of 500 ms outside a backup or restore: %v; want the server's statement timeout", err)
	}
}
