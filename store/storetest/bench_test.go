package storetest_test

import (
	"database/sql"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/store/postgres"
	"github.com/meibo/meibo/store/sqlite"
	"github.com/meibo/meibo/store/sqlstore"
	"github.com/meibo/meibo/store/storetest"
)

// benchVersion names the cached benchmark data: change it when the schema
// or the generator below changes, so that the next run loads afresh.
const benchVersion = "v3"

// benchUsers is how many users the benchmark group holds (for a quicker
// look, MEIBO_BENCH_USERS sets another number).
var benchUsers = func() int {
	var n int
	if _, err := fmt.Sscan(os.Getenv("MEIBO_BENCH_USERS"), &n); err == nil && n > 0 {
		return n
	}
	return 1_000_000
}()

// benchGroup is the group of the benchmark users.
const benchGroup = "BENCH"

// BenchmarkSearch measures keyword searches (the first page of 50, as the
// console asks) over 1,000,000 users in one group, on each engine, and
// reports the median and 99th percentile latency in milliseconds.
//
// The users are loaded once and kept: the SQLite file under os.TempDir(), the
// PostgreSQL data in a schema of the test database, both named after
// benchVersion. Loading takes minutes; it happens only when -bench asks for
// this benchmark:
//
//	go test -run '^$' -bench BenchmarkSearch -benchtime 200x -timeout 60m ./store/storetest/
func BenchmarkSearch(b *testing.B) {
	if f := flag.Lookup("test.bench"); f == nil || f.Value.String() == "" || testing.Short() {
		b.Skip("the 1,000,000-user load runs only when -bench asks for it (and not with -short)")
	}
	for _, engine := range storetest.Engines {
		b.Run(engine, func(b *testing.B) {
			measureSearches(b, benchStore(b, engine))
		})
	}
}

// measureSearches runs each keyword of searchQueries as a sub-benchmark
// (the first page of 50, as the console asks) and reports its median and
// 99th percentile latency in milliseconds.
func measureSearches(b *testing.B, db *sqlstore.DB) {
	for _, q := range searchQueries {
		b.Run(q.name, func(b *testing.B) {
			f := meibo.UserFilter{GroupID: benchGroup, Keyword: q.keyword, Limit: 50}
			var lat []time.Duration
			found := 0
			for b.Loop() {
				start := time.Now()
				err := db.View(ctx, func(tx meibo.Tx) error {
					p, err := tx.FindUsers(ctx, f)
					if err == nil {
						found = len(p.Users)
					}
					return err
				})
				lat = append(lat, time.Since(start))
				if err != nil {
					b.Fatal(err)
				}
			}
			slices.Sort(lat)
			pct := func(p float64) float64 {
				i := int(p * float64(len(lat)-1))
				return float64(lat[i].Microseconds()) / 1000
			}
			b.ReportMetric(pct(0.50), "p50-ms")
			b.ReportMetric(pct(0.99), "p99-ms")
			b.ReportMetric(float64(found), "users")
		})
	}
}

// BenchmarkSearchWaiting measures the same searches over 1,000,000 users
// (MEIBO_BENCH_USERS) that wait for the keyword index, as an import or a
// restore leaves them until the indexer has moved them in: the searches read
// the waiting users one by one. The users are loaded afresh each run, in one
// transaction that defers the index:
//
//	go test -run '^$' -bench BenchmarkSearchWaiting -benchtime 20x -timeout 60m ./store/storetest/
func BenchmarkSearchWaiting(b *testing.B) {
	if f := flag.Lookup("test.bench"); f == nil || f.Value.String() == "" || testing.Short() {
		b.Skip("the 1,000,000-user load runs only when -bench asks for it (and not with -short)")
	}
	for _, engine := range storetest.Engines {
		b.Run(engine, func(b *testing.B) {
			db := storetest.Open(b, engine, nil)
			benchLoad(b, db, true)
			measureSearches(b, db)
		})
	}
}

