package storetest_test

import (
	"os"
	"slices"
	"syscall"
	"time"
	"strings"
	"testing"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/store/sqlite"
	"github.com/meibo/meibo/store/sqlstore"
	"github.com/meibo/meibo/store/postgres"
)

func TestZZDebug(t *testing.T) {
	kws := os.Getenv("ZZ_KW")
	if kws == "" {
		t.Skip()
	}
	var db *sqlstore.DB
	var err error
	if os.Getenv("ZZ_PG") != "" {
		db, err = postgres.Open(ctx, "postgres://postgres@127.0.0.1:5432/test?sslmode=disable&search_path=meibo_bench_v2_1000000,public", 4, sqlstore.Options{})
	} else {
		db, err = sqlite.Open(ctx, "/tmp/meibo-bench-v2-1000000.db", sqlstore.Options{})
	}
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, kw := range strings.Split(kws, "|") {
		for i := 0; i < 8; i++ {
			t.Logf("--- %q", kw)
			view(t, db, func(tx meibo.Tx) error {
				p, err := tx.FindUsers(ctx, meibo.UserFilter{GroupID: "BENCH", Keyword: kw, Limit: 50})
				if err == nil {
					t.Logf("%d users, first %s", len(p.Users), p.Users[0].Name)
				}
				return err
			})
		}
	}
}

func BenchmarkZZ(b *testing.B) {
	var db *sqlstore.DB
	var err error
	if os.Getenv("ZZ_PG") != "" {
		db, err = postgres.Open(ctx, "postgres://postgres@127.0.0.1:5432/test?sslmode=disable&search_path=meibo_bench_v2_1000000,public", 4, sqlstore.Options{})
	} else {
		db, err = sqlite.Open(ctx, "/tmp/meibo-bench-v2-1000000.db", sqlstore.Options{})
	}
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	for _, kw := range strings.Split(os.Getenv("ZZ_KW"), "|") {
		b.Run(kw, func(b *testing.B) {
			var lat []time.Duration
			var ru0, ru1 syscall.Rusage
			syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
			for b.Loop() {
				st := time.Now()
				view(b, db, func(tx meibo.Tx) error {
					_, err := tx.FindUsers(ctx, meibo.UserFilter{GroupID: "BENCH", Keyword: kw, Limit: 50})
					return err
				})
				lat = append(lat, time.Since(st))
			}
			syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
			slices.Sort(lat)
			b.ReportMetric(float64(ru1.Utime.Nano()+ru1.Stime.Nano()-ru0.Utime.Nano()-ru0.Stime.Nano())/1e6/float64(len(lat)), "cpu-ms")
			b.ReportMetric(float64(lat[0].Microseconds())/1000, "min-ms")
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
		})
	}
}
