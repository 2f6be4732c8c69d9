package storetest_test

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/store/storetest"
)

func TestUsersCRUD(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		db := storetest.Open(t, engine, nil)
		p := newGroup(t, db, "G1")
		other := newGroup(t, db, "G2")
		api := &meibo.Profile{GroupID: "G1", Name: "api", APIAccess: true}
		update(t, db, func(tx meibo.Tx) error { return tx.CreateProfile(ctx, api) })

		// 1,234 users in one call: more than one batch of 500.
		var users []*meibo.User
		for i := range 1234 {
			users = append(users, user(p, fmt.Sprintf("user%04d", i), fmt.Sprintf("user%04d@example.com", i)))
		}
		changed := time.Date(2024, 1, 2, 3, 4, 5, 6000, time.UTC)
		users[7].PasswordHash, users[7].PasswordChangedAt = "$argon2id$fake", &changed
		users[7].Admin, users[7].APIAccess, users[7].Disabled = true, true, true
		var now time.Time
		update(t, db, func(tx meibo.Tx) error {
			now = tx.Now()
			return tx.CreateUsers(ctx, users)
		})
		ids := map[int64]bool{}
		for _, u := range users {
			if u.ID == 0 || ids[u.ID] {
				t.Fatalf("user %s got ID %d", u.Name, u.ID)
			}
			ids[u.ID] = true
			if !u.CreatedAt.Equal(now) || !u.UpdatedAt.Equal(now) {
				t.Fatalf("user %s times %v %v, want %v", u.Name, u.CreatedAt, u.UpdatedAt, now)
			}
		}
		if n := countUsers(t, db, "G1"); n != 1234 {
			t.Fatalf("CountUsers = %d", n)
		}
		view(t, db, func(tx meibo.Tx) error {
			u, err := tx.User(ctx, users[7].ID)
			if err != nil {
				return err
			}
			if u.GroupID != "G1" || u.Name != "user0007" || u.Email != "user0007@example.com" || u.PasswordHash != "$argon2id$fake" ||
				u.ProfileID != p.ID || u.ProfileName != "default" || !u.Admin || !u.APIAccess || !u.Disabled ||
				u.PasswordChangedAt == nil || !u.PasswordChangedAt.Equal(changed) || u.LastSignInAt != nil || !u.CreatedAt.Equal(now) {
				t.Errorf("User = %+v", u)
			}
			byName, err := tx.UserByName(ctx, "G1", "user0007")
			if err != nil || byName.ID != u.ID {
				t.Errorf("UserByName = %+v, %v", byName, err)
			}
			// Names are case-sensitive and belong to their group.
			_, err = tx.UserByName(ctx, "G1", "USER0007")
			wantCode(t, err, meibo.CodeNotFound)
			_, err = tx.UserByName(ctx, "G2", "user0007")
			wantCode(t, err, meibo.CodeNotFound)
			_, err = tx.User(ctx, 1<<40)
			wantCode(t, err, meibo.CodeNotFound)
			// 1,100 names: more than one query of 1,000.
			var names []string
			for i := range 1100 {
				names = append(names, fmt.Sprintf("user%04d", i+200))
			}
			names = append(names, "nobody")
			m, err := tx.UsersByName(ctx, "G1", names)
			if err != nil {
				return err
			}
			if len(m) != 1034 || m["user0200"] == nil || m["user1233"] == nil || m["nobody"] != nil || m["user1233"].ProfileName != "default" {
				t.Errorf("UsersByName found %d users", len(m))
			}
			return nil
		})

		// Unique names per group: one user or a batch; same name elsewhere
		// and a name differing in case are fine.
		e := wantCode(t, db.Update(ctx, func(tx meibo.Tx) error {
			return tx.CreateUsers(ctx, []*meibo.User{user(p, "user0001", "")})
		}), meibo.CodeConflict)
		if e.Msg.Key != "user.exists" {
			t.Errorf("single duplicate: %v", e)
		}
		wantCode(t, db.Update(ctx, func(tx meibo.Tx) error {
			return tx.CreateUsers(ctx, []*meibo.User{user(p, "fresh", ""), user(p, "user1000", "")})
		}), meibo.CodeConflict)
		wantCode(t, db.Update(ctx, func(tx meibo.Tx) error {
			return tx.CreateUsers(ctx, []*meibo.User{user(p, "twin", ""), user(p, "twin", "")})
		}), meibo.CodeConflict)
		addUsers(t, db, user(other, "user0001", ""), user(p, "USER0001", ""))
		wantCode(t, db.Update(ctx, func(tx meibo.Tx) error {
			return tx.CreateUsers(ctx, []*meibo.User{{GroupID: "G404", Name: "x", ProfileID: p.ID}})
		}), meibo.CodeNotFound)
		if n := countUsers(t, db, "G1"); n != 1235 {
			t.Fatalf("CountUsers after refused creations = %d, want 1235", n)
		}

		// Batch update of 700 users: every field but ID, group and name.
		var up []*meibo.User
		view(t, db, func(tx meibo.Tx) error {
			return tx.EachUser(ctx, "G1", func(u *meibo.User) error {
				if len(up) < 700 && u.Name != "USER0001" {
					up = append(up, u)
				}
				return nil
			})
		})
		pw := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
		for i, u := range up {
			u.Name = "renamed" + u.Name
			u.GroupID = "G2"
			u.Email = fmt.Sprintf("New%04d@Example.org", i)
			u.PasswordHash = "$argon2id$new"
			u.ProfileID = api.ID
			u.Admin, u.APIAccess, u.Disabled = i%2 == 0, true, i%3 == 0
			u.PasswordChangedAt = &pw
		}
		var upNow time.Time
		update(t, db, func(tx meibo.Tx) error {
			upNow = tx.Now()
			return tx.UpdateUsers(ctx, up)
		})
		view(t, db, func(tx meibo.Tx) error {
			for i, want := range up {
				u, err := tx.User(ctx, want.ID)
				if err != nil {
					return err
				}
				if u.GroupID != "G1" || u.Name == want.Name || u.Email != want.Email || u.PasswordHash != "$argon2id$new" ||
					u.ProfileID != api.ID || u.ProfileName != "api" || u.Admin != (i%2 == 0) || !u.APIAccess || u.Disabled != (i%3 == 0) ||
					u.PasswordChangedAt == nil || !u.PasswordChangedAt.Equal(pw) || !u.UpdatedAt.Equal(upNow) || !u.CreatedAt.Equal(now) {
					t.Fatalf("updated user %d = %+v", i, u)
				}
			}
			return nil
		})
		wantCode(t, db.Update(ctx, func(tx meibo.Tx) error {
			return tx.UpdateUsers(ctx, []*meibo.User{{ID: 1 << 40, GroupID: "G1", Name: "ghost", ProfileID: p.ID}})
		}), meibo.CodeNotFound)

		// Sign-in time.
		at := time.Date(2024, 7, 1, 12, 0, 0, 0, time.UTC)
		update(t, db, func(tx meibo.Tx) error { return tx.SetUserSignIn(ctx, users[3].ID, at) })
		view(t, db, func(tx meibo.Tx) error {
			u, err := tx.User(ctx, users[3].ID)
			if err == nil && (u.LastSignInAt == nil || !u.LastSignInAt.Equal(at)) {
				t.Errorf("last sign-in %v", u.LastSignInAt)
			}
			return err
		})

		// Delete 1,100 users: more than one statement of 1,000.
		var del []int64
		for _, u := range users[:1100] {
			del = append(del, u.ID)
		}
		update(t, db, func(tx meibo.Tx) error { return tx.DeleteUsers(ctx, del) })
		if n := countUsers(t, db, "G1"); n != 135 {
			t.Fatalf("CountUsers after delete = %d, want 135", n)
		}
		wantCode(t, db.Update(ctx, func(tx meibo.Tx) error { return tx.DeleteUsers(ctx, del[:1]) }), meibo.CodeNotFound)
		if n := countUsers(t, db, "G2"); n != 1 {
			t.Fatalf("G2 has %d users", n)
		}
	})
}