// searchQueries are the keywords of the search benchmarks.
var searchQueries = []struct{ name, keyword string }{
	{"rare", "user012345"},      // 7 users
	{"domain", "example.co.jp"}, // about a quarter of the users
	{"prefix2", "ta"},           // two characters: anywhere in a name or e-mail
	{"prefix2ja", "山田"},         // two characters, Japanese names (they sort last)
	{"prefix2rare", "林葵"},       // two characters, a few hundred Japanese names
	{"prefix2none", "zq"},       // two characters, nothing
	{"middle2ja", "太郎"},         // given names, in the middle: about 7,500
	{"middle2ja2", "花子"},        // the same
	{"kanji1", "田"},             // one ideograph, in 山田, 田中, 吉田: about 22,000
	{"email2", "co"},            // in the middle of most e-mail domains
	{"common2", "an"},           // tanaka, watanabe, hanako… in names and e-mail addresses
	{"japanese3", "藤太郎"},        // about 1,500 Japanese names
	{"japaneseCommon", "さくら"},   // about 7,500: more than the SQLite index path takes
	{"japaneseRare", "中村美咲"},    // a few hundred
	{"nomatch", "zzqqxx"},       // nothing
	{"profile", "field staff"},  // every user of one profile
	{"fullwidth", "ＵＳＥＲ０９９９９"},  // folded to user09999
}

