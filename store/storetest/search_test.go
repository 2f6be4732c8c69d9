package storetest_test

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/store/sqlstore"
	"github.com/meibo/meibo/store/storetest"
)

// searchModel is the search of meibo.UserFilter written plainly in Go: the
// reference that every engine's FindUsers must agree with.
func searchModel(all []*meibo.User, profiles map[int64]*meibo.Profile, f meibo.UserFilter) []string {
	kw := meibo.Fold(strings.TrimSpace(f.Keyword))
	// One character matches at the start, unless it is an ideograph or
	// kana; two or more anywhere.
	r, _ := utf8.DecodeRuneInString(kw)
	prefix := utf8.RuneCountInString(kw) == 1 && !unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana)
	match := func(s string) bool {
		if prefix {
			return strings.HasPrefix(s, kw)
		}
		return strings.Contains(s, kw)
	}
	var out []string
	for _, u := range all {
		switch {
		case u.GroupID != f.GroupID,
			f.Disabled != nil && u.Disabled != *f.Disabled,
			f.Admin != nil && u.Admin != *f.Admin,
			f.ProfileID != nil && u.ProfileID != *f.ProfileID:
			continue
		}
		if kw != "" && !match(meibo.Fold(u.Name)) && !match(meibo.EmailKey(u.Email)) && !match(meibo.Fold(profiles[u.ProfileID].Name)) {
			continue
		}
		out = append(out, u.Name)
	}
	sortNames(out)
	return out
}