func TestEachUser(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		db := storetest.Open(t, engine, nil)
		p := newGroup(t, db, "G1")
		o := newGroup(t, db, "G2")
		names := []string{"b", "B", "a", "山田", "ｱ", "Ｚ", "a1", "😀", "z"}
		var us []*meibo.User
		for _, n := range names {
			us = append(us, user(p, n, ""))
		}
		// Profiles: the group's default, another of the group's, and
		// (written behind the store's back: nothing else makes it) one
		// of another group's.
		staff := &meibo.Profile{GroupID: "G1", Name: "staff", Actions: meibo.AllActions}
		elsewhere := &meibo.Profile{GroupID: "G2", Name: "elsewhere", Actions: meibo.AllActions}
		update(t, db, func(tx meibo.Tx) error {
			if err := tx.CreateProfile(ctx, staff); err != nil {
				return err
			}
			return tx.CreateProfile(ctx, elsewhere)
		})
		us[2].ProfileID, us[8].ProfileID = staff.ID, staff.ID // a, z
		// Every combination of the three flags.
		for i, u := range us {
			u.Admin, u.APIAccess, u.Disabled = i&1 != 0, i&2 != 0, i&4 != 0
		}
		addUsers(t, db, append(us, user(o, "other", ""))...)
		byName := map[string]*meibo.User{}
		for _, u := range us {
			byName[u.Name] = u
		}
		wantProfile := map[string]string{"a": "staff", "z": "staff", "b": "elsewhere"}
		_, err := db.WriteDB().ExecContext(ctx, `UPDATE users SET profile_id = $1 WHERE id = $2`, elsewhere.ID, us[0].ID)
		switch {
		case engine == "postgres" && (err == nil || !strings.Contains(err.Error(), "users_profile_in_group")):
			t.Fatalf("PostgreSQL gave a user another group's profile: %v", err)
		case engine == "postgres":
			delete(wantProfile, "b") // its key refuses it (migration 0026)
		case err != nil:
			t.Fatal(err)
		}
		sort.Strings(names) // byte order
		var got []string
		view(t, db, func(tx meibo.Tx) error {
			return tx.EachUser(ctx, "G1", func(u *meibo.User) error {
				got = append(got, u.Name)
				want, ok := wantProfile[u.Name]
				if !ok {
					want = meibo.DefaultProfileName
				}
				if u.ProfileName != want {
					t.Errorf("EachUser: %s has profile %q, want %q", u.Name, u.ProfileName, want)
				}
				w := byName[u.Name]
				if u.ID != w.ID || u.GroupID != "G1" || u.Admin != w.Admin || u.APIAccess != w.APIAccess || u.Disabled != w.Disabled {
					t.Errorf("EachUser: %s is #%d of %s, admin %t, API %t, disabled %t; want #%d of G1, %t, %t, %t",
						u.Name, u.ID, u.GroupID, u.Admin, u.APIAccess, u.Disabled, w.ID, w.Admin, w.APIAccess, w.Disabled)
				}
				return nil
			})
		})
		if fmt.Sprint(got) != fmt.Sprint(names) {
			t.Errorf("EachUser order %q, want byte order %q", got, names)
		}
		stop := errors.New("stop")
		n := 0
		err = db.View(ctx, func(tx meibo.Tx) error {
			return tx.EachUser(ctx, "G1", func(*meibo.User) error {
				n++
				if n == 3 {
					return stop
				}
				return nil
			})
		})
		if !errors.Is(err, stop) || n != 3 {
			t.Errorf("EachUser after the callback's error: %v after %d users", err, n)
		}
	})
}