// benchStore returns the store holding the benchmark users, loading them
// when no complete copy of this version is kept.
func benchStore(b *testing.B, engine string) *sqlstore.DB {
	b.Helper()
	var db *sqlstore.DB
	var err error
	switch engine {
	case "sqlite":
		path := filepath.Join(os.TempDir(), fmt.Sprintf("meibo-bench-%s-%d.db", benchVersion, benchUsers))
		done := path + ".done"
		if _, err := os.Stat(done); err != nil {
			for _, f := range []string{path, path + "-wal", path + "-shm"} {
				os.Remove(f)
			}
		}
		if db, err = sqlite.Open(ctx, path, sqlstore.Options{}); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { db.Close() })
		if _, err := os.Stat(done); err == nil {
			return db
		}
		benchLoad(b, db, false)
		if err := os.WriteFile(done, []byte(benchVersion), 0o644); err != nil {
			b.Fatal(err)
		}
	case "postgres":
		dsn := storetest.PostgresDSN(b)
		schema := fmt.Sprintf("meibo_bench_%s_%d", benchVersion, benchUsers)
		admin, err := sql.Open("pgx", dsn)
		if err != nil {
			b.Fatal(err)
		}
		defer admin.Close()
		var complete bool
		admin.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_tables WHERE schemaname = $1 AND tablename = 'bench_done')`, schema).Scan(&complete) //nolint:errcheck // false on error
		if !complete {
			if _, err := admin.ExecContext(ctx, `DROP SCHEMA IF EXISTS `+schema+` CASCADE`); err != nil {
				b.Fatal(err)
			}
			if _, err := admin.ExecContext(ctx, `CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public`); err != nil {
				b.Fatal(err)
			}
			if _, err := admin.ExecContext(ctx, `CREATE SCHEMA `+schema); err != nil {
				b.Fatal(err)
			}
		}
		u, err := url.Parse(dsn)
		if err != nil {
			b.Fatal(err)
		}
		q := u.Query()
		q.Set("search_path", schema+",public")
		u.RawQuery = q.Encode()
		if db, err = postgres.Open(ctx, u.String(), 4, sqlstore.Options{}); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { db.Close() })
		if complete {
			return db
		}
		benchLoad(b, db, false)
		for _, stmt := range []string{`VACUUM ANALYZE`, `CREATE TABLE ` + schema + `.bench_done (version TEXT)`} {
			if _, err := db.WriteDB().ExecContext(ctx, stmt); err != nil {
				b.Fatal(err)
			}
		}
	}
	return db
}

// benchLoad migrates db and fills the benchmark group with generated users,
// 50,000 per transaction.
func benchLoad(b *testing.B, db *sqlstore.DB, waiting bool) {
	b.Helper()
	start := time.Now()
	if _, err := db.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	def := &meibo.Profile{GroupID: benchGroup, Name: meibo.DefaultProfileName, Actions: meibo.AllActions, APIAccess: true, Default: true}
	field := &meibo.Profile{GroupID: benchGroup, Name: "field staff", Actions: []meibo.Action{meibo.ActionLock, meibo.ActionLocate}}
	update(b, db, func(tx meibo.Tx) error {
		if err := tx.CreateGroup(ctx, &meibo.Group{ID: benchGroup, Name: "Benchmark"}); err != nil {
			return err
		}
		if err := tx.CreateProfile(ctx, def); err != nil {
			return err
		}
		return tx.CreateProfile(ctx, field)
	})
	gen := newBenchGen()
	const per = 50_000
	load := func(tx meibo.Tx, done int) error {
		users := make([]*meibo.User, 0, per)
		for i := done; i < min(done+per, benchUsers); i++ {
			users = append(users, gen.user(i, def.ID, field.ID))
		}
		return tx.CreateUsers(ctx, users)
	}
	if waiting {
		// One transaction that defers the keyword index, as an import's.
		update(b, db, func(tx meibo.Tx) error {
			if err := tx.DeferSearchIndex(ctx); err != nil {
				return err
			}
			for done := 0; done < benchUsers; done += per {
				if err := load(tx, done); err != nil {
					return err
				}
			}
			return nil
		})
	}
	for done := 0; done < benchUsers && !waiting; done += per {
		update(b, db, func(tx meibo.Tx) error { return load(tx, done) })
		if (done+per)%200_000 == 0 && done+per < benchUsers {
			b.Logf("%s: %d users loaded in %v", db.Engine(), done+per, time.Since(start).Round(time.Second))
		}
	}
	b.Logf("%s: loaded %d users in %v", db.Engine(), benchUsers, time.Since(start).Round(time.Second))
}

// benchGen makes realistic, reproducible users: 80% "user0001234", 15%
// Japanese names ("佐藤太郎0123"), 5% romanised ("taro.sato123"); e-mail
// addresses on a few domains (10% none).
type benchGen struct {
	rnd *rand.Rand
}

var (
	familyKanji  = []string{"佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "山本", "中村", "小林", "加藤", "吉田", "山田", "佐々木", "山口", "松本", "井上", "木村", "林", "斎藤", "清水"}
	givenKanji   = []string{"太郎", "花子", "美咲", "翔太", "陽菜", "大輔", "さくら", "健一", "結衣", "拓也", "愛", "直樹", "由美", "蓮", "葵", "一郎", "次郎", "真由美", "裕子", "誠"}
	familyRomaji = []string{"sato", "suzuki", "takahashi", "tanaka", "ito", "watanabe", "yamamoto", "nakamura", "kobayashi", "kato"}
	givenRomaji  = []string{"taro", "hanako", "misaki", "shota", "hina", "daisuke", "sakura", "kenichi", "yui", "takuya"}
	benchDomains = []string{"example.com", "example.co.jp", "corp.example.jp", "mail.example.org"}
)

func newBenchGen() *benchGen { return &benchGen{rnd: rand.New(rand.NewPCG(1, 2))} }

func (g *benchGen) user(i int, def, field int64) *meibo.User {
	var name, local string
	switch r := g.rnd.IntN(100); {
	case r < 80:
		name = fmt.Sprintf("user%07d", i)
		local = name
	case r < 95:
		f, n := g.rnd.IntN(len(familyKanji)), g.rnd.IntN(len(givenKanji))
		name = fmt.Sprintf("%s%s%d", familyKanji[f], givenKanji[n], i)
		local = fmt.Sprintf("%s.%s%d", givenRomaji[n%len(givenRomaji)], familyRomaji[f%len(familyRomaji)], i)
	default:
		f, n := g.rnd.IntN(len(familyRomaji)), g.rnd.IntN(len(givenRomaji))
		name = fmt.Sprintf("%s.%s%d", givenRomaji[n], familyRomaji[f], i)
		local = name
	}
	u := &meibo.User{GroupID: benchGroup, Name: name, ProfileID: def}
	if g.rnd.IntN(10) > 0 {
		u.Email = local + "@" + benchDomains[g.rnd.IntN(len(benchDomains))]
	}
	if g.rnd.IntN(20) == 0 {
		u.ProfileID = field
	}
	u.Disabled = g.rnd.IntN(33) == 0
	u.Admin = g.rnd.IntN(100) == 0
	return u
}
