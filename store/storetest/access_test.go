package storetest_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/store/storetest"
)

// TestEndUsersAccess: the portal sessions and usable links of the users
// named end, in batches however many are named; nobody else's, and no
// console session.
func TestEndUsersAccess(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		db := storetest.Open(t, engine, nil)
		p := newGroup(t, db, "G1")
		var users []*meibo.User
		for i := range 3 {
			users = append(users, user(p, fmt.Sprint("u", i), ""))
		}
		addUsers(t, db, users...)
		var admin meibo.Admin
		update(t, db, func(tx meibo.Tx) error {
			admin = meibo.Admin{LoginID: "ops", GUID: meibo.NewGUID(), Name: "ops", Authorities: meibo.NewAuthorities(meibo.AuthConsole)}
			if err := tx.CreateAdmin(ctx, &admin); err != nil {
				return err
			}
			exp := tx.Now().Add(time.Hour)
			for _, u := range users {
				for j := range 2 {
					_, h := meibo.NewToken("mbs_")
					if err := tx.CreateSession(ctx, &meibo.Session{Hash: h, Kind: meibo.SessionPortal, UserID: &u.ID, CSRF: fmt.Sprint(j), ExpiresAt: exp}); err != nil {
						return err
					}
				}
				_, h := meibo.NewToken("mbl_")
				if err := tx.CreateUserToken(ctx, &meibo.UserToken{Hash: h, UserID: u.ID, Purpose: meibo.MailReset, ExpiresAt: exp}); err != nil {
					return err
				}
			}
			_, h := meibo.NewToken("mbs_")
			return tx.CreateSession(ctx, &meibo.Session{Hash: h, Kind: meibo.SessionConsole, AdminID: &admin.ID, CSRF: "x", ExpiresAt: exp})
		})
		// u0 and u2 among 1,500 IDs, most of them of nobody: several batches.
		ids := make([]int64, 0, 1500)
		for i := range int64(1498) {
			ids = append(ids, 1_000_000+i)
		}
		ids = append(ids, users[0].ID, users[2].ID)
		update(t, db, func(tx meibo.Tx) error { return tx.EndUsersAccess(ctx, ids, tx.Now()) })
		count := func(q string) int {
			var n int
			if err := db.ReadDB().QueryRowContext(ctx, q).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		for i, u := range users {
			want := 0
			if i == 1 {
				want = 2
			}
			if n := count(fmt.Sprintf("SELECT count(*) FROM sessions WHERE user_id = %d", u.ID)); n != want {
				t.Errorf("%s: %d sessions, want %d", u.Name, n, want)
			}
			if n := count(fmt.Sprintf("SELECT count(*) FROM user_tokens WHERE user_id = %d AND revoked_at IS NULL", u.ID)); n != want/2 {
				t.Errorf("%s: %d usable links, want %d", u.Name, n, want/2)
			}
		}
		if n := count("SELECT count(*) FROM sessions WHERE kind = 'console'"); n != 1 {
			t.Errorf("%d console sessions, want 1", n)
		}
	})
}