// TestUnifiedUsers checks the licence count: same name and same e-mail (any
// case) in several groups is one person; blank e-mails never unify; the count
// follows deletions and e-mail changes.
func TestUnifiedUsers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		db := storetest.Open(t, engine, nil)
		g1, g2, g3 := newGroup(t, db, "G1"), newGroup(t, db, "G2"), newGroup(t, db, "G3")
		count := func(want int, what string) {
			t.Helper()
			view(t, db, func(tx meibo.Tx) error {
				n, err := tx.UnifiedCount(ctx)
				if n != want {
					t.Errorf("%s: unified count %d, want %d", what, n, want)
				}
				return err
			})
		}
		count(0, "empty")
		taro1, taro2 := user(g1, "taro", "taro@example.com"), user(g2, "taro", "taro@example.com")
		addUsers(t, db, taro1, taro2)
		count(1, "same name and e-mail in two groups")
		addUsers(t, db, user(g3, "taro", "taro@other.example"))
		count(2, "same name, other e-mail")
		hanako1, hanako2 := user(g1, "hanako", ""), user(g2, "hanako", "")
		addUsers(t, db, hanako1, hanako2)
		count(4, "blank e-mails")
		jiro1, jiro2 := user(g1, "jiro", "Jiro@Example.COM"), user(g2, "jiro", "jiro@example.com")
		addUsers(t, db, jiro1, jiro2)
		count(5, "e-mail differing in case")
		addUsers(t, db, user(g3, "Jiro", "jiro@example.com"))
		count(6, "name differing in case")

		view(t, db, func(tx meibo.Tx) error {
			k := taro1.UnifiedKey()
			m, err := tx.UnifiedMembers(ctx, []meibo.UnifiedKey{k, jiro1.UnifiedKey(), hanako1.UnifiedKey(), meibo.MakeUnifiedKey("G1", "nobody", "")})
			if err != nil {
				return err
			}
			if m[k] != 2 || m[jiro1.UnifiedKey()] != 2 || m[hanako1.UnifiedKey()] != 1 || len(m) != 3 {
				t.Errorf("UnifiedMembers = %v", m)
			}
			var all []meibo.UnifiedUser
			after := meibo.UnifiedKey{}
			for {
				page, err := tx.UnifiedUsers(ctx, after, 2)
				if err != nil {
					return err
				}
				if len(page) == 0 {
					break
				}
				all = append(all, page...)
				after = page[len(page)-1].Key
			}
			var got []string
			for _, u := range all {
				got = append(got, fmt.Sprintf("%s/%d", u.Name, u.Members))
			}
			if fmt.Sprint(got) != "[Jiro/1 hanako/1 hanako/1 jiro/2 taro/2 taro/1]" {
				t.Errorf("UnifiedUsers pages = %v", got)
			}
			return nil
		})

		update(t, db, func(tx meibo.Tx) error { return tx.DeleteUsers(ctx, []int64{taro1.ID}) })
		count(6, "one of two unified members deleted")
		update(t, db, func(tx meibo.Tx) error { return tx.DeleteUsers(ctx, []int64{taro2.ID}) })
		count(5, "last member deleted")

		// An e-mail change moves the user to another unified user.
		jiro2.Email = "jiro2@example.com"
		update(t, db, func(tx meibo.Tx) error { return tx.UpdateUsers(ctx, []*meibo.User{jiro2}) })
		count(6, "e-mail change splits a unified user")
		jiro1.Email = "JIRO2@example.com"
		update(t, db, func(tx meibo.Tx) error { return tx.UpdateUsers(ctx, []*meibo.User{jiro1}) })
		count(5, "e-mail change joins a unified user")
		hanako2.Email = ""
		hanako2.Admin = true
		update(t, db, func(tx meibo.Tx) error { return tx.UpdateUsers(ctx, []*meibo.User{hanako2}) })
		count(5, "a change that keeps the key")
		hanako2.Email = "hanako@example.com"
		update(t, db, func(tx meibo.Tx) error { return tx.UpdateUsers(ctx, []*meibo.User{hanako2}) })
		count(5, "blank to an address")
		view(t, db, func(tx meibo.Tx) error {
			m, err := tx.UnifiedMembers(ctx, []meibo.UnifiedKey{jiro1.UnifiedKey(), meibo.MakeUnifiedKey("", "jiro", "jiro@example.com")})
			if m[jiro1.UnifiedKey()] != 2 || len(m) != 1 {
				t.Errorf("members after moves: %v", m)
			}
			return err
		})
	})
}

