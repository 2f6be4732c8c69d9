package service_test

import (
	"bufio"
	"context"
	"database/sql"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/argon2id"
	"github.com/meibo/meibo/service"
	"github.com/meibo/meibo/store/sqlite"
	"github.com/meibo/meibo/store/sqlstore"
	"github.com/meibo/meibo/store/storetest"
)

var (
	importSizes = flag.String("import-sizes", "100000,2000000", "BenchmarkImportSize: file sizes in rows, comma-separated")
	import10M   = flag.Bool("import-10m", false, "BenchmarkImportSize: also import 10,000,000 rows (not in CI: about half an hour per engine)")
)

// BenchmarkImportSize imports files of 100,000 and 2,000,000 new users
// without passwords (10,000,000 with -import-10m) on each engine, then the
// same file again with "update existing users" (every row unchanged). Beside
// each it measures, in the same run, a plain multi-row INSERT of the same
// rows into the same users table (same indexes and triggers) of another
// fresh database, and prints the ratio import/INSERT. Peak memory is the
// growth of the process's peak resident memory (VmHWM, reset before each
// import) over what it held before (the generated file is held already);
// the store is opened as `meibo import` opens it.
//
// The import's rate is meant not to depend on the size: the 2,000,000-row
// rate should be at least 0.8 × the 100,000-row rate.
func BenchmarkImportSize(b *testing.B) {
	sizes := []int{}
	for _, s := range strings.Split(*importSizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			b.Fatalf("-import-sizes: %v", err)
		}
		sizes = append(sizes, n)
	}
	if *import10M {
		sizes = append(sizes, 10_000_000)
	}
	for _, engine := range storetest.Engines {
		for _, rows := range sizes {
			b.Run(fmt.Sprintf("%s/%d", engine, rows), func(b *testing.B) {
				data := usersFile(rows, false)
				var create, again, plain time.Duration
				var peak int64
				for b.Loop() {
					b.StopTimer()
					svc, ctx := bulkService(b, engine)
					runtime.GC()
					base := resetPeak()
					b.StartTimer()
					t0 := time.Now()
					runImport(b, svc, ctx, data, false)
					t1 := time.Now()
					runImport(b, svc, ctx, data, true)
					create += t1.Sub(t0)
					again += time.Since(t1)
					b.StopTimer()
					peak = max(peak, peakRSS()-base)
					db := storetest.Open(b, engine, nil)
					plain += plainInsert(b, db, rows)
					b.StartTimer()
				}
				rate := float64(rows*b.N) / create.Seconds()
				plainRate := float64(rows*b.N) / plain.Seconds()
				b.ReportMetric(rate, "create-rows/s")
				b.ReportMetric(float64(rows*b.N)/again.Seconds(), "unchanged-rows/s")
				b.ReportMetric(plainRate, "insert-rows/s")
				b.ReportMetric(rate/plainRate, "create/insert")
				b.ReportMetric(float64(peak>>20), "peak-MiB")
			})
		}
	}
}

// bulkService is benchService on a store opened as `meibo import` opens it
// (sqlstore.Options.Bulk: on SQLite, no memory-mapped reads, whose pages
// would count as the process's memory), without a size limit.
func bulkService(b *testing.B, engine string) (*service.Service, context.Context) {
	var db *sqlstore.DB
	if engine != "sqlite" {
		db = storetest.Open(b, engine, nil)
	} else {
		path := filepath.Join(b.TempDir(), "bulk.db")
		var err error
		if db, err = sqlite.Open(context.Background(), path, sqlstore.Options{Bulk: true}); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { db.Close() })
		if _, err := db.Migrate(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
	h, err := argon2id.New(argon2id.Default)
	if err != nil {
		b.Fatal(err)
	}
	svc := service.New(db, service.Config{Hasher: h, ImportMaxBytes: math.MaxInt64})
	ctx := meibo.WithActor(context.Background(), meibo.System("bench"))
	if _, err := svc.CreateGroup(ctx, meibo.Group{ID: "G1"}); err != nil {
		b.Fatal(err)
	}
	return svc, ctx
}

// plainInsert writes rows users like those of usersFile into db's users table
// with multi-row INSERT statements of 500 rows in one transaction, and
// returns how long it took: what a bulk write costs on this engine with
// these indexes, nothing checked.
func plainInsert(b *testing.B, db *sqlstore.DB, rows int) time.Duration {
	ctx := meibo.WithActor(context.Background(), meibo.System("bench"))
	svc := service.New(db, service.Config{})
	if _, err := svc.CreateGroup(ctx, meibo.Group{ID: "G1"}); err != nil {
		b.Fatal(err)
	}
	var profile int64
	if err := db.ReadDB().QueryRowContext(ctx, `SELECT id FROM profiles WHERE group_id = 'G1'`).Scan(&profile); err != nil {
		b.Fatal(err)
	}
	const per = 500
	const cols = 12
	ph := func(n int) string {
		if db.Engine() == "sqlite" {
			return "?"
		}
		return "$" + strconv.Itoa(n)
	}
	insert := func(n int) string {
		var q strings.Builder
		q.WriteString(`INSERT INTO users (group_id, name, name_fold, email, email_key, unified_key, profile_id, admin, api_access, disabled, created_at, updated_at) VALUES `)
		for r := range n {
			if r > 0 {
				q.WriteString(", ")
			}
			q.WriteString("(")
			for c := range cols {
				if c > 0 {
					q.WriteString(", ")
				}
				q.WriteString(ph(r*cols + c + 1))
			}
			q.WriteString(")")
		}
		return q.String()
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	t0 := time.Now()
	tx, err := db.WriteDB().BeginTx(ctx, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer tx.Rollback()
	var st *sql.Stmt
	args := make([]any, 0, per*cols)
	for start := 0; start < rows; start += per {
		n := min(per, rows-start)
		args = args[:0]
		for i := start; i < start+n; i++ {
			name := fmt.Sprintf("user%07d", i)
			email := fmt.Sprintf("user%07d@example%d.org", i, i%7)
			u := meibo.User{Name: name, Email: email}
			args = append(args, "G1", name, meibo.Fold(name), email, meibo.EmailKey(email), u.UnifiedKey().EmailKey,
				profile, false, false, false, now, now)
		}
		if n < per {
			if _, err := tx.ExecContext(ctx, insert(n), args...); err != nil {
				b.Fatal(err)
			}
			continue
		}
		if st == nil {
			if st, err = tx.PrepareContext(ctx, insert(per)); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := st.ExecContext(ctx, args...); err != nil {
			b.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	return time.Since(t0)
}

// resetPeak resets the process's peak resident memory to its current one
// (Linux) and returns that.
func resetPeak() int64 {
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
	return procStatus("VmRSS:")
}

// peakRSS is the process's peak resident memory since the last reset.
func peakRSS() int64 { return procStatus("VmHWM:") }

func procStatus(key string) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), key); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}