// sortNames sorts user names in listing order: folded name, then name, both
// in byte order.
func sortNames(names []string) {
	slices.SortFunc(names, func(a, b string) int {
		if c := strings.Compare(meibo.Fold(a), meibo.Fold(b)); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
}

// searchGroups makes groups G1 and G2 with their default profiles, and a
// profile of G1 named extra: it returns the three and every profile by ID,
// as searchModel takes them.
func searchGroups(t *testing.T, db meibo.Store, extra string) (def, other, p *meibo.Profile, profiles map[int64]*meibo.Profile) {
	t.Helper()
	def = newGroup(t, db, "G1")
	other = newGroup(t, db, "G2")
	p = &meibo.Profile{GroupID: "G1", Name: extra}
	update(t, db, func(tx meibo.Tx) error { return tx.CreateProfile(ctx, p) })
	return def, other, p, map[int64]*meibo.Profile{def.ID: def, other.ID: other, p.ID: p}
}

// pageAll reads every page of f forward with the given page size, checking
// HasPrev and HasNext, then walks back from the last page with Before and
// checks that it meets the same users.
func pageAll(t *testing.T, db meibo.Store, f meibo.UserFilter, limit int) []string {
	t.Helper()
	f.Limit = limit
	var names []string
	var pages []*meibo.UserPage
	view(t, db, func(tx meibo.Tx) error {
		after := ""
		for {
			g := f
			g.After = after
			page, err := tx.FindUsers(ctx, g)
			if err != nil {
				return err
			}
			if page.Users == nil {
				t.Fatalf("%q: Users is nil, want an empty list", f.Keyword)
			}
			if page.HasPrev != (after != "") {
				t.Errorf("%q after %q: HasPrev = %v", f.Keyword, after, page.HasPrev)
			}
			if len(page.Users) > limit {
				t.Fatalf("%q: page of %d users, limit %d", f.Keyword, len(page.Users), limit)
			}
			pages = append(pages, page)
			for _, u := range page.Users {
				names = append(names, u.Name)
			}
			if !page.HasNext {
				break
			}
			if len(page.Users) != limit {
				t.Fatalf("%q: short page (%d) with HasNext", f.Keyword, len(page.Users))
			}
			after = page.Users[len(page.Users)-1].Name
		}
		// Backward from the last page.
		last := pages[len(pages)-1]
		if len(last.Users) == 0 {
			return nil
		}
		back := []string{}
		before := last.Users[0].Name
		for {
			g := f
			g.Before = before
			page, err := tx.FindUsers(ctx, g)
			if err != nil {
				return err
			}
			if !page.HasNext {
				t.Errorf("%q before %q: HasNext = false", f.Keyword, before)
			}
			var got []string
			for _, u := range page.Users {
				got = append(got, u.Name)
			}
			back = append(got, back...)
			if !page.HasPrev {
				break
			}
			if len(page.Users) != limit {
				t.Fatalf("%q: short page (%d) with HasPrev", f.Keyword, len(page.Users))
			}
			before = page.Users[0].Name
		}
		for _, u := range last.Users {
			back = append(back, u.Name)
		}
		if !slices.Equal(back, names) {
			t.Errorf("%q: backward pages %q, forward %q", f.Keyword, back, names)
		}
		return nil
	})
	return names
}

func TestFindUsers(t *testing.T) {
	storetest.EachInTurn(t, func(t *testing.T, engine string) {
		db := storetest.Open(t, engine, nil)
		def := newGroup(t, db, "G1")
		def2 := newGroup(t, db, "G2")
		field := &meibo.Profile{GroupID: "G1", Name: "Field Staff"}
		night := &meibo.Profile{GroupID: "G1", Name: "Night Shift"} // two users, last in the name order
		update(t, db, func(tx meibo.Tx) error {
			if err := tx.CreateProfile(ctx, field); err != nil {
				return err
			}
			return tx.CreateProfile(ctx, night)
		})
		profiles := map[int64]*meibo.Profile{def.ID: def, def2.ID: def2, field.ID: field, night.ID: night}

		type row struct {
			name, email     string
			field           bool
			admin, disabled bool
		}
		rows := []row{
			{"alice", "alice@example.com", false, true, false},
			{"Alicia", "alicia@corp.example.jp", false, false, true},
			{"malik", "m@example.com", false, false, false},
			{"dave", "d@alice.example.com", false, false, false},
			{"zed", "alpha@example.com", false, true, true},
			{"bob", "", false, false, false},
			{"ＢＯＢＢＹ", "bobby@example.com", false, false, false},
			{"山田太郎", "yamada@example.co.jp", false, true, false},
			{"山田花子", "hanako@example.co.jp", true, false, false},
			{"ﾔﾏﾀﾞ", "", false, false, true},
			{"ヤマダ", "", false, false, false},
			{"田中", "tanaka@example.com", true, false, false},
			{"a_b_c", "", false, false, false},
			{"axbxc", "", false, false, false},
			{"100%off", "", false, false, false},
			{"Zoe", "ZOE@EXAMPLE.COM", false, false, false},
			{"field1", "", true, false, false},
			{"worker", "w@example.com", true, true, false},
			{"😀smile", "", false, false, false},
			{"パソコン太郎", "", false, false, false},
			{"ﾊﾟｿｺﾝ花子", "", false, false, false},
			{"Ｓｔａｆｆ", "staff@example.com", false, false, false},
			{"Mori Jun", "jun@example.com", false, false, false}, // "jun jun" is in neither alone
		}
		for i := range 30 {
			rows = append(rows, row{fmt.Sprintf("user%03d", i), fmt.Sprintf("u%03d@fill.example", i), i%4 == 0, i%5 == 0, i%3 == 0})
		}
		var all []*meibo.User
		for _, r := range rows {
			p := def
			if r.field {
				p = field
			}
			u := user(p, r.name, r.email)
			u.Admin, u.Disabled = r.admin, r.disabled
			all = append(all, u)
		}
		all = append(all, user(night, "zeta1", ""), user(night, "zeta2", "zeta2@example.com"))
		for _, n := range []string{"alice", "malice", "山田次郎", "ﾔﾏﾀﾞ", "fieldx"} {
			all = append(all, user(def2, n, n+"@example.com"))
		}
		addUsers(t, db, all...)

		yes, no := true, false
		keywords := []string{
			"", "ali", "al", "ALI", "ａｌｉ", "ｂｏｂ", "bob", "ﾔﾏﾀﾞ", "ヤマダ", "やまだ", "山田", "田太郎", "太郎",
			"field", "staff", "STAFF", "fi", "st", "a_b", "_", "100%", "%", "example.co.jp", "EXAMPLE", "ex",
			"zz", "nomatch", "パソコン", "ﾊﾟｿ", "ﾊﾟｿｺ", "u0", "user00", "😀", "😀sm", "  alice  ", "smi", "@", "e.c", "u01",
			"jun jun", "i ju", "jun@", "night", "t sh",
		}
		filters := []meibo.UserFilter{
			{GroupID: "G1"},
			{GroupID: "G1", Disabled: &yes},
			{GroupID: "G1", Disabled: &no},
			{GroupID: "G1", Admin: &yes},
			{GroupID: "G1", ProfileID: &field.ID},
			{GroupID: "G1", Admin: &no, Disabled: &no},
			{GroupID: "G2"},
		}
		withSearchBounds(t, func(t *testing.T) {
			// Small pages (many of them, both ways) for the plain filter;
			// one or two pages for the others.
			checkSearches(t, db, all, profiles, keywords, filters[:1], 3, 50)
			checkSearches(t, db, all, profiles, keywords, filters[1:], 10)
		})
		// A few answers spelled out, so that the model itself is held to
		// the rules.
		for kw, want := range map[string][]string{
			"ali":     {"Alicia", "alice", "dave", "malik"},
			"al":      {"Alicia", "alice", "dave", "malik", "zed"},
			"ｂｏｂ":     {"bob", "ＢＯＢＢＹ"},
			"ﾔﾏﾀﾞ":    {"ヤマダ", "ﾔﾏﾀﾞ"},
			"太郎":      {"山田太郎", "パソコン太郎"},
			"ﾊﾟｿ":     {"パソコン太郎", "ﾊﾟｿｺﾝ花子"},
			"a_b":     {"a_b_c"},
			"%":       nil,
			"jun jun": nil,
			"i ju":    {"Mori Jun"},
			"t sh":    {"zeta1", "zeta2"},
			"staff": {"field1", "worker", "山田花子", "田中", "Ｓｔａｆｆ", "user000", "user004", "user008", "user012", "user016",
				"user020", "user024", "user028"},
		} {
			f := meibo.UserFilter{GroupID: "G1", Keyword: kw}
			got := searchModel(all, profiles, f)
			sortNames(want)
			if !slices.Equal(got, want) {
				t.Errorf("model for %q: %q, want %q", kw, got, want)
			}
		}
		// Beyond the end and before the start.
		view(t, db, func(tx meibo.Tx) error {
			p, err := tx.FindUsers(ctx, meibo.UserFilter{GroupID: "G1", After: "\U0010FFFF", Limit: 10})
			if err != nil || len(p.Users) != 0 || p.HasNext || !p.HasPrev {
				t.Errorf("after the end: %+v, %v", p, err)
			}
			p, err = tx.FindUsers(ctx, meibo.UserFilter{GroupID: "G1", Before: "0", Limit: 10})
			if err != nil || len(p.Users) != 0 || p.HasPrev || !p.HasNext {
				t.Errorf("before the start: %+v, %v", p, err)
			}
			return nil
		})
	})
}

// TestFindUsersManyMatches crosses the paths that give up on an index when a
// keyword matches more than 2,000 rows (the SQLite trigram index, in any
// group; the prefix ranges of short keywords) and walk the name order
// instead: pages must stay exact either way.
func TestFindUsersManyMatches(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		db := storetest.Open(t, engine, nil)
		p1, p2 := newGroup(t, db, "G1"), newGroup(t, db, "G2")
		profiles := map[int64]*meibo.Profile{p1.ID: p1, p2.ID: p2}
		var all []*meibo.User
		for i := range 2100 {
			u := user(p1, fmt.Sprintf("match%04d", i), fmt.Sprintf("m%04d@big.example", i))
			u.Disabled = i%7 == 0
			all = append(all, u)
		}
		for i := range 60 {
			all = append(all, user(p1, fmt.Sprintf("other%02d", i), ""))
		}
		for i := range 2100 {
			all = append(all, user(p2, fmt.Sprintf("xmatchx%04d", i), ""))
		}
		addUsers(t, db, all...)
		yes := true
		for _, f := range []meibo.UserFilter{
			{GroupID: "G1", Keyword: "match"},       // 4,200 trigram matches
			{GroupID: "G1", Keyword: "big.example"}, // 2,100, all in G1
			{GroupID: "G1", Keyword: "atch1"},       // 2,000: the last that the index answers
			{GroupID: "G1", Keyword: "tch20"},       // 200
			{GroupID: "G1", Keyword: "match", Disabled: &yes},
			{GroupID: "G2", Keyword: "xmatchx00"},
			{GroupID: "G1", Keyword: "xmatchx"}, // matches only in G2
			{GroupID: "G1", Keyword: "ma"},      // short: 2,100 names, more than the ID path takes
			{GroupID: "G1", Keyword: "m0"},      // short: 1,000 e-mails
			{GroupID: "G1", Keyword: "ot"},      // short: 60 names
			{GroupID: "G2", Keyword: "xm"},      // short: 2,100
			{GroupID: "G1", Keyword: "xm"},      // short: none here
			{GroupID: "G1", Keyword: "m", Disabled: &yes},
		} {
			want := searchModel(all, profiles, f)
			got := pageAll(t, db, f, 500)
			if !slices.Equal(got, want) {
				t.Errorf("%+v: %d users, want %d", f, len(got), len(want))
			}
		}
	})
}