// TestCreateUsersIDs: every user a batch creates gets the ID of its own
// row, in batches, in several groups at once, after deletions, and (SQLite)
// when the table holds the largest possible ID and new ones are picked at
// random.
func TestCreateUsersIDs(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		db := storetest.Open(t, engine, nil)
		g1, g2 := newGroup(t, db, "G1"), newGroup(t, db, "G2")
		check := func(users []*meibo.User) {
			t.Helper()
			view(t, db, func(tx meibo.Tx) error {
				for _, u := range users {
					got, err := tx.User(ctx, u.ID)
					if err != nil {
						return fmt.Errorf("user %s/%s, ID %d: %w", u.GroupID, u.Name, u.ID, err)
					}
					if got.GroupID != u.GroupID || got.Name != u.Name {
						t.Fatalf("ID %d was given to %s/%s; it is %s/%s", u.ID, u.GroupID, u.Name, got.GroupID, got.Name)
					}
				}
				return nil
			})
		}
		batch := func(prefix string, n int) []*meibo.User {
			var users []*meibo.User
			for i := range n {
				p := g1
				if i%3 == 0 {
					p = g2
				}
				users = append(users, user(p, fmt.Sprintf("%s%04d", prefix, i), ""))
			}
			return users
		}
		first := batch("a", 1234)
		addUsers(t, db, first...)
		check(first)

		// The newest users go: their IDs are not given again (SQLite's
		// AUTOINCREMENT), and the new ones are still worked out right.
		var gone []int64
		for _, u := range first[1200:] {
			gone = append(gone, u.ID)
		}
		update(t, db, func(tx meibo.Tx) error { return tx.DeleteUsers(ctx, gone) })
		second := batch("b", 700)
		addUsers(t, db, second...)
		check(second)
		check(first[:1200])
		for _, u := range second {
			if u.ID <= slices.Max(gone) {
				t.Fatalf("user %s got id %d, the id of a deleted user (up to %d)", u.Name, u.ID, slices.Max(gone))
			}
		}
	})
}

