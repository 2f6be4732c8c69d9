package storetest_test

import (
	"cmp"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/store/storetest"
)

// sortModel sorts users as an order of meibo.UserSort does, plainly.
func sortModel(users []*meibo.User, o meibo.UserSort, desc bool) []int64 {
	s := slices.Clone(users)
	slices.SortFunc(s, func(a, b *meibo.User) int {
		c := 0
		switch o {
		case meibo.SortEmail:
			c = cmp.Compare(meibo.EmailKey(a.Email), meibo.EmailKey(b.Email))
		case meibo.SortSignIn:
			switch {
			case a.LastSignInAt == nil && b.LastSignInAt == nil:
			case a.LastSignInAt == nil:
				c = -1
			case b.LastSignInAt == nil:
				c = 1
			default:
				c = a.LastSignInAt.Compare(*b.LastSignInAt)
			}
		case meibo.SortCreated:
			c = a.CreatedAt.Compare(b.CreatedAt)
		case meibo.SortName:
			c = cmp.Or(cmp.Compare(meibo.Fold(a.Name), meibo.Fold(b.Name)), cmp.Compare(a.Name, b.Name))
		}
		return cmp.Or(c, cmp.Compare(a.ID, b.ID))
	})
	if desc {
		slices.Reverse(s)
	}
	ids := make([]int64, len(s))
	for i, u := range s {
		ids[i] = u.ID
	}
	return ids
}

func pageIDs(p *meibo.UserPage) []int64 {
	var ids []int64
	for _, u := range p.Users {
		ids = append(ids, u.ID)
	}
	return ids
}

// TestFindUsersSorted pages forward and back through every order, both
// directions, and compares with the users sorted in Go; ties (same e-mail,
// same creation time, no sign-in) are broken by ID.
func TestFindUsersSorted(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
		db := storetest.Open(t, engine, func() time.Time { return now })
		def := newGroup(t, db, "G1")
		other := newGroup(t, db, "G2")
		var all []*meibo.User
		for batch := range 4 {
			var us []*meibo.User
			for i := range 9 {
				n := batch*9 + i
				email := fmt.Sprintf("u%02d@example.com", (n*7)%23)
				switch n % 5 {
				case 0:
					email = ""
				case 1:
					email = fmt.Sprintf("Dup%d@Example.com", n%2)
				}
				u := user(def, fmt.Sprintf("user%02d", (n*11)%36), email)
				u.Disabled = n%3 == 0
				us = append(us, u)
			}
			addUsers(t, db, us...)
			all = append(all, us...)
			now = now.Add(time.Duration(batch+1) * 1500 * time.Microsecond)
		}
		addUsers(t, db, user(other, "elsewhere", "a@example.com"))
		// Sign-ins: some at the same instant, most never.
		at := time.Date(2026, 12, 3, 10, 0, 0, 123456000, time.UTC)
		update(t, db, func(tx meibo.Tx) error {
			for i, u := range all {
				if i%3 == 1 {
					if err := tx.SetUserSignIn(ctx, u.ID, at.Add(time.Duration(i%4)*time.Second)); err != nil {
						return err
					}
				}
			}
			return nil
		})
		// The users as stored.
		var stored []*meibo.User
		view(t, db, func(tx meibo.Tx) error {
			p, err := tx.FindUsers(ctx, meibo.UserFilter{GroupID: "G1", Limit: 500})
			stored = p.Users
			return err
		})
		if len(stored) != len(all) {
			t.Fatalf("%d users stored, want %d", len(stored), len(all))
		}
		yes := true
		for _, o := range meibo.UserSorts {
			for _, desc := range []bool{false, true} {
				for _, disabled := range []*bool{nil, &yes} {
					var users []*meibo.User
					for _, u := range stored {
						if disabled == nil || u.Disabled == *disabled {
							users = append(users, u)
						}
					}
					want := sortModel(users, o, desc)
					for _, limit := range []int{4, 7} {
						f := meibo.UserFilter{GroupID: "G1", Disabled: disabled, Limit: limit}
						f.Sort, f.Desc, f.Count = o, desc, true
						name := fmt.Sprintf("%s desc=%v disabled=%v limit=%d", o, desc, disabled != nil, limit)
						got := walkPages(t, db, f, name, len(want))
						if !slices.Equal(got, want) {
							t.Errorf("%s forward: %v, want %v", name, got, want)
						}
						back := walkBack(t, db, f, name)
						if !slices.Equal(back, want) {
							t.Errorf("%s back from the last page: %v, want %v", name, back, want)
						}
					}
				}
			}
		}
		// A keyword sorts by name whatever the order asked, and says so.
		view(t, db, func(tx meibo.Tx) error {
			f := meibo.UserFilter{GroupID: "G1", Keyword: "dup", Limit: 50}
			f.Sort, f.Desc, f.Count = meibo.SortEmail, true, true
			p, err := tx.FindUsers(ctx, f)
			if err != nil {
				return err
			}
			var dups []*meibo.User
			for _, u := range stored {
				if meibo.EmailKey(u.Email) >= "dup" && meibo.EmailKey(u.Email) < "duq" {
					dups = append(dups, u)
				}
			}
			if p.SortedBy != meibo.SortName || !slices.Equal(pageIDs(p), sortModel(dups, meibo.SortName, true)) {
				t.Errorf("keyword with e-mail order: sorted by %q, %v", p.SortedBy, pageIDs(p))
			}
			if p.Total != len(dups) || !p.TotalExact {
				t.Errorf("keyword total %d (exact %v), want %d", p.Total, p.TotalExact, len(dups))
			}
			// A cursor of one order is refused by another.
			f = meibo.UserFilter{GroupID: "G1", Limit: 5}
			f.Sort = meibo.SortCreated
			p, err = tx.FindUsers(ctx, f)
			if err != nil {
				return err
			}
			f.Sort, f.After = meibo.SortEmail, p.Next
			_, err = tx.FindUsers(ctx, f)
			wantCode(t, err, meibo.CodeInvalid)
			return nil
		})
	})
}

