package storetest_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/store/storetest"
)

func TestAdmins(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		db := storetest.Open(t, engine, nil)
		for _, g := range []string{"a1", "B2", "C3"} {
			newGroup(t, db, g)
		}
		changed := time.Date(2024, 3, 3, 3, 3, 3, 0, time.UTC)
		auth := meibo.NewAuthorities(meibo.AuthConsole, meibo.AuthDepartment, meibo.AuthDevices, meibo.AuthDevicesOnly, meibo.AuthEmergency, meibo.AuthLogViewer, meibo.AuthLogEmergency)
		dep := &meibo.Admin{LoginID: "dep.admin@example.com", GUID: meibo.NewGUID(), Name: "部門 管理者", Email: "dep@example.com",
			Notes: "備考", PasswordHash: "$argon2id$x", Authorities: auth, Groups: []string{"a1", "C3", "B2"}, PasswordChangedAt: &changed}
		root := &meibo.Admin{LoginID: "Root", GUID: meibo.NewGUID(), Authorities: meibo.EveryAuthority, Builtin: true}
		var now time.Time
		update(t, db, func(tx meibo.Tx) error {
			now = tx.Now()
			if err := tx.CreateAdmin(ctx, dep); err != nil {
				return err
			}
			return tx.CreateAdmin(ctx, root)
		})
		if dep.ID == 0 || root.ID == 0 || dep.ID == root.ID || !dep.CreatedAt.Equal(now) {
			t.Fatalf("created %+v %+v", dep, root)
		}
		wantCode(t, db.Update(ctx, func(tx meibo.Tx) error {
			return tx.CreateAdmin(ctx, &meibo.Admin{LoginID: "Root", GUID: meibo.NewGUID()})
		}), meibo.CodeConflict)
		wantCode(t, db.Update(ctx, func(tx meibo.Tx) error {
			return tx.CreateAdmin(ctx, &meibo.Admin{LoginID: "x", GUID: meibo.NewGUID(), Groups: []string{"nope"}})
		}), meibo.CodeInvalid)

		view(t, db, func(tx meibo.Tx) error {
			a, err := tx.Admin(ctx, dep.ID)
			if err != nil {
				return err
			}
			if a.LoginID != dep.LoginID || a.GUID != dep.GUID || a.Name != dep.Name || a.Email != dep.Email || a.Notes != "備考" ||
				a.PasswordHash != "$argon2id$x" || a.Authorities != auth || a.Builtin || a.Disabled ||
				a.PasswordChangedAt == nil || !a.PasswordChangedAt.Equal(changed) || a.LastSignInAt != nil || !a.UpdatedAt.Equal(now) {
				t.Errorf("Admin = %+v", a)
			}
			// Department groups in byte order, whatever the server's collation.
			if fmt.Sprint(a.Groups) != "[B2 C3 a1]" {
				t.Errorf("groups %v", a.Groups)
			}
			b, err := tx.AdminByLoginID(ctx, "Root")
			if err != nil || b.ID != root.ID || !b.Builtin || b.Authorities != meibo.EveryAuthority || b.Groups == nil || len(b.Groups) != 0 {
				t.Errorf("AdminByLoginID = %+v, %v", b, err)
			}
			_, err = tx.AdminByLoginID(ctx, "root")
			wantCode(t, err, meibo.CodeNotFound)
			_, err = tx.Admin(ctx, 999999)
			wantCode(t, err, meibo.CodeNotFound)
			all, err := tx.Admins(ctx)
			if err != nil {
				return err
			}
			if len(all) != 2 || all[0].LoginID != "Root" || all[1].LoginID != dep.LoginID || fmt.Sprint(all[1].Groups) != "[B2 C3 a1]" {
				t.Errorf("Admins = %v %v", all[0], all[1])
			}
			return nil
		})

		dep.Name, dep.Email, dep.Notes, dep.PasswordHash = "New", "new@example.com", "", ""
		dep.Authorities, dep.Groups, dep.Disabled, dep.PasswordChangedAt = meibo.NewAuthorities(meibo.AuthLogViewer), []string{"C3"}, true, nil
		dep.LoginID, dep.GUID = "changed", "changed"
		update(t, db, func(tx meibo.Tx) error { return tx.UpdateAdmin(ctx, dep) })
		at := time.Date(2024, 8, 1, 0, 0, 0, 0, time.UTC)
		update(t, db, func(tx meibo.Tx) error { return tx.SetAdminSignIn(ctx, dep.ID, at) })
		view(t, db, func(tx meibo.Tx) error {
			a, err := tx.Admin(ctx, dep.ID)
			if err != nil {
				return err
			}
			if a.LoginID != "dep.admin@example.com" || a.GUID == "changed" || a.Name != "New" || a.Email != "new@example.com" ||
				a.PasswordHash != "" || a.Authorities != dep.Authorities || !a.Disabled || a.PasswordChangedAt != nil ||
				fmt.Sprint(a.Groups) != "[C3]" || a.LastSignInAt == nil || !a.LastSignInAt.Equal(at) {
				t.Errorf("updated admin %+v", a)
			}
			return nil
		})
		wantCode(t, db.Update(ctx, func(tx meibo.Tx) error {
			return tx.UpdateAdmin(ctx, &meibo.Admin{ID: 999999, LoginID: "ghost"})
		}), meibo.CodeNotFound)
		dep.Groups = []string{"C3", "Z9"}
		wantCode(t, db.Update(ctx, func(tx meibo.Tx) error { return tx.UpdateAdmin(ctx, dep) }), meibo.CodeInvalid)

		// Deleting a group takes it out of the department lists.
		update(t, db, func(tx meibo.Tx) error { return tx.DeleteGroup(ctx, "C3") })
		view(t, db, func(tx meibo.Tx) error {
			a, err := tx.Admin(ctx, dep.ID)
			if err == nil && len(a.Groups) != 0 {
				t.Errorf("groups after the group's deletion: %v", a.Groups)
			}
			return err
		})

		update(t, db, func(tx meibo.Tx) error { return tx.DeleteAdmin(ctx, dep.ID) })
		wantCode(t, db.Update(ctx, func(tx meibo.Tx) error { return tx.DeleteAdmin(ctx, dep.ID) }), meibo.CodeNotFound)
		view(t, db, func(tx meibo.Tx) error {
			_, err := tx.Admin(ctx, dep.ID)
			wantCode(t, err, meibo.CodeNotFound)
			return nil
		})
	})
}