// TestUserProfileInGroupMigration upgrades an installation where a user has
// another group's profile (written by hand: the service never gives one).
// PostgreSQL's migration 0026, which makes the user's group and profile one
// foreign key, stops naming that user and changes nothing; once the user
// has a profile of its own group, it applies, and the key refuses such a
// profile from then on. SQLite keeps its two keys and takes it.
func TestUserProfileInGroupMigration(t *testing.T) {
	const migration = "0026_user_profile_in_group.sql"
	storetest.Each(t, func(t *testing.T, engine string) {
		db := migratedBefore(t, engine, "0026")
		p := newGroup(t, db, "G1")
		o := newGroup(t, db, "G2")
		a, b := user(p, "a", ""), user(p, "b\"x", "")
		addUsers(t, db, a, b, user(o, "c", ""))
		setProfile := func(u *meibo.User, profile int64) error {
			_, err := db.WriteDB().ExecContext(ctx, `UPDATE users SET profile_id = $1 WHERE id = $2`, profile, u.ID)
			return err
		}
		if err := setProfile(b, o.ID); err != nil {
			t.Fatal(err)
		}
		profileOf := func(u *meibo.User) int64 {
			var got *meibo.User
			view(t, db, func(tx meibo.Tx) (err error) {
				got, err = tx.User(ctx, u.ID)
				return err
			})
			return got.ProfileID
		}
		if engine == "sqlite" {
			applied, err := db.Migrate(ctx)
			if err != nil || !slices.Contains(applied, migration) {
				t.Fatalf("applied %q: %v", applied, err)
			}
			if got := profileOf(b); got != o.ID {
				t.Errorf("SQLite: b's profile %d after the migration, want %d", got, o.ID)
			}
			return
		}

		applied, err := db.Migrate(ctx)
		want := `users with a profile of another group: 1, among them G1/b"x (profile ` + o.Name + ` of group G2)`
		if err == nil || !strings.Contains(err.Error(), want) || slices.Contains(applied, migration) {
			t.Fatalf("migration with a foreign profile: applied %q, error %v; want it stopped with %q", applied, err, want)
		}
		_, pending, err := db.MigrationStatus(ctx)
		if err != nil || len(pending) == 0 || pending[0] != migration {
			t.Fatalf("pending after the refusal %q (%v), want %s first", pending, err, migration)
		}
		if got := profileOf(b); got != o.ID {
			t.Errorf("b's profile %d after the refusal, want %d unchanged", got, o.ID)
		}

		if err := setProfile(b, p.ID); err != nil {
			t.Fatal(err)
		}
		if applied, err = db.Migrate(ctx); err != nil || len(applied) == 0 || applied[0] != migration {
			t.Fatalf("applied %q: %v", applied, err)
		}
		if err := setProfile(a, o.ID); err == nil || !strings.Contains(err.Error(), "users_profile_in_group") {
			t.Errorf("another group's profile after the migration: %v, want the key's refusal", err)
		}
		// The one key still stands for both: a user of a group that does not
		// exist is refused, and a group with users cannot be deleted.
		_, err = db.WriteDB().ExecContext(ctx, `UPDATE users SET group_id = 'G9' WHERE id = $1`, a.ID)
		if err == nil || !strings.Contains(err.Error(), "users_profile_in_group") {
			t.Errorf("user moved to a missing group: %v, want the key's refusal", err)
		}
		_, err = db.WriteDB().ExecContext(ctx, `DELETE FROM groups WHERE id = 'G1'`)
		if err == nil || !strings.Contains(err.Error(), "users_profile_in_group") {
			t.Errorf("group with users deleted: %v, want the key's refusal", err)
		}
		if n := countUsers(t, db, "G1"); n != 2 {
			t.Errorf("G1 has %d users, want 2", n)
		}
	})
}

