package storetest_test

import (
	"fmt"
	"io/fs"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/store/postgres"
	"github.com/meibo/meibo/store/sqlite"
	"github.com/meibo/meibo/store/sqlstore"
	"github.com/meibo/meibo/store/storetest"
)

// gramKeywords returns every keyword of two characters found in the folded
// names, e-mail keys and profile names of users, and every single
// ideograph or kana: the keywords that match anywhere.
func gramKeywords(all []*meibo.User, profiles map[int64]*meibo.Profile) []string {
	set := map[string]bool{}
	add := func(s string) {
		rs := []rune(s)
		for i := range rs {
			if i+1 < len(rs) {
				set[string(rs[i:i+2])] = true
			}
			if rs[i] >= 0x3040 {
				set[string(rs[i])] = true
			}
		}
	}
	for _, u := range all {
		add(meibo.Fold(u.Name))
		add(meibo.EmailKey(u.Email))
	}
	for _, p := range profiles {
		add(meibo.Fold(p.Name))
	}
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// findNames returns the names of the first page (of 500) of keyword in group.
func findNames(t *testing.T, db meibo.Store, group, keyword string) []string {
	t.Helper()
	var names []string
	view(t, db, func(tx meibo.Tx) error {
		p, err := tx.FindUsers(ctx, meibo.UserFilter{GroupID: group, Keyword: keyword, Limit: 500})
		if err != nil {
			return err
		}
		for _, u := range p.Users {
			names = append(names, u.Name)
		}
		return nil
	})
	return names
}

// aloneGram reports whether a character is a keyword by itself: a kana, an
// ideograph or one of the marks of Japanese names (々 〆 〇).
func aloneGram(r rune) bool {
	for _, rg := range [][2]rune{{'々', '〇'}, {'\u3040', 'ヿ'}, {'ㇰ', 'ㇿ'}, {'㐀', '䶿'}, {'一', '鿿'}, {'豈', '\ufaff'}, {'\U00020000', '\U0003ffff'}} {
		if r >= rg[0] && r <= rg[1] {
			return true
		}
	}
	return false
}

// checkGramIndex compares table user_grams with the grams of every user
// computed here: the triggers must keep it exactly in step.
func checkGramIndex(t *testing.T, db *sqlstore.DB) {
	t.Helper()
	want := map[string]bool{}
	rows, err := db.ReadDB().QueryContext(ctx, `SELECT id, group_id, name, email_key FROM users`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int64
		var group, name, email string
		if err := rows.Scan(&id, &group, &name, &email); err != nil {
			t.Fatal(err)
		}
		fold := meibo.Fold(name)
		for _, s := range []string{fold, email} {
			rs := []rune(s)
			for i, r := range rs {
				if i+1 < len(rs) {
					want[fmt.Sprintf("%s|%s|%s|%s|%d", group, string(rs[i:i+2]), fold, name, id)] = true
				}
				if aloneGram(r) {
					want[fmt.Sprintf("%s|%s|%s|%s|%d", group, string(r), fold, name, id)] = true
				}
			}
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	rows.Close()
	got := map[string]bool{}
	rows, err = db.ReadDB().QueryContext(ctx, `SELECT group_id, gram, name_fold, name, user_id FROM user_grams`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var group, gram, fold, name string
		var id int64
		if err := rows.Scan(&group, &gram, &fold, &name, &id); err != nil {
			t.Fatal(err)
		}
		k := fmt.Sprintf("%s|%s|%s|%s|%d", group, gram, fold, name, id)
		if got[k] {
			t.Errorf("user_grams: %s twice", k)
		}
		got[k] = true
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	var missing, extra []string
	for k := range want {
		if !got[k] {
			missing = append(missing, k)
		}
	}
	for k := range got {
		if !want[k] {
			extra = append(extra, k)
		}
	}
	slices.Sort(missing)
	slices.Sort(extra)
	if len(missing) > 0 || len(extra) > 0 {
		t.Errorf("user_grams out of step: %d missing %.5q, %d extra %.5q", len(missing), missing, len(extra), extra)
	}
}

// TestFindUsersAnywhere holds keywords of two characters, and of one
// ideograph or kana, to matching anywhere in names, e-mail addresses and
// profile names: every such keyword of the data is paged through both ways
// and compared with the model, and the index behind them is checked against
// the users after every kind of write.
func TestFindUsersAnywhere(t *testing.T) {
	storetest.EachInTurn(t, func(t *testing.T, engine string) {
		db := storetest.Open(t, engine, nil)
		def, other, sales, profiles := searchGroups(t, db, "営業 Sales")

		var all []*meibo.User
		add := func(p *meibo.Profile, name, email string) *meibo.User {
			u := user(p, name, email)
			u.Disabled = len(all)%4 == 1
			all = append(all, u)
			return u
		}
		add(def, "山田太郎", "taro@example.com")
		add(def, "田中花子", "hanako.tanaka@corp.example.jp")
		add(def, "吉田", "")
		add(def, "ﾀﾅｶ", "TANAKA@Example.COM")
		add(sales, "Marco", "marco@co.example")
		add(sales, "太郎丸", "")
		add(other, "山田太郎", "taro@example.com")
		// Generated names: syllables that share pairs across words and
		// e-mail addresses, so that keywords match a few or many users, at
		// the start, the middle and the end, over several pages.
		rnd := rand.New(rand.NewPCG(3, 4))
		kana := []string{"た", "な", "か", "や", "ま", "だ", "さ", "と", "う"}
		kanji := []string{"山", "田", "中", "太", "郎", "花", "子", "木"}
		latin := []string{"ta", "na", "ka", "co", "an", "ro", "mi"}
		pick := func(parts []string, n int) string {
			var b strings.Builder
			for range n {
				b.WriteString(parts[rnd.IntN(len(parts))])
			}
			return b.String()
		}
		names := map[string]bool{}
		for i := 0; len(all) < 160; i++ {
			var name string
			switch i % 3 {
			case 0:
				name = pick(kanji, 1+rnd.IntN(3))
			case 1:
				name = pick(kana, 2+rnd.IntN(2))
			default:
				name = pick(latin, 1+rnd.IntN(3))
			}
			name += fmt.Sprint(i % 7)
			if names[name] {
				continue
			}
			names[name] = true
			email := ""
			if rnd.IntN(3) > 0 {
				email = pick(latin, 2) + "@" + []string{"example.com", "co.example", "x.jp"}[rnd.IntN(3)]
			}
			p := def
			if rnd.IntN(5) == 0 {
				p = sales
			}
			add(p, name, email)
		}
		addUsers(t, db, all...)
		checkGramIndex(t, db)

		// The cases of the issue, spelled out.
		for kw, want := range map[string][]string{
			"太郎": {"山田太郎", "太郎丸"},
			"田":  {"吉田", "山田太郎", "田中花子"},
			"co": {"Marco", "山田太郎", "田中花子", "ﾀﾅｶ"},
			"営":  {"Marco", "太郎丸"},
			"zq": nil,
		} {
			var got []string
			for _, n := range findNames(t, db, "G1", kw) {
				if !strings.ContainsAny(n, "0123456") {
					got = append(got, n)
				}
			}
			sortNames(want)
			if !slices.Equal(got, want) {
				t.Errorf("%q: got %q, want %q", kw, got, want)
			}
		}

		check := func(t *testing.T) {
			t.Helper()
			checkGramIndex(t, db)
			yes := true
			concurrently(t, gramKeywords(all, profiles), func(t *testing.T, kw string) {
				for _, f := range []meibo.UserFilter{
					{GroupID: "G1", Keyword: kw},
					{GroupID: "G1", Keyword: kw, Disabled: &yes},
					{GroupID: "G2", Keyword: kw},
				} {
					want := searchModel(all, profiles, f)
					if got := pageAll(t, db, f, 7); !slices.Equal(got, want) {
						t.Errorf("%+v: got %q, want %q", f, got, want)
					}
				}
			})
		}
		withSearchBounds(t, check)

		// An e-mail address changed, another removed.
		all[0].Email = "yamada@shin.example"
		all[1].Email = ""
		update(t, db, func(tx meibo.Tx) error { return tx.UpdateUsers(ctx, all[:2]) })
		if got := findNames(t, db, "G1", "ta"); slices.Contains(got, "山田太郎") || slices.Contains(got, "田中花子") {
			t.Errorf("ta after e-mail changes: %q", got)
		}
		if got := findNames(t, db, "G1", "sh"); !slices.Contains(got, "山田太郎") {
			t.Errorf("sh after e-mail change: %q", got)
		}
		// A rename (no service renames users today; the index follows any
		// write to the table).
		rename := `UPDATE users SET name = $1, name_fold = $2 WHERE id = $3`
		if engine == "sqlite" {
			rename = `UPDATE users SET name = ?, name_fold = ? WHERE id = ?`
		}
		if _, err := db.WriteDB().ExecContext(ctx, rename, "木村花子", meibo.Fold("木村花子"), all[2].ID); err != nil {
			t.Fatal(err)
		}
		all[2].Name = "木村花子"
		if got := findNames(t, db, "G1", "吉田"); len(got) != 0 {
			t.Errorf("吉田 after the rename: %q", got)
		}
		if got := findNames(t, db, "G1", "村花"); !slices.Equal(got, []string{"木村花子"}) {
			t.Errorf("村花 after the rename: %q", got)
		}
		// A profile renamed: its users are found by the new name only.
		sales.Name = "外勤 Field"
		update(t, db, func(tx meibo.Tx) error { return tx.UpdateProfile(ctx, sales) })
		if got := findNames(t, db, "G1", "営"); len(got) != 0 {
			t.Errorf("営 after the profile rename: %q", got)
		}
		// Users deleted.
		var gone []int64
		kept := all[:0]
		for i, u := range all {
			if i%5 == 2 && u.GroupID == "G1" {
				gone = append(gone, u.ID)
			} else {
				kept = append(kept, u)
			}
		}
		all = kept
		update(t, db, func(tx meibo.Tx) error { return tx.DeleteUsers(ctx, gone) })
		// A group deleted (its users first) and made again with users of
		// the same names: no posting of the old ones may remain.
		var g2 []int64
		kept = all[:0]
		for _, u := range all {
			if u.GroupID == "G2" {
				g2 = append(g2, u.ID)
			} else {
				kept = append(kept, u)
			}
		}
		all = kept
		update(t, db, func(tx meibo.Tx) error {
			if err := tx.DeleteUsers(ctx, g2); err != nil {
				return err
			}
			return tx.DeleteGroup(ctx, "G2")
		})
		other = newGroup(t, db, "G2")
		profiles[other.ID] = other
		again := user(other, "山田太郎", "")
		addUsers(t, db, again)
		all = append(all, again)
		if got := findNames(t, db, "G2", "ta"); len(got) != 0 {
			t.Errorf("ta in the new G2: %q", got)
		}
		// Many users at once, as an import writes them.
		var bulk []*meibo.User
		for i := range 3000 {
			bulk = append(bulk, user(def, fmt.Sprintf("一括%04d", i), fmt.Sprintf("bulk%04d@co.example", i)))
		}
		addUsers(t, db, bulk...)
		all = append(all, bulk...)
		if got := pageAll(t, db, meibo.UserFilter{GroupID: "G1", Keyword: "括"}, 500); len(got) != 3000 {
			t.Errorf("括 after the bulk insert: %d users, want 3000", len(got))
		}
		t.Run("after", func(t *testing.T) {
			checkGramIndex(t, db)
			for _, kw := range []string{"co", "括0", "ta", "太郎", "田", "花子", "0@", "外勤", "勤", "an", "ka"} {
				f := meibo.UserFilter{GroupID: "G1", Keyword: kw}
				want := searchModel(all, profiles, f)
				if got := pageAll(t, db, f, 120); !slices.Equal(got, want) {
					t.Errorf("%q: %d users, want %d", kw, len(got), len(want))
				}
			}
		})
		// One character that is not an ideograph or kana still matches at
		// the start only.
		f := meibo.UserFilter{GroupID: "G1", Keyword: "o"}
		want := searchModel(all, profiles, f)
		if got := pageAll(t, db, f, 50); !slices.Equal(got, want) || slices.Contains(got, "Marco") {
			t.Errorf("o: got %q, want %q", got, want)
		}
	})
}

// migratedBefore opens a new database of engine migrated up to, not
// including, the migration named first: db.Migrate applies the rest.
func migratedBefore(t *testing.T, engine, first string) *sqlstore.DB {
	t.Helper()
	var db *sqlstore.DB
	var all fs.FS
	var err error
	switch engine {
	case "sqlite":
		all = sqlite.Migrations
		db, err = sqlite.Open(ctx, filepath.Join(t.TempDir(), "meibo.db"), sqlstore.Options{})
	case "postgres":
		all = postgres.Migrations
		db, err = postgres.Open(ctx, storetest.SchemaDSN(t, storetest.PostgresDSN(t)), 4, sqlstore.Options{})
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	before := fstest.MapFS{}
	names, err := fs.Glob(all, "*.sql")
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		if n >= first {
			continue
		}
		b, err := fs.ReadFile(all, n)
		if err != nil {
			t.Fatal(err)
		}
		before[n] = &fstest.MapFile{Data: b}
	}
	if _, err := sqlstore.Migrate(ctx, db.WriteDB(), before); err != nil {
		t.Fatal(err)
	}
	return db
}

// TestUserGramsMigration applies the migrations before user_grams, adds
// users, then the rest: the migration must index the users already there.
func TestUserGramsMigration(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		db := migratedBefore(t, engine, "0009")
		p := newGroup(t, db, "G1")
		var users []*meibo.User
		for i := range 40 {
			users = append(users, user(p, fmt.Sprintf("山田太郎%02d", i), fmt.Sprintf("taro%02d@example.com", i)))
		}
		users = append(users, user(p, "田中", ""), user(p, "ＢＯＢ", "Bob@Example.COM"))
		addUsers(t, db, users...)
		applied, err := db.Migrate(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(applied, "0009_user_grams.sql") {
			t.Fatalf("applied %q", applied)
		}
		checkGramIndex(t, db)
		profiles := map[int64]*meibo.Profile{p.ID: p}
		for _, kw := range []string{"太郎", "田", "co", "ob", "o2"} {
			f := meibo.UserFilter{GroupID: "G1", Keyword: kw}
			want := searchModel(users, profiles, f)
			if got := pageAll(t, db, f, 9); !slices.Equal(got, want) || len(got) == 0 {
				t.Errorf("%q: got %q, want %q", kw, got, want)
			}
		}
	})
}

// TestFindUsersByPairs holds longer keywords with an ideograph or kana,
// found first through the range of one of their pairs in user_grams, to the
// model: ranges that are all matches, that start with users holding the
// pair but not the keyword, that are short enough to read whole and that
// are not; with filters, a matching profile, users waiting for the index,
// another group, and pages both ways under every bound of the search.
func TestFindUsersByPairs(t *testing.T) {
	storetest.EachInTurn(t, func(t *testing.T, engine string) {
		db := storetest.Open(t, engine, nil)
		def, other, club, profiles := searchGroups(t, db, "さくら組")
		var indexed, waiting []*meibo.User
		add := func(p *meibo.Profile, name, email string) {
			u := user(p, name, email)
			u.Disabled = (len(indexed)+len(waiting))%4 == 0
			if len(indexed)%3 == 2 {
				waiting = append(waiting, u)
			} else {
				indexed = append(indexed, u)
			}
		}
		for i := range 24 {
			add(def, fmt.Sprintf("佐藤さくま%02d", i), "")                                // "さく" but not "さくら", before the matches
			add(def, fmt.Sprintf("佐藤さくら%02d", i), fmt.Sprintf("s%02d@x.example", i)) // the matches
			add(def, fmt.Sprintf("中村美咲%02d", i), "")                                 // "中村" and "美咲": short apart
			add(def, fmt.Sprintf("中村一郎%02d", i), "")
			add(other, fmt.Sprintf("佐藤さくら%02d", i), "")
		}
		for i := range 6 {
			add(club, fmt.Sprintf("user%02d", i), "") // the profile matches "さくら"
			add(def, fmt.Sprintf("山田さくら%d", i), fmt.Sprintf("yamada%d@x.example", i))
		}
		addUsers(t, db, indexed...)
		addWaiting(t, db, waiting...)
		all := append(append([]*meibo.User{}, indexed...), waiting...)

		yes := true
		keywords := []string{"さくら", "さくま", "藤さく", "佐藤さくら1", "くら組", "中村美咲", "村美咲0", "田さくら", "さくらx", "中村さ"}
		filters := []meibo.UserFilter{
			{GroupID: "G1"},
			{GroupID: "G1", Disabled: &yes},
			{GroupID: "G1", ProfileID: &def.ID},
			{GroupID: "G2"},
		}
		check := func(t *testing.T) {
			withSearchBounds(t, func(t *testing.T) {
				checkSearches(t, db, all, profiles, keywords, filters, 3, 50)
			})
		}
		t.Run("waiting", check)
		indexWaiting(t, db, 50)
		t.Run("indexed", check)
		// The model itself, for one keyword.
		f := meibo.UserFilter{GroupID: "G1", Keyword: "さくら"}
		if got := searchModel(all, profiles, f); len(got) != 24+6+6 {
			t.Errorf("model for %q: %d users: %q", f.Keyword, len(got), got)
		}
	})
}

// TestFindUsersByRarerParts holds to the model the keywords whose trigrams
// most users hold ("use", "ser" of user0012), which PostgreSQL's trigram
// index is asked for without them once the planner's statistics show them
// common (the table analyzed): each user the rest of the keyword finds is
// checked for the whole of it. Among the users: ones that hold the rest
// but not the keyword ("tanaka0012", "zz0012@…"), the keyword in an e-mail
// address only, and the keyword followed by more.
func TestFindUsersByRarerParts(t *testing.T) {
	storetest.EachInTurn(t, func(t *testing.T, engine string) {
		db := storetest.Open(t, engine, nil)
		def, other, club, profiles := searchGroups(t, db, "user0012 club")
		var all []*meibo.User
		add := func(p *meibo.Profile, name, email string) {
			u := user(p, name, email)
			u.Disabled = len(all)%4 == 0
			all = append(all, u)
		}
		for i := range 60 {
			add(def, fmt.Sprintf("user%04d", i), fmt.Sprintf("user%04d@corp.example", i))
		}
		add(def, "tanaka0012", "zz0012@x.example")       // the rest of the keyword, not the keyword
		add(def, "suzuki", "user0012@x.example")         // the keyword in the e-mail address only
		add(def, "user00123", "")                        // the keyword and more
		add(def, "sato.user0012", "sato@x.example")      // after a dot
		add(def, "user0o12", "user0o12@corp.example")    // neither
		add(def, "tanaka.hanako", "user-0012@x.example") // neither: a dash
		add(other, "user0012", "user0012@corp.example")  // another group
		add(club, "kato", "kato@x.example")              // the profile matches
		add(def, "ｕｓｅｒ００１２ｘ", "")                        // full-width: folded to user0012x
		addUsers(t, db, all...)
		if engine == "postgres" {
			// The planner's sample of the indexed text, which tells the
			// common trigrams.
			if _, err := db.WriteDB().ExecContext(ctx, `ANALYZE users`); err != nil {
				t.Fatal(err)
			}
		}
		yes := true
		keywords := []string{"user0012", "user0012@", "USER0012", "r0012", "sato.user00", "user0o1", "0012@x.ex"}
		filters := []meibo.UserFilter{
			{GroupID: "G1"},
			{GroupID: "G1", Disabled: &yes},
			{GroupID: "G2"},
		}
		withSearchBounds(t, func(t *testing.T) {
			checkSearches(t, db, all, profiles, keywords, filters, 2, 50)
		})
		// The model itself, for one keyword.
		f := meibo.UserFilter{GroupID: "G1", Keyword: "user0012"}
		if got := searchModel(all, profiles, f); len(got) != 6 {
			t.Errorf("model for %q: %d users: %q", f.Keyword, len(got), got)
		}
	})
}