// concurrently runs f on every keyword, each a subtest named by it, two at a
// time: searches only read, and two of them keep both a core and the
// database server busy. It returns when every subtest has ended.
func concurrently(t *testing.T, keywords []string, f func(t *testing.T, kw string)) {
	t.Helper()
	next := make(chan string)
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for kw := range next {
				t.Run(kw, func(t *testing.T) { f(t, kw) })
			}
		}()
	}
	for _, kw := range keywords {
		next <- kw
	}
	close(next)
	wg.Wait()
}

// checkSearches holds every keyword under every filter to the model
// (searchModel): the total, and every page of each limit, both ways. The
// keywords run concurrently.
func checkSearches(t *testing.T, db meibo.Store, all []*meibo.User, profiles map[int64]*meibo.Profile, keywords []string, filters []meibo.UserFilter, limits ...int) {
	t.Helper()
	concurrently(t, keywords, func(t *testing.T, kw string) {
		for _, base := range filters {
			f := base
			f.Keyword = kw
			want := searchModel(all, profiles, f)
			checkTotal(t, db, f, len(want))
			for _, limit := range limits {
				if got := pageAll(t, db, f, limit); !slices.Equal(got, want) {
					t.Errorf("%+v limit %d: got %q, want %q", f, limit, got, want)
				}
			}
		}
	})
}

