package storetest_test

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/store/sqlstore"
	"github.com/meibo/meibo/store/storetest"
)

// pendingCount counts the users waiting for the keyword index.
func pendingCount(t *testing.T, db meibo.Store) int {
	t.Helper()
	var n int
	view(t, db, func(tx meibo.Tx) error {
		var err error
		n, err = tx.PendingUsers(ctx, 1_000_000)
		return err
	})
	return n
}

// TestFindUsersPending holds searches to the same answers while users wait
// for the keyword index (written by a transaction that deferred it, as
// imports and restores do) as after the indexer has moved them in: every
// gram keyword of the data, paged both ways, with its total, matches the
// model in both states, and renames and deletes of waiting users leave
// neither stale grams nor stale waiting rows.
func TestFindUsersPending(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		db := storetest.Open(t, engine, nil)
		def, other, sales, profiles := searchGroups(t, db, "営業 Sales")

		kanji := []string{"山", "田", "中", "太", "郎", "花", "子"}
		latin := []string{"ta", "na", "co", "an", "ro"}
		var indexed, waiting []*meibo.User
		for i := range 120 {
			p := def
			switch {
			case i%9 == 0:
				p = other
			case i%5 == 0:
				p = sales
			}
			name := kanji[i%7] + kanji[(i/7)%7] + fmt.Sprint(i%4)
			if i%2 == 0 {
				name = latin[i%5] + latin[(i/5)%5] + fmt.Sprint(i)
			}
			u := user(p, name, fmt.Sprintf("%s%d@%s", latin[(i/3)%5], i, []string{"example.com", "co.example"}[i%2]))
			u.Disabled = i%4 == 1
			if i%3 == 0 {
				indexed = append(indexed, u)
			} else {
				waiting = append(waiting, u)
			}
		}
		addUsers(t, db, indexed...)
		addWaiting(t, db, waiting...)
		if n := pendingCount(t, db); n != len(waiting) {
			t.Fatalf("%d users waiting, want %d", n, len(waiting))
		}
		// A transaction after the one that deferred indexes at once.
		late := user(def, "遅太郎", "late@example.com")
		addUsers(t, db, late)
		if n := pendingCount(t, db); n != len(waiting) {
			t.Fatalf("after a plain insert: %d users waiting, want %d", n, len(waiting))
		}
		all := append(append(append([]*meibo.User{}, indexed...), waiting...), late)

		// check compares every step-th gram keyword of the data (all of
		// them while users wait; the indexed state is TestFindUsersAnywhere's
		// ground too).
		check := func(t *testing.T, step int) {
			t.Helper()
			yes := true
			var keywords []string
			for i, kw := range gramKeywords(all, profiles) {
				if i%step == 0 {
					keywords = append(keywords, kw)
				}
			}
			concurrently(t, keywords, func(t *testing.T, kw string) {
				for _, f := range []meibo.UserFilter{
					{GroupID: "G1", Keyword: kw},
					{GroupID: "G1", Keyword: kw, Disabled: &yes},
					{GroupID: "G2", Keyword: kw},
				} {
					want := searchModel(all, profiles, f)
					if got := pageAll(t, db, f, 13); !slices.Equal(got, want) {
						t.Errorf("%+v: got %q, want %q", f, got, want)
					}
					g := f
					g.UserOrder.Count, g.Limit = true, 13
					view(t, db, func(tx meibo.Tx) error {
						p, err := tx.FindUsers(ctx, g)
						if err != nil {
							return err
						}
						if p.Total != len(want) {
							t.Errorf("%+v: total %d, want %d", f, p.Total, len(want))
						}
						return nil
					})
				}
			})
		}
		t.Run("waiting", func(t *testing.T) { check(t, 1) })

		// A waiting user renamed in a deferring transaction stays waiting
		// under the new name; one renamed in a plain transaction is
		// indexed; one deleted leaves nothing behind.
		rename := `UPDATE users SET name = $1, name_fold = $2 WHERE id = $3`
		if engine == "sqlite" {
			rename = `UPDATE users SET name = ?, name_fold = ? WHERE id = ?`
		}
		for _, r := range []struct {
			u     *meibo.User
			name  string
			later bool
		}{{waiting[0], "改名待ち", true}, {waiting[1], "改名済み", false}} {
			update(t, db, func(tx meibo.Tx) error {
				if r.later {
					if err := tx.DeferSearchIndex(ctx); err != nil {
						return err
					}
				}
				_, err := tx.(*sqlstore.Tx).SQLTx().ExecContext(ctx, rename, r.name, meibo.Fold(r.name), r.u.ID)
				return err
			})
			r.u.Name = r.name
		}
		gone := waiting[2]
		update(t, db, func(tx meibo.Tx) error { return tx.DeleteUsers(ctx, []int64{gone.ID}) })
		all = slices.DeleteFunc(all, func(u *meibo.User) bool { return u == gone })
		if n, want := pendingCount(t, db), len(waiting)-2; n != want {
			t.Fatalf("after the renames and the delete: %d users waiting, want %d", n, want)
		}
		t.Run("changed", func(t *testing.T) { check(t, 3) })

		// The indexer, in chunks smaller than the data.
		total := indexWaiting(t, db, 7)
		if want := len(waiting) - 2; total != want {
			t.Errorf("indexed %d users, want %d", total, want)
		}
		if n := pendingCount(t, db); n != 0 {
			t.Errorf("%d users still waiting", n)
		}
		checkGramIndex(t, db)
		t.Run("indexed", func(t *testing.T) { check(t, 3) })
	})
}

