package scim_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/argon2id"
	"github.com/meibo/meibo/scim"
	"github.com/meibo/meibo/service"
	"github.com/meibo/meibo/store/sqlstore"
	"github.com/meibo/meibo/store/storetest"
)

// benchVersion names the kept benchmark data: change it when the generator
// below changes, so that the next run loads afresh.
const benchVersion = "v1"

// BenchmarkFilter answers SCIM filters on one large group through HTTP and
// reports the median and 99th percentile latency. The group's size is
// MEIBO_SCIM_BENCH_USERS (default 20,000); its users ("user0000000",
// "user0000000@example.org", one in 33 disabled) are loaded once per engine
// and size and kept (storetest.OpenKept), a million in a few minutes:
//
//	MEIBO_SCIM_BENCH_USERS=1000000 go test ./scim -run '^$' -bench Filter -benchtime 100x -timeout 60m
func BenchmarkFilter(b *testing.B) {
	n := 20000
	if v := os.Getenv("MEIBO_SCIM_BENCH_USERS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 13000 {
			b.Fatalf("MEIBO_SCIM_BENCH_USERS=%q: a whole number of at least 13,000 (the filters look for user0012345)", v)
		}
	}
	for _, engine := range storetest.Engines {
		b.Run(engine, func(b *testing.B) {
			h, _ := argon2id.New(argon2id.Params{Memory: 7 * 1024, Time: 5, Threads: 1})
			log := slog.New(slog.NewTextHandler(io.Discard, nil))
			db := storetest.OpenKept(b, engine, fmt.Sprintf("scim_bench_%s_%d", benchVersion, n), func(db *sqlstore.DB) error {
				return loadBenchUsers(b, db, n)
			})
			svc := service.New(db, service.Config{Hasher: h, Logger: log})
			sys := meibo.WithActor(context.Background(), meibo.System("bench"))
			tok, _, err := svc.CreateSCIMToken(sys, "G1", "bench", time.Hour)
			if err != nil {
				b.Fatal(err)
			}
			srv := httptest.NewServer(scim.New(svc, scim.Options{Logger: log}))
			defer srv.Close()
			for _, q := range []struct{ name, query string }{
				{"userName_eq", "filter=" + url.QueryEscape(`userName eq "user0012345"`)},
				{"userName_sw", "filter=" + url.QueryEscape(`userName sw "user00123"`)},
				{"userName_co", "filter=" + url.QueryEscape(`userName co "r001234"`)},
				{"emails_co", "filter=" + url.QueryEscape(`emails.value co "0012345@"`)},
				{"emails_eq", "filter=" + url.QueryEscape(`emails.value eq "USER0012345@example.org"`)},
				{"userName_eq_and_active", "filter=" + url.QueryEscape(`userName eq "user0012345" and active eq true`)},
				{"active_false", "filter=" + url.QueryEscape(`active eq false`) + "&count=100"},
				{"admins", "filter=" + url.QueryEscape(`urn:meibo:params:scim:schemas:extension:meibo:2.0:User:admin eq true`)},
				{"emails_sw", "filter=" + url.QueryEscape(`emails.value sw "user00123"`)},
				{"page_first", "startIndex=1&count=100"},
				{"page_later", "startIndex=500001&count=100"}, // the middle: the deepest page
				{"page_late", "startIndex=900001&count=100"},  // read from the end
			} {
				b.Run(q.name, func(b *testing.B) {
					req, _ := http.NewRequest("GET", srv.URL+"/scim/v2/G1/Users?"+q.query, nil)
					req.Header.Set("Authorization", "Bearer "+tok)
					var lat []time.Duration
					for b.Loop() {
						start := time.Now()
						res, err := http.DefaultClient.Do(req)
						if err != nil {
							b.Fatal(err)
						}
						io.Copy(io.Discard, res.Body) //nolint:errcheck
						res.Body.Close()
						lat = append(lat, time.Since(start))
						if res.StatusCode != 200 {
							b.Fatal(res.Status)
						}
					}
					slices.Sort(lat)
					pct := func(p float64) float64 {
						return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000
					}
					b.ReportMetric(pct(0.50), "p50-ms")
					b.ReportMetric(pct(0.99), "p99-ms")
				})
			}
		})
	}
}

// loadBenchUsers fills group G1 with n users, 50,000 to a transaction,
// each batch written by the store's multi-row insert (COPY on PostgreSQL),
// as imports write theirs.
func loadBenchUsers(b *testing.B, db *sqlstore.DB, n int) error {
	ctx := context.Background()
	start := time.Now()
	var def int64
	err := db.Update(ctx, func(tx meibo.Tx) error {
		if err := tx.CreateGroup(ctx, &meibo.Group{ID: "G1", Name: "Benchmark"}); err != nil {
			return err
		}
		p := &meibo.Profile{GroupID: "G1", Name: meibo.DefaultProfileName, Actions: meibo.AllActions, APIAccess: true, Default: true}
		if err := tx.CreateProfile(ctx, p); err != nil {
			return err
		}
		def = p.ID
		return nil
	})
	if err != nil {
		return err
	}
	const per = 50_000
	for done := 0; done < n; done += per {
		users := make([]*meibo.User, 0, per)
		for i := done; i < min(done+per, n); i++ {
			name := fmt.Sprintf("user%07d", i)
			users = append(users, &meibo.User{GroupID: "G1", Name: name, Email: name + "@example.org", ProfileID: def, Disabled: i%33 == 0})
		}
		if err := db.Update(ctx, func(tx meibo.Tx) error { return tx.CreateUsers(ctx, users) }); err != nil {
			return err
		}
		if (done+per)%200_000 == 0 {
			b.Logf("%s: %d users loaded in %v", db.Engine(), done+per, time.Since(start).Round(time.Second))
		}
	}
	b.Logf("%s: loaded %d users in %v", db.Engine(), n, time.Since(start).Round(time.Second))
	return nil
}