// searchBounds are bounds of the search's steps to run the search tests
// under: the real ones, and lowered ones with which a few dozen users take
// each step (an e-mail or profile match sorted by ID, windows, the walk of
// the name index listing IDs, the walk with the keyword condition).
var searchBounds = []sqlstore.SearchBounds{
	{},                                      // the real ones
	{Few: 2, Window: 3, Many: 5, Set: 1000}, // walks listing IDs
	{Few: 2, Window: 3, Many: 5, Set: 6},    // walks with the keyword condition
	{Few: 4, Window: 40, Many: 8, Set: 8},
}

// withSearchBounds runs f under each of searchBounds. The bounds are the
// whole process's: a test that uses it runs its engines in turn
// (storetest.EachInTurn).
func withSearchBounds(t *testing.T, f func(t *testing.T)) {
	saved := sqlstore.SetSearchBounds(sqlstore.SearchBounds{})
	sqlstore.SetSearchBounds(saved)
	defer sqlstore.SetSearchBounds(saved)
	for _, b := range searchBounds {
		name := "real"
		if b == (sqlstore.SearchBounds{}) {
			b = saved
		} else {
			name = fmt.Sprintf("%d-%d-%d-%d", b.Few, b.Window, b.Many, b.Set)
		}
		sqlstore.SetSearchBounds(b)
		t.Run(name, f)
	}
}

