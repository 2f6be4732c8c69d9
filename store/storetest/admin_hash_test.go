package storetest_test

import (
	"testing"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/store/storetest"
)

// TestReplaceSameHash: a user's hash replaced by itself reports whether it
// still is the one given (a sign-in's check of the hash it verified).
func TestReplaceSameHash(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		db := storetest.Open(t, engine, nil)
		p := newGroup(t, db, "G1")
		u := user(p, "taro", "")
		u.PasswordHash = "$argon2id$cur"
		update(t, db, func(tx meibo.Tx) error { return tx.CreateUsers(ctx, []*meibo.User{u}) })
		for _, c := range []struct {
			hash string
			want bool
		}{{"$argon2id$cur", true}, {"$argon2id$other", false}} {
			update(t, db, func(tx meibo.Tx) error {
				ok, err := tx.ReplacePasswordHash(ctx, u.ID, c.hash, c.hash)
				if err == nil && ok != c.want {
					t.Errorf("replace %s with itself: %v, want %v", c.hash, ok, c.want)
				}
				return err
			})
		}
	})
}

// TestReplaceAdminPasswordHash: a sign-in's new hash of an administrator's
// password goes over the hash it checked only; a password set meanwhile
// stays, and so does every other administrator's hash.
func TestReplaceAdminPasswordHash(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		db := storetest.Open(t, engine, nil)
		ad := &meibo.Admin{LoginID: "moved", GUID: meibo.NewGUID(), PasswordHash: "$2b$10$old"}
		other := &meibo.Admin{LoginID: "other", GUID: meibo.NewGUID(), PasswordHash: "$2b$10$old"}
		update(t, db, func(tx meibo.Tx) error {
			if err := tx.CreateAdmin(ctx, ad); err != nil {
				return err
			}
			return tx.CreateAdmin(ctx, other)
		})
		for _, c := range []struct {
			old, hash string
			want      bool
			stored    string
		}{
			{"$2b$10$other", "$argon2id$new", false, "$2b$10$old"},
			{"$2b$10$old", "$argon2id$new", true, "$argon2id$new"},
			{"$2b$10$old", "$argon2id$newer", false, "$argon2id$new"},
			// Over itself: only a check (that a sign-in makes).
			{"$argon2id$new", "$argon2id$new", true, "$argon2id$new"},
			{"$2b$10$old", "$2b$10$old", false, "$argon2id$new"},
		} {
			update(t, db, func(tx meibo.Tx) error {
				ok, err := tx.ReplaceAdminPasswordHash(ctx, ad.ID, c.old, c.hash)
				if err == nil && ok != c.want {
					t.Errorf("replace %s with %s: %v, want %v", c.old, c.hash, ok, c.want)
				}
				return err
			})
			view(t, db, func(tx meibo.Tx) error {
				got, err := tx.Admin(ctx, ad.ID)
				if err == nil && got.PasswordHash != c.stored {
					t.Errorf("after replacing %s: %s, want %s", c.old, got.PasswordHash, c.stored)
				}
				return err
			})
		}
		view(t, db, func(tx meibo.Tx) error {
			got, err := tx.Admin(ctx, other.ID)
			if err == nil && got.PasswordHash != "$2b$10$old" {
				t.Errorf("another administrator's hash: %s", got.PasswordHash)
			}
			return err
		})
	})
}