// TestUserTimes reads back a user's times as each engine's driver stores
// them, and on SQLite as its driver stored them before the layout was set
// (time.Time's String form) and as text written by hand in UTC.
func TestUserTimes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		db := storetest.Open(t, engine, nil)
		p := newGroup(t, db, "G1")
		u := user(p, "a", "")
		addUsers(t, db, u)
		at := time.Date(2024, 7, 1, 21, 30, 45, 123456000, time.FixedZone("JST", 9*3600))
		stored := []any{at}
		if engine == "sqlite" {
			stored = append(stored, "2024-07-01 21:30:45.123456 +0900 JST", "2024-07-01T12:30:45.123456Z")
		}
		for _, v := range stored {
			if _, err := db.WriteDB().ExecContext(ctx, `UPDATE users SET created_at = $1, last_sign_in_at = $1 WHERE id = $2`, v, u.ID); err != nil {
				t.Fatal(err)
			}
			view(t, db, func(tx meibo.Tx) error {
				got, err := tx.User(ctx, u.ID)
				if err != nil {
					return err
				}
				if !got.CreatedAt.Equal(at) || got.CreatedAt.Location() != time.UTC || got.LastSignInAt == nil || !got.LastSignInAt.Equal(at) {
					t.Errorf("stored %v: read created %v, last sign-in %v; want %v in UTC", v, got.CreatedAt, got.LastSignInAt, at)
				}
				if got.PasswordChangedAt != nil {
					t.Errorf("stored %v: password changed %v, want none", v, got.PasswordChangedAt)
				}
				return nil
			})
		}
	})
}

// TestReplacePasswordHash: a sign-in's new hash of the same password goes
// over the hash it checked only; a password set meanwhile stays.
func TestReplacePasswordHash(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		db := storetest.Open(t, engine, nil)
		p := newGroup(t, db, "G1")
		u := user(p, "taro", "")
		u.PasswordHash = "$2b$10$old"
		update(t, db, func(tx meibo.Tx) error { return tx.CreateUsers(ctx, []*meibo.User{u}) })
		for _, c := range []struct {
			old, hash string
			want      bool
			stored    string
		}{
			{"$2b$10$other", "$argon2id$new", false, "$2b$10$old"},
			{"$2b$10$old", "$argon2id$new", true, "$argon2id$new"},
			{"$2b$10$old", "$argon2id$newer", false, "$argon2id$new"},
		} {
			update(t, db, func(tx meibo.Tx) error {
				ok, err := tx.ReplacePasswordHash(ctx, u.ID, c.old, c.hash)
				if err == nil && ok != c.want {
					t.Errorf("replace %s with %s: %v, want %v", c.old, c.hash, ok, c.want)
				}
				return err
			})
			view(t, db, func(tx meibo.Tx) error {
				got, err := tx.User(ctx, u.ID)
				if err == nil && got.PasswordHash != c.stored {
					t.Errorf("after replacing %s: %s, want %s", c.old, got.PasswordHash, c.stored)
				}
				return err
			})
		}
	})
}