// TestFindUsersMerge holds a short keyword's two halves to the model: the
// range of names starting with it, read in order, and the users it matches
// by e-mail or profile, interleaved with them across pages and some of them
// matched both ways; forward and backward, under every step of the search.
func TestFindUsersMerge(t *testing.T) {
	storetest.EachInTurn(t, func(t *testing.T, engine string) {
		db := storetest.Open(t, engine, nil)
		def, other, tamers, profiles := searchGroups(t, db, "Tamers")
		var all []*meibo.User
		add := func(p *meibo.Profile, name, email string) {
			u := user(p, name, email)
			u.Disabled = len(all)%3 == 0
			all = append(all, u)
		}
		for i := range 9 {
			add(def, fmt.Sprintf("ta%02d", i), fmt.Sprintf("n%02d@x.example", i))    // name range
			add(def, fmt.Sprintf("TA%02dx", i), fmt.Sprintf("TA%02d@x.example", i))  // both: name and e-mail
			add(def, fmt.Sprintf("a%02d", i), fmt.Sprintf("ta%02d@x.example", i))    // e-mail, before the range
			add(def, fmt.Sprintf("tb%02d", i), fmt.Sprintf("Ta%02d@x.example", i))   // e-mail, just after
			add(def, fmt.Sprintf("zz%02d", i), fmt.Sprintf("ｔａ%02d@x.example", i))   // e-mail, at the end
			add(tamers, fmt.Sprintf("m%02d", i), "")                                 // profile
			add(tamers, fmt.Sprintf("ＴＡ%02d", i), "")                                // profile and name (full width)
			add(other, fmt.Sprintf("ta%02d", i), fmt.Sprintf("ta%02d@x.example", i)) // another group
		}
		for i := range 30 { // no match: between the others
			add(def, fmt.Sprintf("b%03d", i), fmt.Sprintf("b%03d@x.example", i))
			add(def, fmt.Sprintf("s%03d", i), "")
			add(def, fmt.Sprintf("u%03d", i), fmt.Sprintf("u%03d@x.example", i))
		}
		addUsers(t, db, all...)

		yes, no := true, false
		keywords := []string{"ta", "TA", "ｔａ", "t", "tb", "a", "z", "m", "u", "tam", "ta0", "a0", "x.ex", "zz"}
		filters := []meibo.UserFilter{
			{GroupID: "G1"},
			{GroupID: "G1", Disabled: &yes},
			{GroupID: "G1", Disabled: &no},
			{GroupID: "G1", ProfileID: &tamers.ID},
			{GroupID: "G2"},
		}
		withSearchBounds(t, func(t *testing.T) {
			concurrently(t, keywords, func(t *testing.T, kw string) {
				for _, base := range filters {
					f := base
					f.Keyword = kw
					want := searchModel(all, profiles, f)
					if got := pageAll(t, db, f, 4); !slices.Equal(got, want) {
						t.Errorf("%+v: got %q, want %q", f, got, want)
					}
				}
			})
		})
		// The first page of "ta" spelled out: the name range and the
		// e-mail and profile matches around it.
		want := []string{"a00", "a01", "a02", "a03", "a04", "a05", "a06", "a07", "a08", "m00", "m01", "m02", "m03", "m04", "m05",
			"m06", "m07", "m08", "ta00", "ＴＡ00", "TA00x", "ta01"}
		if got := searchModel(all, profiles, meibo.UserFilter{GroupID: "G1", Keyword: "ta"}); !slices.Equal(got[:len(want)], want) {
			t.Errorf("model for ta: %q, want %q…", got, want)
		}
	})
}
