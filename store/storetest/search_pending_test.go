package storetest_test

import (
	"fmt"
	"slices"
	"testing"

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
		def := newGroup(t, db, "G1")
		other := newGroup(t, db, "G2")
		sales := &meibo.Profile{GroupID: "G1", Name: "営業 Sales"}
		update(t, db, func(tx meibo.Tx) error { return tx.CreateProfile(ctx, sales) })
		profiles := map[int64]*meibo.Profile{def.ID: def, other.ID: other, sales.ID: sales}

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
		update(t, db, func(tx meibo.Tx) error {
			if err := tx.DeferSearchIndex(ctx); err != nil {
				return err
			}
			return tx.CreateUsers(ctx, waiting)
		})
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
		total := 0
		for {
			var n int
			update(t, db, func(tx meibo.Tx) error {
				var err error
				n, err = tx.IndexPendingUsers(ctx, 7)
				return err
			})
			if n == 0 {
				break
			}
			if n > 7 {
				t.Fatalf("a chunk of 7 indexed %d users", n)
			}
			total += n
		}
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