// addWaiting creates users in one transaction that defers the keyword
// index, as imports and restores do: they wait for the indexer.
func addWaiting(t *testing.T, db meibo.Store, users ...*meibo.User) {
	t.Helper()
	update(t, db, func(tx meibo.Tx) error {
		if err := tx.DeferSearchIndex(ctx); err != nil {
			return err
		}
		return tx.CreateUsers(ctx, users)
	})
}

// indexWaiting runs the indexer in chunks of chunk users until no user
// waits, and returns how many it indexed.
func indexWaiting(t *testing.T, db meibo.Store, chunk int) int {
	t.Helper()
	total := 0
	for {
		var n int
		update(t, db, func(tx meibo.Tx) error {
			var err error
			n, err = tx.IndexPendingUsers(ctx, chunk)
			return err
		})
		if n == 0 {
			return total
		}
		if n > chunk {
			t.Fatalf("a chunk of %d indexed %d users", chunk, n)
		}
		total += n
	}
}

// trigramKeywords lists every keyword of three characters of the folded
// names and e-mail keys of the users, and some longer ones.
func trigramKeywords(all []*meibo.User) []string {
	set := map[string]bool{}
	for _, u := range all {
		for _, s := range []string{meibo.Fold(u.Name), meibo.EmailKey(u.Email)} {
			rs := []rune(s)
			for i := 0; i+3 <= len(rs); i++ {
				set[string(rs[i:i+3])] = true
			}
			if len(rs) >= 5 {
				set[string(rs[1:5])] = true
			}
		}
	}
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// checkTrigramIndex fails unless SQLite's trigram index holds exactly the
// users that do not wait for it (the integrity check of FTS5, with 1,
// compares the index with the users table).
func checkTrigramIndex(t *testing.T, db *sqlstore.DB, waiting int) {
	t.Helper()
	if db.Engine() == "postgres" {
		// user_search holds every user that does not wait, with the
		// user's current values.
		var users, indexed, stale int
		err := db.ReadDB().QueryRowContext(ctx, `SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM user_search),
			(SELECT count(*) FROM user_search s LEFT JOIN users u ON u.id = s.user_id
				WHERE u.id IS NULL OR (u.group_id, u.name_fold, u.name, u.email_key) <> (s.group_id, s.name_fold, s.name, s.email_key)
					OR EXISTS (SELECT 1 FROM user_grams_pending p WHERE p.user_id = s.user_id))`).Scan(&users, &indexed, &stale)
		if err != nil {
			t.Fatal(err)
		}
		if indexed != users-waiting || stale != 0 {
			t.Errorf("the trigram index holds %d users (%d not as in users or waiting too): %d users, %d waiting", indexed, stale, users, waiting)
		}
		return
	}
	var users, indexed int
	err := db.ReadDB().QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM users), (SELECT COUNT(*) FROM users_fts_docsize)`).Scan(&users, &indexed)
	if err != nil {
		t.Fatal(err)
	}
	if indexed != users-waiting {
		t.Errorf("the trigram index holds %d users: %d users, %d waiting", indexed, users, waiting)
	}
	// The check reads each user's terms from the users table: those of
	// waiting users are missing from the index, so it is run on a copy
	// of the index without them.
	if waiting > 0 {
		return
	}
	if _, err := db.WriteDB().ExecContext(ctx, `INSERT INTO users_fts (users_fts, rank) VALUES ('integrity-check', 1)`); err != nil {
		t.Errorf("the trigram index: %v", err)
	}
}

// TestFindUsersTrigramPending holds keywords of three characters and more
// (SQLite's trigram index, PostgreSQL's GIN index on user_search) to the
// model while users wait for the keyword index, after waiting and indexed
// users are renamed, given new e-mail addresses and deleted in deferring
// and in plain transactions, and once the indexer has caught up: the search
// under every step of its bounds, its totals, and the query of identity
// providers (Contains). The waiting users are in the trigram index only
// once indexed.
func TestFindUsersTrigramPending(t *testing.T) {
	storetest.EachInTurn(t, func(t *testing.T, engine string) {
		db := storetest.Open(t, engine, nil)
		def := newGroup(t, db, "G1")
		other := newGroup(t, db, "G2")
		profiles := map[int64]*meibo.Profile{def.ID: def, other.ID: other}
		family := []string{"山田", "田中", "さくら", "Tanaka", "Yamada"}
		var indexed, waiting []*meibo.User
		for i := range 60 {
			p := def
			if i%7 == 0 {
				p = other
			}
			u := user(p, fmt.Sprintf("%s%s%d", family[i%5], family[(i/5)%5], i%6),
				fmt.Sprintf("%s.%d@%s", []string{"taro", "hanako", "sakura"}[i%3], i, []string{"example.com", "corp.example"}[i%2]))
			if i%3 == 0 {
				indexed = append(indexed, u)
			} else {
				waiting = append(waiting, u)
			}
		}
		addUsers(t, db, indexed...)
		addWaiting(t, db, waiting...)
		all := append(append([]*meibo.User{}, indexed...), waiting...)
		checkTrigramIndex(t, db, len(waiting))

		// check compares every fifth keyword of the data.
		check := func(t *testing.T) {
			var keywords []string
			for i, kw := range trigramKeywords(all) {
				if i%5 == 0 {
					keywords = append(keywords, kw)
				}
			}
			withSearchBounds(t, func(t *testing.T) {
				concurrently(t, keywords, func(t *testing.T, kw string) {
					for _, g := range []string{"G1", "G2"} {
						f := meibo.UserFilter{GroupID: g, Keyword: kw}
						want := searchModel(all, profiles, f)
						if got := pageAll(t, db, f, 4); !slices.Equal(got, want) {
							t.Errorf("%+v: got %q, want %q", f, got, want)
						}
						c := f
						c.UserOrder.Count, c.Limit = true, 4
						q := meibo.UserQuery{GroupID: g, Contains: meibo.Fold(kw)}
						view(t, db, func(tx meibo.Tx) error {
							p, err := tx.FindUsers(ctx, c)
							if err != nil {
								return err
							}
							if p.Total != len(want) {
								t.Errorf("%+v: total %d, want %d", f, p.Total, len(want))
							}
							us, err := tx.QueryUsers(ctx, q)
							if err != nil {
								return err
							}
							var got []string
							for _, u := range us {
								got = append(got, u.Name)
							}
							sortNames(got)
							if !slices.Equal(got, want) {
								t.Errorf("query %+v: got %q, want %q", q, got, want)
							}
							return nil
						})
					}
				})
			})
		}
		t.Run("waiting", check)

		// Renamed and readdressed: a waiting user in a deferring and in a
		// plain transaction, an indexed one in a deferring one (it waits
		// again) and in a plain one; then a waiting and an indexed user
		// deleted.
		change := `UPDATE users SET name = $1, name_fold = $2, email = $3, email_key = $4 WHERE id = $5`
		if engine == "sqlite" {
			change = `UPDATE users SET name = ?, name_fold = ?, email = ?, email_key = ? WHERE id = ?`
		}
		for _, c := range []struct {
			u          *meibo.User
			name, mail string
			deferring  bool
		}{
			{waiting[0], "改名さくら待ち", "renamed.waiting@example.org", true},
			{waiting[1], "改名さくら済み", "renamed.now@example.org", false},
			{indexed[1], "索引済み改名", "indexed.waits@example.org", true},
			{indexed[2], "索引済みのまま", "indexed.stays@example.org", false},
		} {
			update(t, db, func(tx meibo.Tx) error {
				if c.deferring {
					if err := tx.DeferSearchIndex(ctx); err != nil {
						return err
					}
				}
				_, err := tx.(*sqlstore.Tx).SQLTx().ExecContext(ctx, change, c.name, meibo.Fold(c.name), c.mail, meibo.EmailKey(c.mail), c.u.ID)
				return err
			})
			c.u.Name, c.u.Email = c.name, c.mail
		}
		gone := []*meibo.User{waiting[2], indexed[3]}
		update(t, db, func(tx meibo.Tx) error { return tx.DeleteUsers(ctx, []int64{gone[0].ID, gone[1].ID}) })
		all = slices.DeleteFunc(all, func(u *meibo.User) bool { return slices.Contains(gone, u) })
		stillWaiting := len(waiting) - 2 + 1 // one renamed now, one deleted; one indexed user waits again
		if n := pendingCount(t, db); n != stillWaiting {
			t.Fatalf("%d users waiting, want %d", n, stillWaiting)
		}
		checkTrigramIndex(t, db, stillWaiting)
		t.Run("changed", check)

		indexWaiting(t, db, 5)
		checkTrigramIndex(t, db, 0)
		t.Run("indexed", check)
	})
}

// TestTrigramWaitMigration applies the migrations before the trigram index
// waited with the two-character index (0022), adds indexed and waiting
// users, then the rest: the waiting users, in SQLite's trigram index until
// then, leave it, and every keyword still finds each user once, before and
// after the indexer.
func TestTrigramWaitMigration(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		db := migratedBefore(t, engine, "0022")
		p := newGroup(t, db, "G1")
		var indexed, waiting []*meibo.User
		for i := range 12 {
			u := user(p, fmt.Sprintf("山田さくら%02d", i), fmt.Sprintf("sakura%02d@example.com", i))
			if i%2 == 0 {
				indexed = append(indexed, u)
			} else {
				waiting = append(waiting, u)
			}
		}
		addUsers(t, db, indexed...)
		addWaiting(t, db, waiting...)
		applied, err := db.Migrate(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(applied, "0022_user_fts_pending.sql") {
			t.Fatalf("applied %q", applied)
		}
		all := append(append([]*meibo.User{}, indexed...), waiting...)
		profiles := map[int64]*meibo.Profile{p.ID: p}
		check := func(t *testing.T) {
			for _, kw := range []string{"さくら", "山田さ", "ra0", "sakura01", "example"} {
				f := meibo.UserFilter{GroupID: "G1", Keyword: kw}
				want := searchModel(all, profiles, f)
				if got := pageAll(t, db, f, 5); !slices.Equal(got, want) || len(got) == 0 {
					t.Errorf("%q: got %q, want %q", kw, got, want)
				}
			}
		}
		checkTrigramIndex(t, db, len(waiting))
		t.Run("waiting", check)
		indexWaiting(t, db, 5)
		checkTrigramIndex(t, db, 0)
		t.Run("indexed", check)
	})
}

// TestIndexerEveryKindOfCharacter holds the grams the indexer cuts (in Go)
// to those the engines' triggers cut and delete (in SQL): users whose names
// and e-mail addresses hold characters of every range that is a keyword by
// itself, at its edges, and of none, wait and are indexed, one of them with
// a gram already in the index; then they are renamed and deleted in plain
// transactions, whose triggers delete the grams they cut themselves. The
// index must match the model after each step: a gram the indexer cut and
// the triggers did not would stay behind.
func TestIndexerEveryKindOfCharacter(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		db := storetest.Open(t, engine, nil)
		g := newGroup(t, db, "G1")
		names := []string{"々木〆子", "〇田ぁゖ", "ァヿㇰㇿ", "㐀䶿一鿿", "豈\ufaff𠀀\U0003fffd", "𠮷野家😀", "ｔａｒｏ太郎", "Ab", "x", "山"}
		var users []*meibo.User
		for i, n := range names {
			users = append(users, user(g, n, fmt.Sprintf("u%d.%s@example.jp", i, []string{"ab", "山田", "x"}[i%3])))
		}
		addWaiting(t, db, users...)
		// A gram of the first user's name in the index already, for
		// another user (as a delete that raced an earlier indexer could
		// leave it for a user of the same name before): the indexer
		// writes the user it indexes over it.
		first := users[0]
		fold := meibo.Fold(first.Name)
		insert := `INSERT INTO user_grams (group_id, gram, name_fold, name, user_id) VALUES ($1, $2, $3, $4, $5)`
		rename := `UPDATE users SET name = $1, name_fold = $2 WHERE id = $3`
		if engine == "sqlite" {
			insert = `INSERT INTO user_grams (group_id, gram, name_fold, name, user_id) VALUES (?, ?, ?, ?, ?)`
			rename = `UPDATE users SET name = ?, name_fold = ? WHERE id = ?`
		}
		update(t, db, func(tx meibo.Tx) error {
			_, err := tx.(*sqlstore.Tx).SQLTx().ExecContext(ctx, insert, first.GroupID, string([]rune(fold)[:2]), fold, first.Name, users[2].ID)
			return err
		})

		if n := indexWaiting(t, db, 4); n != len(users) {
			t.Errorf("indexed %d users, want %d", n, len(users))
		}
		checkGramIndex(t, db)
		if t.Failed() {
			return
		}

		for i, u := range users {
			name := names[(i+3)%len(names)] + "改"
			update(t, db, func(tx meibo.Tx) error {
				_, err := tx.(*sqlstore.Tx).SQLTx().ExecContext(ctx, rename, name, meibo.Fold(name), u.ID)
				return err
			})
		}
		checkGramIndex(t, db)
		update(t, db, func(tx meibo.Tx) error { return tx.DeleteUsers(ctx, []int64{users[1].ID, users[4].ID, users[5].ID}) })
		checkGramIndex(t, db)
	})
}

// TestIndexerRaces: on PostgreSQL the indexer and other writers run at once
// (SQLite has one writer at a time). A user deleted or renamed while the
// indexer holds the user's chunk, claimed and written but not committed,
// leaves neither grams nor a row of the trigram index behind under the old
// name (the change waits for the indexer's commit, then takes out what it
// wrote), and a user of that name created at once afterwards is indexed as
// any other.
func TestIndexerRaces(t *testing.T) {
	storetest.PostgresDSN(t)
	for _, change := range []string{"delete", "rename"} {
		t.Run(change, func(t *testing.T) {
			db := storetest.Open(t, "postgres", nil)
			g := newGroup(t, db, "G1")
			taro, hanako := user(g, "taro", "taro@example.jp"), user(g, "hanako", "hanako@example.jp")
			addWaiting(t, db, taro, hanako)

			var xid string
			claimed, release := make(chan struct{}), make(chan struct{})
			var once sync.Once
			let := func() { once.Do(func() { close(release) }) }
			// A failure below still lets the indexer commit before the
			// schema is dropped (cleanups run last registered first).
			t.Cleanup(let)
			indexed := make(chan error, 1)
			go func() {
				indexed <- db.Update(ctx, func(tx meibo.Tx) error {
					n, err := tx.IndexPendingUsers(ctx, 10)
					if err == nil && n != 2 {
						err = fmt.Errorf("indexed %d users, want 2", n)
					}
					if err == nil {
						err = tx.(*sqlstore.Tx).SQLTx().QueryRowContext(ctx, `SELECT (pg_current_xact_id()::text::bigint % 4294967296)::text`).Scan(&xid)
					}
					close(claimed)
					if err != nil {
						return err
					}
					<-release
					return nil
				})
			}()
			<-claimed
			changed := make(chan error, 1)
			go func() {
				changed <- db.Update(ctx, func(tx meibo.Tx) error {
					if change == "delete" {
						return tx.DeleteUsers(ctx, []int64{taro.ID})
					}
					_, err := tx.(*sqlstore.Tx).SQLTx().ExecContext(ctx, `UPDATE users SET name = 'jiro', name_fold = 'jiro' WHERE id = $1`, taro.ID)
					return err
				})
			}()
			// The change waits for the indexer's transaction.
			for waited := 0; ; waited++ {
				var n int
				err := db.ReadDB().QueryRowContext(ctx, `SELECT count(*) FROM pg_locks WHERE locktype = 'transactionid' AND NOT granted AND transactionid::text = $1`, xid).Scan(&n)
				if err != nil {
					t.Fatal(err)
				}
				if n > 0 {
					break
				}
				if waited == 500 {
					t.Fatal("the change never waited for the indexer")
				}
				time.Sleep(10 * time.Millisecond)
			}
			let()
			if err := <-indexed; err != nil {
				t.Fatal(err)
			}
			if err := <-changed; err != nil {
				t.Fatal(err)
			}
			checkGramIndex(t, db)
			checkTrigramIndex(t, db, 0)

			addUsers(t, db, user(g, "taro", "taro.again@example.jp"))
			checkGramIndex(t, db)
			checkTrigramIndex(t, db, 0)
		})
	}
}

// TestStaleGramsTakenOver: rows of the keyword indexes that a race left on
// PostgreSQL before its migration 0029 (grams and a row of user_search under
// a name, for a user gone) are taken over by the next user of that name,
// created or renamed into it at once: neither is refused as if the name were
// taken, and both indexes then hold the user as any other.
func TestStaleGramsTakenOver(t *testing.T) {
	storetest.PostgresDSN(t)
	db := storetest.Open(t, "postgres", nil)
	g := newGroup(t, db, "G1")
	hanako := user(g, "hanako", "hanako@example.jp")
	addUsers(t, db, hanako)
	// Rows for "taro" and "jiro", of user 999999, who is not.
	update(t, db, func(tx meibo.Tx) error {
		for _, name := range []string{"taro", "jiro"} {
			_, err := tx.(*sqlstore.Tx).SQLTx().ExecContext(ctx, `INSERT INTO user_grams (group_id, gram, name_fold, name, user_id)
				SELECT 'G1', gram, $1, $1, 999999 FROM user_gram_list($1, $1 || '@example.jp') gram`, name)
			if err == nil {
				_, err = tx.(*sqlstore.Tx).SQLTx().ExecContext(ctx, `INSERT INTO user_search (user_id, group_id, name_fold, name, email_key)
					VALUES (999999, 'G1', $1, $1, $1 || '@example.jp')`, name)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	addUsers(t, db, user(g, "taro", "taro@example.jp"))
	update(t, db, func(tx meibo.Tx) error {
		_, err := tx.(*sqlstore.Tx).SQLTx().ExecContext(ctx, `UPDATE users SET name = 'jiro', name_fold = 'jiro', email = 'jiro@example.jp', email_key = 'jiro@example.jp' WHERE id = $1`, hanako.ID)
		return err
	})
	checkGramIndex(t, db)
	checkTrigramIndex(t, db, 0)
}
