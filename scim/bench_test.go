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
	"strconv"
	"testing"
	"time"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/argon2id"
	"github.com/meibo/meibo/scim"
	"github.com/meibo/meibo/service"
	"github.com/meibo/meibo/store/storetest"
)

// BenchmarkFilter answers SCIM filters on one large group through HTTP. The
// group's size is MEIBO_SCIM_BENCH_USERS (default 20,000). Filters the
// indexes serve (userName eq, sw, co of three or more characters, id,
// externalId) read a handful of rows; the others (active eq, ne, not, or,
// dates) read the whole group and grow with it.
func BenchmarkFilter(b *testing.B) {
	n := 20000
	if v := os.Getenv("MEIBO_SCIM_BENCH_USERS"); v != "" {
		n, _ = strconv.Atoi(v)
	}
	for _, engine := range storetest.Engines {
		b.Run(engine, func(b *testing.B) {
			h, _ := argon2id.New(argon2id.Params{Memory: 7 * 1024, Time: 5, Threads: 1})
			log := slog.New(slog.NewTextHandler(io.Discard, nil))
			db := storetest.Open(b, engine, nil)
			svc := service.New(db, service.Config{Hasher: h, Logger: log})
			sys := meibo.WithActor(context.Background(), meibo.System("bench"))
			if _, err := svc.CreateGroup(sys, meibo.Group{ID: "G1"}); err != nil {
				b.Fatal(err)
			}
			ps, _ := svc.Profiles(sys, "G1")
			for start := 0; start < n; start += 5000 {
				var users []*meibo.User
				for i := start; i < min(start+5000, n); i++ {
					name := fmt.Sprintf("user%07d", i)
					users = append(users, &meibo.User{GroupID: "G1", Name: name, Email: name + "@example.org", ProfileID: ps[0].ID})
				}
				if err := db.Update(context.Background(), func(tx meibo.Tx) error { return tx.CreateUsers(context.Background(), users) }); err != nil {
					b.Fatal(err)
				}
			}
			tok, _, err := svc.CreateSCIMToken(sys, "G1", "bench", time.Hour)
			if err != nil {
				b.Fatal(err)
			}
			srv := httptest.NewServer(scim.New(svc, scim.Options{Logger: log}))
			defer srv.Close()
			for _, q := range []string{
				"filter=" + url.QueryEscape(`userName eq "user0012345"`),
				"filter=" + url.QueryEscape(`userName sw "user00123"`),
				"filter=" + url.QueryEscape(`emails.value co "0012345@"`),
				"filter=" + url.QueryEscape(`userName eq "user0012345" and active eq true`),
				"startIndex=1&count=100",
			} {
				b.Run(q, func(b *testing.B) {
					req, _ := http.NewRequest("GET", srv.URL+"/scim/v2/G1/Users?"+q, nil)
					req.Header.Set("Authorization", "Bearer "+tok)
					for b.Loop() {
						res, err := http.DefaultClient.Do(req)
						if err != nil {
							b.Fatal(err)
						}
						io.Copy(io.Discard, res.Body) //nolint:errcheck
						res.Body.Close()
						if res.StatusCode != 200 {
							b.Fatal(res.Status)
						}
					}
				})
			}
		})
	}
}