func TestAPITokens(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		db := storetest.Open(t, engine, nil)
		a := &meibo.Admin{LoginID: "ops", GUID: meibo.NewGUID()}
		b := &meibo.Admin{LoginID: "dev", GUID: meibo.NewGUID()}
		update(t, db, func(tx meibo.Tx) error {
			if err := tx.CreateAdmin(ctx, a); err != nil {
				return err
			}
			return tx.CreateAdmin(ctx, b)
		})
		exp := time.Date(2030, 1, 1, 0, 0, 0, 0, time.FixedZone("JST", 9*3600))
		var hashes []string
		var now time.Time
		update(t, db, func(tx meibo.Tx) error {
			now = tx.Now()
			for i, owner := range []int64{a.ID, a.ID, b.ID} {
				_, h := meibo.NewToken("mbo_")
				hashes = append(hashes, h)
				if err := tx.CreateAPIToken(ctx, &meibo.APIToken{Hash: h, AdminID: owner, Name: fmt.Sprint("t", i), ExpiresAt: exp}); err != nil {
					return err
				}
			}
			return nil
		})
		wantCode(t, db.Update(ctx, func(tx meibo.Tx) error {
			return tx.CreateAPIToken(ctx, &meibo.APIToken{Hash: hashes[0], AdminID: a.ID, ExpiresAt: exp})
		}), meibo.CodeConflict)
		view(t, db, func(tx meibo.Tx) error {
			k, err := tx.APIToken(ctx, hashes[0])
			if err != nil {
				return err
			}
			if k.Hash != hashes[0] || k.AdminID != a.ID || k.Name != "t0" || !k.ExpiresAt.Equal(exp) || k.ExpiresAt.Location() != time.UTC ||
				!k.CreatedAt.Equal(now) || k.LastUsedAt != nil {
				t.Errorf("APIToken = %+v", k)
			}
			_, err = tx.APIToken(ctx, meibo.HashToken("mbo_unknown"))
			wantCode(t, err, meibo.CodeNotFound)
			return nil
		})
		used := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
		update(t, db, func(tx meibo.Tx) error { return tx.TouchAPIToken(ctx, hashes[1], used) })
		update(t, db, func(tx meibo.Tx) error { return tx.DeleteAPIToken(ctx, hashes[0]) })
		view(t, db, func(tx meibo.Tx) error {
			k, err := tx.APIToken(ctx, hashes[1])
			if err != nil || k.LastUsedAt == nil || !k.LastUsedAt.Equal(used) {
				t.Errorf("touched token %+v, %v", k, err)
			}
			_, err = tx.APIToken(ctx, hashes[0])
			wantCode(t, err, meibo.CodeNotFound)
			return nil
		})
		update(t, db, func(tx meibo.Tx) error { return tx.DeleteAdminAPITokens(ctx, a.ID) })
		view(t, db, func(tx meibo.Tx) error {
			_, err := tx.APIToken(ctx, hashes[1])
			wantCode(t, err, meibo.CodeNotFound)
			_, err = tx.APIToken(ctx, hashes[2])
			return err
		})
		// Deleting the administrator takes their tokens.
		update(t, db, func(tx meibo.Tx) error { return tx.DeleteAdmin(ctx, b.ID) })
		view(t, db, func(tx meibo.Tx) error {
			_, err := tx.APIToken(ctx, hashes[2])
			wantCode(t, err, meibo.CodeNotFound)
			return nil
		})
	})
}
