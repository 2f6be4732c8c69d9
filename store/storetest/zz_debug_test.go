package storetest_test

import (
	"os"
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
		for i := 0; i < 3; i++ {
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
