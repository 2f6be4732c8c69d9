package backup_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/backup"
	"github.com/meibo/meibo/store/sqlite"
	"github.com/meibo/meibo/store/sqlstore"
	"github.com/meibo/meibo/store/storetest"
)

// BenchmarkBackupRestore measures a backup of an installation of
// MEIBO_BENCH_USERS users (default 20,000; the README's figures are for
// 1,000,000) and its restore into a new database, on each engine:
//
//	MEIBO_BENCH_USERS=1000000 go test ./backup/ -run '^$' -bench BackupRestore -benchtime 1x
//
// It reports rows per second and this process's peak resident memory
// during each step (Linux: VmHWM, reset before the step).
func BenchmarkBackupRestore(b *testing.B) {
	n := 20000
	if v := os.Getenv("MEIBO_BENCH_USERS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil {
			b.Fatal(err)
		}
	}
	for _, engine := range storetest.Engines {
		b.Run(engine, func(b *testing.B) {
			src := benchStore(b, engine)
			fillUsers(b, src, n)
			file := filepath.Join(b.TempDir(), "bench.mbk")
			for i := 0; i < b.N; i++ {
				f, err := os.Create(file)
				if err != nil {
					b.Fatal(err)
				}
				resetPeak()
				start := time.Now()
				info, err := backup.Write(context.Background(), src, f, "bench", 0)
				if err != nil {
					b.Fatal(err)
				}
				f.Close()
				backupSecs := time.Since(start).Seconds()
				backupPeak := peakMiB()
				if engine == "sqlite" && i == b.N-1 {
					// The restore's memory is measured without the
					// source's, as the command that restores holds
					// no other database.
					src.Close()
				}

				dst := benchStore(b, engine)
				f, err = os.Open(file)
				if err != nil {
					b.Fatal(err)
				}
				resetPeak()
				start = time.Now()
				if _, err := backup.Restore(context.Background(), dst, f, backup.RestoreOptions{Alone: true}); err != nil {
					b.Fatal(err)
				}
				restoreSecs := time.Since(start).Seconds()
				restorePeak := peakMiB()
				f.Close()
				resetPeak()
				start = time.Now()
				indexed := indexAll(b, dst)
				indexSecs := time.Since(start).Seconds()
				b.ReportMetric(float64(indexed)/indexSecs, "index-users/s")
				b.ReportMetric(peakMiB(), "index-peak-MiB")
				b.ReportMetric(float64(info.Rows)/backupSecs, "backup-rows/s")
				b.ReportMetric(float64(info.Rows)/restoreSecs, "restore-rows/s")
				b.ReportMetric(backupPeak, "backup-peak-MiB")
				b.ReportMetric(restorePeak, "restore-peak-MiB")
				b.ReportMetric(float64(info.Size)/float64(info.Rows), "file-bytes/row")
				b.Logf("%s: %d rows, backup %.1f s, restore %.1f s, keyword index of %d users %.1f s, file %d MiB",
					engine, info.Rows, backupSecs, restoreSecs, indexed, indexSecs, info.Size>>20)
			}
		})
	}
}

// benchStore opens a new database as the command line does (on SQLite: no
// memory-mapped reads, whose pages would count as the process's memory).
func benchStore(b *testing.B, engine string) *sqlstore.DB {
	if engine != "sqlite" {
		return storetest.Open(b, engine, nil)
	}
	db, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "meibo.db"), sqlstore.Options{Bulk: true})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(context.Background()); err != nil {
		b.Fatal(err)
	}
	return db
}

// fillUsers writes n users into one group directly, in large batches, with
// the shape of real ones (a password hash, an e-mail address, times).
func fillUsers(b *testing.B, db *sqlstore.DB, n int) {
	b.Helper()
	ctx := context.Background()
	now := time.Date(2026, 1, 2, 3, 4, 5, 123456000, time.UTC)
	hash := "$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHRzb21lc2FsdA$" + strings.Repeat("h", 43)
	w := db.WriteDB()
	if _, err := w.ExecContext(ctx, `INSERT INTO groups (id, name, created_at, updated_at) VALUES ('G1', 'Bench', $1, $1)`, now); err != nil {
		b.Fatal(err)
	}
	if _, err := w.ExecContext(ctx, `INSERT INTO profiles (id, group_id, name, is_default, created_at, updated_at) VALUES (1, 'G1', 'default', TRUE, $1, $1)`, now); err != nil {
		b.Fatal(err)
	}
	tx, err := w.BeginTx(ctx, nil)
	if err != nil {
		b.Fatal(err)
	}
	// The users wait for the keyword index, as an import leaves them: a
	// backup holds no index.
	deferIndex := `INSERT INTO user_grams_defer (mark) VALUES (1)`
	if db.Engine() == "postgres" {
		deferIndex = `SELECT set_config('meibo.defer_grams', 'on', true)`
	}
	if _, err := tx.ExecContext(ctx, deferIndex); err != nil {
		b.Fatal(err)
	}
	const batch = 500
	for start := 0; start < n; start += batch {
		var q strings.Builder
		q.WriteString(`INSERT INTO users (group_id, name, name_fold, email, email_key, unified_key, password_hash, profile_id, created_at, updated_at, password_changed_at) VALUES `)
		var args []any
		for i := start; i < min(start+batch, n); i++ {
			if i > start {
				q.WriteString(", ")
			}
			p := len(args)
			if db.Engine() == "postgres" {
				fmt.Fprintf(&q, "('G1', $%d, $%d, $%d, $%d, $%d, $%d, 1, $%d, $%d, $%d)", p+1, p+2, p+3, p+4, p+5, p+6, p+7, p+8, p+9)
			} else {
				q.WriteString("('G1', ?, ?, ?, ?, ?, ?, 1, ?, ?, ?)") // numbered ones are slow to bind on SQLite
			}
			name := fmt.Sprintf("user%07d", i)
			email := name + "@example.org"
			args = append(args, name, meibo.Fold(name), email, email, email, hash, now, now, now)
		}
		if _, err := tx.ExecContext(ctx, q.String(), args...); err != nil {
			b.Fatal(err)
		}
	}
	if db.Engine() == "sqlite" {
		if _, err := tx.ExecContext(ctx, `DELETE FROM user_grams_defer`); err != nil {
			b.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
}

// indexAll indexes every user waiting for the keyword index, as the
// server's indexer does after a restore, and returns how many.
func indexAll(b *testing.B, db *sqlstore.DB) int {
	total := 0
	for {
		var n int
		err := db.Update(context.Background(), func(tx meibo.Tx) error {
			var err error
			n, err = tx.IndexPendingUsers(context.Background(), 5000)
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
		if n == 0 {
			return total
		}
		total += n
	}
}

// resetPeak resets this process's peak resident memory (Linux) to what it
// holds now, after giving back what the heap no longer uses.
func resetPeak() {
	debug.FreeOSMemory()
	os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) //nolint:errcheck // not Linux: no figure
}

// peakMiB is this process's peak resident memory since resetPeak, in MiB.
func peakMiB() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			kb, _ := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(line, "VmHWM:"), "kB")), 64)
			return kb / 1024
		}
	}
	return 0
}