// walkPages reads every page of f forward, following Next, checking the
// flags and the total on each.
func walkPages(t *testing.T, db meibo.Store, f meibo.UserFilter, name string, total int) []int64 {
	t.Helper()
	var ids []int64
	view(t, db, func(tx meibo.Tx) error {
		for i := 0; ; i++ {
			p, err := tx.FindUsers(ctx, f)
			if err != nil {
				return err
			}
			if p.Total != total || !p.TotalExact {
				t.Errorf("%s: total %d (exact %v), want %d", name, p.Total, p.TotalExact, total)
			}
			if p.HasPrev != (i > 0) || p.HasPrev != (p.Prev != "") || p.HasNext != (p.Next != "") {
				t.Errorf("%s page %d: HasPrev %v %q, HasNext %v %q", name, i, p.HasPrev, p.Prev, p.HasNext, p.Next)
			}
			ids = append(ids, pageIDs(p)...)
			if !p.HasNext || i > 50 {
				return nil
			}
			f.After = p.Next
		}
	})
	return ids
}

// walkBack reads the last page of f, then every page before it, following
// Prev, and returns the users in order.
func walkBack(t *testing.T, db meibo.Store, f meibo.UserFilter, name string) []int64 {
	t.Helper()
	var pages [][]int64
	view(t, db, func(tx meibo.Tx) error {
		f.Last = true
		for i := 0; ; i++ {
			p, err := tx.FindUsers(ctx, f)
			if err != nil {
				return err
			}
			if p.HasNext != (i > 0) || p.HasPrev != (p.Prev != "") {
				t.Errorf("%s page %d from the end: HasNext %v, HasPrev %v %q", name, i, p.HasNext, p.HasPrev, p.Prev)
			}
			if i == 0 && len(p.Users) != f.Limit && p.HasPrev {
				t.Errorf("%s: last page holds %d users, want %d", name, len(p.Users), f.Limit)
			}
			pages = append(pages, pageIDs(p))
			if !p.HasPrev || i > 50 {
				break
			}
			f.Last, f.Before = false, p.Prev
		}
		return nil
	})
	slices.Reverse(pages)
	return slices.Concat(pages...)
}

// checkTotal fails the test unless f counts total matches, exactly.
func checkTotal(t *testing.T, db meibo.Store, f meibo.UserFilter, total int) {
	t.Helper()
	f.Count, f.Limit = true, 1
	view(t, db, func(tx meibo.Tx) error {
		p, err := tx.FindUsers(ctx, f)
		if err == nil && (p.Total != total || !p.TotalExact) {
			t.Errorf("%+v: total %d (exact %v), want %d", f, p.Total, p.TotalExact, total)
		}
		return err
	})
}

// TestCountUsersWeakHash: the total of a list of users with a weak legacy
// hash counts only them, with and without a keyword.
func TestCountUsersWeakHash(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		db := storetest.Open(t, engine, nil)
		p := newGroup(t, db, "G1")
		var all []*meibo.User
		for i := range 30 {
			u := user(p, fmt.Sprintf("taro%02d", i), "")
			if i%3 == 0 {
				u.PasswordHash = "{SSHA}c29tZWhhc2g="
			}
			all = append(all, u)
		}
		addUsers(t, db, all...)
		for _, kw := range []string{"", "ta", "taro", "t"} {
			view(t, db, func(tx meibo.Tx) error {
				f := meibo.UserFilter{GroupID: "G1", Keyword: kw, WeakHash: true, Limit: 5}
				f.Count = true
				page, err := tx.FindUsers(ctx, f)
				if err != nil {
					return err
				}
				if page.Total != 10 {
					t.Errorf("%q: total %d users with a weak hash, want 10", kw, page.Total)
				}
				return nil
			})
		}
	})
}

// TestUsersPageLimit: a page asked for larger than a page may be is a full
// page (500), not the default of 50; none asked for is the default.
func TestUsersPageLimit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		db := storetest.Open(t, engine, nil)
		def := newGroup(t, db, "G1")
		var us []*meibo.User
		for i := range 520 {
			us = append(us, user(def, fmt.Sprintf("u%04d", i), ""))
		}
		addUsers(t, db, us...)
		view(t, db, func(tx meibo.Tx) error {
			for limit, want := range map[int]int{0: 50, 60: 60, 500: 500, 501: 500, 100000: 500} {
				p, err := tx.FindUsers(ctx, meibo.UserFilter{GroupID: "G1", Limit: limit})
				if err != nil {
					return err
				}
				if len(p.Users) != want || !p.HasNext {
					t.Errorf("limit %d: %d users (more: %v), want %d", limit, len(p.Users), p.HasNext, want)
				}
			}
			return nil
		})
	})
}
