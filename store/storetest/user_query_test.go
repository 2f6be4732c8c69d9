package storetest_test

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/store/storetest"
)

// queryModel selects and orders users as meibo.UserQuery says, plainly.
func queryModel(users []*meibo.User, q meibo.UserQuery) []string {
	var out []string
	for _, u := range users {
		switch {
		case u.GroupID != q.GroupID,
			q.Name != nil && u.Name != *q.Name,
			!strings.HasPrefix(u.Name, q.NamePrefix),
			q.EmailKey != nil && meibo.EmailKey(u.Email) != *q.EmailKey,
			!strings.HasPrefix(meibo.EmailKey(u.Email), q.EmailKeyPrefix),
			q.Contains != "" && !strings.Contains(meibo.Fold(u.Name), q.Contains) && !strings.Contains(meibo.EmailKey(u.Email), q.Contains),
			q.Disabled != nil && u.Disabled != *q.Disabled,
			q.Admin != nil && u.Admin != *q.Admin,
			q.AfterName != "" && u.Name <= q.AfterName:
			continue
		}
		out = append(out, u.Name)
	}
	slices.SortFunc(out, cmp.Compare[string])
	return out
}

// TestQueryUsers compares every query with the model, pages included, and
// follows the kept count of each group's users through inserts, deletes
// and the group's deletion.
func TestQueryUsers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		db := storetest.Open(t, engine, nil)
		g1, g2 := newGroup(t, db, "G1"), newGroup(t, db, "G2")
		names := []string{"ab", "abc", "abd", "ab\u00e9", "ab\U0010FFFF", "ab\U0010FFFFz", "ac", "Ab", "b", "日本", "日本語", "日月", "ab\ud7ffx", "ab\ue000"}
		var all []*meibo.User
		for i, n := range names {
			u := user(g1, n, fmt.Sprintf("%s%d@Example.ORG", strings.ToUpper(n[:1]), i%4))
			u.Disabled, u.Admin = i%3 == 0, i%4 == 1
			all = append(all, u)
		}
		addUsers(t, db, all...)
		other := user(g2, "ab", "a0@example.org")
		addUsers(t, db, other)
		all = append(all, other)
		yes, no := true, false
		key := "a0@example.org"
		for _, q := range []meibo.UserQuery{
			{},
			{NamePrefix: "ab"},
			{NamePrefix: "ab\U0010FFFF"},
			{NamePrefix: "ab\ud7ff"},
			{NamePrefix: "日"},
			{NamePrefix: "A"},
			{Name: &names[2]},
			{EmailKey: &key},
			{EmailKeyPrefix: "a"},
			{EmailKeyPrefix: "a2@"},
			{Disabled: &yes},
			{Disabled: &no},
			{Admin: &yes, Disabled: &no},
			{NamePrefix: "ab", Disabled: &no},
			{Disabled: &no, AfterName: "abd"},
			{Contains: "abd"},
			{Contains: "b0@"},
			{Contains: "日本語"},
			{Contains: "xyz"},
			{Contains: "abc", Disabled: &yes},
		} {
			q.GroupID = "G1"
			want := queryModel(all, q)
			view(t, db, func(tx meibo.Tx) error {
				n, err := tx.CountQueryUsers(ctx, q)
				if err != nil {
					return err
				}
				if q.AfterName == "" && n != len(want) {
					t.Errorf("%+v: count %d, want %d", q, n, len(want))
				}
				// Pages from the start, and counted from the end (the same
				// pages, in name order).
				for _, page := range []struct {
					offset, limit int
					fromEnd       bool
				}{{0, 0, false}, {0, 2, false}, {1, 3, false}, {len(want), 5, false},
					{0, 1, true}, {0, 3, true}, {2, 2, true}, {max(len(want)-1, 0), 5, true}, {len(want), 2, true}} {
					q.Offset, q.Limit, q.FromEnd = page.offset, page.limit, page.fromEnd
					users, err := tx.QueryUsers(ctx, q)
					if err != nil {
						return err
					}
					var got []string
					for _, u := range users {
						got = append(got, u.Name)
						if u.ProfileName != meibo.DefaultProfileName {
							t.Errorf("%s: profile %q", u.Name, u.ProfileName)
						}
					}
					var w []string
					if page.fromEnd {
						end := len(want) - min(page.offset, len(want))
						w = want[max(end-page.limit, 0):end]
					} else {
						w = want[min(page.offset, len(want)):]
						if page.limit > 0 {
							w = w[:min(page.limit, len(w))]
						}
					}
					if !slices.Equal(got, w) {
						t.Errorf("%+v: %q, want %q", q, got, w)
					}
				}
				q.FromEnd = false
				return nil
			})
		}
		counts := func(want1, want2 int) {
			t.Helper()
			view(t, db, func(tx meibo.Tx) error {
				n1, err := tx.CountQueryUsers(ctx, meibo.UserQuery{GroupID: "G1"})
				if err != nil {
					return err
				}
				n2, err := tx.CountQueryUsers(ctx, meibo.UserQuery{GroupID: "G2"})
				if n1 != want1 || n2 != want2 {
					t.Errorf("kept counts %d, %d, want %d, %d", n1, n2, want1, want2)
				}
				return err
			})
		}
		counts(len(names), 1)
		update(t, db, func(tx meibo.Tx) error { return tx.DeleteUsers(ctx, []int64{all[0].ID, all[1].ID, other.ID}) })
		counts(len(names)-2, 0)
		addUsers(t, db, user(g2, "x", ""), user(g2, "y", ""), user(g1, "z", ""))
		counts(len(names)-1, 2)
		// A group emptied and deleted takes its count; a new one of the
		// same name starts from nothing.
		update(t, db, func(tx meibo.Tx) error {
			p, err := tx.FindUsers(ctx, meibo.UserFilter{GroupID: "G2", Limit: 10})
			if err != nil {
				return err
			}
			var ids []int64
			for _, u := range p.Users {
				ids = append(ids, u.ID)
			}
			if err := tx.DeleteUsers(ctx, ids); err != nil {
				return err
			}
			return tx.DeleteGroup(ctx, "G2")
		})
		g2 = newGroup(t, db, "G2")
		counts(len(names)-1, 0)
		addUsers(t, db, user(g2, "w", ""))
		counts(len(names)-1, 1)
	})
}
