package storetest_test

import (
	"fmt"
	"testing"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/store/storetest"
)

// TestUsersBulk: counting and reading the users a filter's conditions
// select, and writing one change to many users in batches.
func TestUsersBulk(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		db := storetest.Open(t, engine, nil)
		p := newGroup(t, db, "G1")
		other := newGroup(t, db, "G2")
		var p2 meibo.Profile
		update(t, db, func(tx meibo.Tx) error {
			p2 = meibo.Profile{GroupID: "G1", Name: "second"}
			return tx.CreateProfile(ctx, &p2)
		})
		var users []*meibo.User
		for i := range 1200 {
			u := user(p, fmt.Sprintf("u%04d", i), "")
			u.Disabled, u.Admin = i%4 == 0, i%10 == 0
			users = append(users, u)
		}
		addUsers(t, db, users...)
		addUsers(t, db, user(other, "x", ""))
		tr, fa := true, false
		count := func(f meibo.UserFilter, limit int) int {
			var n int
			view(t, db, func(tx meibo.Tx) error {
				var err error
				n, err = tx.CountUsersUpTo(ctx, f, limit)
				return err
			})
			return n
		}
		each := func(f meibo.UserFilter) []*meibo.User {
			var out []*meibo.User
			view(t, db, func(tx meibo.Tx) error {
				return tx.EachUserMatching(ctx, f, func(u *meibo.User) error { out = append(out, u); return nil })
			})
			return out
		}
		for _, c := range []struct {
			f    meibo.UserFilter
			want int
		}{
			{meibo.UserFilter{GroupID: "G1"}, 1200},
			{meibo.UserFilter{GroupID: "G1", Disabled: &tr}, 300},
			{meibo.UserFilter{GroupID: "G1", Disabled: &fa, Admin: &tr}, 60},
			{meibo.UserFilter{GroupID: "G1", ProfileID: &p2.ID}, 0},
			{meibo.UserFilter{GroupID: "G2"}, 1},
		} {
			if n := count(c.f, 5000); n != c.want {
				t.Errorf("count %+v = %d, want %d", c.f, n, c.want)
			}
			got := each(c.f)
			if len(got) != c.want {
				t.Errorf("each %+v: %d users, want %d", c.f, len(got), c.want)
			}
			for i, u := range got {
				if u.GroupID != c.f.GroupID || c.f.Disabled != nil && u.Disabled != *c.f.Disabled || i > 0 && u.ID < got[i-1].ID {
					t.Fatalf("each %+v: %+v at %d", c.f, u, i)
				}
			}
		}
		if n := count(meibo.UserFilter{GroupID: "G1"}, 100); n != 100 {
			t.Errorf("bounded count %d, want 100", n)
		}

		// One change to 1,100 users (several batches), the others untouched.
		ids := make([]int64, 0, 1100)
		for _, u := range users[:1100] {
			ids = append(ids, u.ID)
		}
		update(t, db, func(tx meibo.Tx) error { return tx.SetUsers(ctx, ids, meibo.UserSet{ProfileID: &p2.ID}) })
		update(t, db, func(tx meibo.Tx) error { return tx.SetUsers(ctx, ids[:700], meibo.UserSet{Disabled: &tr}) })
		if n := count(meibo.UserFilter{GroupID: "G1", ProfileID: &p2.ID}, 5000); n != 1100 {
			t.Errorf("%d users in the second profile, want 1100", n)
		}
		if n := count(meibo.UserFilter{GroupID: "G1", Disabled: &tr}, 5000); n != 700+125 {
			t.Errorf("%d disabled users, want 825", n)
		}
		moved := each(meibo.UserFilter{GroupID: "G1", ProfileID: &p2.ID})
		if moved[0].ProfileName != "second" || moved[0].Email != users[0].Email || moved[0].Admin != users[0].Admin {
			t.Errorf("moved user %+v", moved[0])
		}
		// A user that is not there: not found, nothing written.
		err := db.Update(ctx, func(tx meibo.Tx) error {
			return tx.SetUsers(ctx, []int64{users[1199].ID, 99_999_999}, meibo.UserSet{Disabled: &tr})
		})
		wantCode(t, err, meibo.CodeNotFound)
		if got := each(meibo.UserFilter{GroupID: "G1"}); got[1199].Disabled {
			t.Error("a failed SetUsers wrote")
		}
	})
}
