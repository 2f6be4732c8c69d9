package storetest_test

import (
	"testing"
	"time"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/store/storetest"
)

func TestProvisioningStore(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		db := storetest.Open(t, engine, nil)
		p := newGroup(t, db, "G1")
		newGroup(t, db, "G2")
		ann := &meibo.User{GroupID: "G1", Name: "ann", Email: "ann@example.org", ProfileID: p.ID}
		bob := &meibo.User{GroupID: "G1", Name: "bob", Email: "bob@example.org", ProfileID: p.ID}
		update(t, db, func(tx meibo.Tx) error { return tx.CreateUsers(ctx, []*meibo.User{ann, bob}) })

		// A rename keeps the keyword index and the licence count in step.
		update(t, db, func(tx meibo.Tx) error { return tx.RenameUser(ctx, ann.ID, "annabel") })
		wantCode(t, db.Update(ctx, func(tx meibo.Tx) error { return tx.RenameUser(ctx, ann.ID, "bob") }), meibo.CodeConflict)
		view(t, db, func(tx meibo.Tx) error {
			page, err := tx.FindUsers(ctx, meibo.UserFilter{GroupID: "G1", Keyword: "nabe"})
			if err != nil || len(page.Users) != 1 || page.Users[0].Name != "annabel" {
				t.Errorf("search after rename: %+v, %v", page, err)
			}
			if page, _ := tx.FindUsers(ctx, meibo.UserFilter{GroupID: "G1", Keyword: "ann@"}); len(page.Users) != 1 {
				t.Errorf("search by address after rename: %d users", len(page.Users))
			}
			n, _ := tx.UnifiedCount(ctx)
			members, _ := tx.UnifiedMembers(ctx, []meibo.UnifiedKey{ann.UnifiedKey(), {Name: "annabel", EmailKey: meibo.EmailKey(ann.Email)}})
			if n != 2 || members[ann.UnifiedKey()] != 0 || members[meibo.UnifiedKey{Name: "annabel", EmailKey: meibo.EmailKey(ann.Email)}] != 1 {
				t.Errorf("licence count after rename: %d, %v", n, members)
			}
			return nil
		})

		// Identities: an external ID is unique in its group.
		update(t, db, func(tx meibo.Tx) error {
			return tx.PutUserIdentity(ctx, "G1", meibo.UserIdentity{UserID: ann.ID, ExternalID: "x1", GivenName: "Ann", DisplayName: "Ann A."})
		})
		e := wantCode(t, db.Update(ctx, func(tx meibo.Tx) error {
			return tx.PutUserIdentity(ctx, "G1", meibo.UserIdentity{UserID: bob.ID, ExternalID: "x1"})
		}), meibo.CodeConflict)
		if e != nil && e.Fields["externalId"].Key == "" {
			t.Errorf("conflict names no field: %+v", e)
		}
		view(t, db, func(tx meibo.Tx) error {
			id, err := tx.UserIDByExternalID(ctx, "G1", "x1")
			if err != nil || id != ann.ID {
				t.Errorf("by external ID: %d, %v", id, err)
			}
			_, err = tx.UserIDByExternalID(ctx, "G2", "x1")
			wantCode(t, err, meibo.CodeNotFound)
			ids, err := tx.UserIdentities(ctx, []int64{ann.ID, bob.ID})
			if err != nil || len(ids) != 1 || ids[ann.ID].DisplayName != "Ann A." {
				t.Errorf("identities: %+v, %v", ids, err)
			}
			return nil
		})
		update(t, db, func(tx meibo.Tx) error { return tx.PutUserIdentity(ctx, "G1", meibo.UserIdentity{UserID: ann.ID}) })
		view(t, db, func(tx meibo.Tx) error {
			ids, _ := tx.UserIdentities(ctx, []int64{ann.ID})
			if len(ids) != 0 {
				t.Errorf("a zero identity is removed: %+v", ids)
			}
			return nil
		})

		// SCIM tokens: by hash, per group, touched, deleted.
		k := &meibo.SCIMToken{Hash: meibo.HashToken("s1"), GroupID: "G1", Name: "entra", CreatedBy: "cli", ExpiresAt: time.Now().Add(time.Hour)}
		update(t, db, func(tx meibo.Tx) error { return tx.CreateSCIMToken(ctx, k) })
		wantCode(t, db.Update(ctx, func(tx meibo.Tx) error {
			return tx.CreateSCIMToken(ctx, &meibo.SCIMToken{Hash: "h", GroupID: "NOPE", Name: "x", CreatedBy: "cli", ExpiresAt: time.Now()})
		}), meibo.CodeNotFound)
		at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
		update(t, db, func(tx meibo.Tx) error { return tx.TouchSCIMToken(ctx, k.ID, at) })
		view(t, db, func(tx meibo.Tx) error {
			got, err := tx.SCIMToken(ctx, k.Hash)
			if err != nil || got.GroupID != "G1" || got.LastUsedAt == nil || !got.LastUsedAt.Equal(at) || got.AdminID != nil {
				t.Errorf("token: %+v, %v", got, err)
			}
			ks, _ := tx.SCIMTokens(ctx, "G2")
			if len(ks) != 0 {
				t.Errorf("G2's tokens: %+v", ks)
			}
			return nil
		})
		update(t, db, func(tx meibo.Tx) error { return tx.DeleteSCIMToken(ctx, k.ID) })
		view(t, db, func(tx meibo.Tx) error {
			_, err := tx.SCIMToken(ctx, k.Hash)
			wantCode(t, err, meibo.CodeNotFound)
			return nil
		})

		// Personal tokens: a user's own, revoked by handle, ended together;
		// an administrator's token is not one.
		p1 := &meibo.PersonalToken{Hash: meibo.HashToken("p1"), UserID: bob.ID, Name: "phone", ExpiresAt: time.Now().Add(time.Hour)}
		p2 := &meibo.PersonalToken{Hash: meibo.HashToken("p2"), UserID: bob.ID, Name: "laptop", ExpiresAt: time.Now().Add(time.Hour)}
		update(t, db, func(tx meibo.Tx) error {
			if err := tx.CreatePersonalToken(ctx, p1); err != nil {
				return err
			}
			return tx.CreatePersonalToken(ctx, p2)
		})
		view(t, db, func(tx meibo.Tx) error {
			ks, err := tx.PersonalTokens(ctx, bob.ID)
			if err != nil || len(ks) != 2 {
				t.Errorf("personal tokens: %+v, %v", ks, err)
			}
			_, err = tx.APIToken(ctx, p1.Hash)
			wantCode(t, err, meibo.CodeNotFound)
			return nil
		})
		update(t, db, func(tx meibo.Tx) error {
			if ok, err := tx.DeletePersonalToken(ctx, ann.ID, p1.ID); ok || err != nil {
				t.Errorf("another user's token deleted: %v %v", ok, err)
			}
			if ok, err := tx.DeletePersonalToken(ctx, bob.ID, p1.ID); !ok || err != nil {
				t.Errorf("own token: %v %v", ok, err)
			}
			n, err := tx.DeletePersonalTokensOf(ctx, []int64{bob.ID})
			if n != 1 || err != nil {
				t.Errorf("ended: %d %v", n, err)
			}
			return nil
		})
	})
}
