package service_test

import (
	"testing"
	"time"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/service"
	"github.com/meibo/meibo/store/storetest"
)

// TestDepartmentScope: a department administrator manages the users and
// profiles of their groups only; another group, or its user or profile by ID,
// is answered exactly as if it did not exist.
func TestDepartmentScope(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		e.group("G1")
		e.group("G2")
		e.group("G3")
		mine := e.user("G1", "taro", "taro@example.com")
		theirs := e.user("G2", "jiro", "jiro@example.com")
		theirProfile := must(e.svc.CreateProfile(e.sys, "G2", meibo.Profile{Name: "kiosk"}))(t)
		myProfile := must(e.svc.CreateProfile(e.sys, "G1", meibo.Profile{Name: "kiosk"}))(t)
		pw := "department pass phrase"
		dep := e.admin("dep", pw, meibo.NewAuthorities(meibo.AuthConsole, meibo.AuthDepartment, meibo.AuthLogViewer, meibo.AuthLogConfig), "g1", "G3")
		act := e.actor(dep, pw)
		if act.Authorities != dep.Authorities || len(act.Groups) != 2 || act.Groups[0] != "G1" {
			t.Fatalf("actor %+v", act)
		}
		ctx := as(act)

		groups := must(e.svc.Groups(ctx))(t)
		if len(groups) != 2 || groups[0].ID != "G1" || groups[1].ID != "G3" {
			t.Errorf("Groups = %v", groups)
		}
		// In scope: everything works, whatever the case of the group ID.
		must(e.svc.Group(ctx, "g1"))(t)
		u := must(e.svc.CreateUser(ctx, "g1", service.UserInput{Name: "saburo"}))(t)
		must(e.svc.User(ctx, mine.ID))(t)
		must(e.svc.UserByName(ctx, "G1", "taro"))(t)
		must(e.svc.UpdateUser(ctx, mine.ID, meibo.UserUpdate{Admin: ptr(true)}))(t)
		must(e.svc.DuplicateUser(ctx, mine.ID, service.UserInput{Name: "shiro"}))(t)
		noErr(t, e.svc.DeleteUser(ctx, u.ID))
		if page := must(e.svc.FindUsers(ctx, meibo.UserFilter{GroupID: "G1"}))(t); len(page.Users) != 2 {
			t.Errorf("FindUsers in scope: %d users", len(page.Users))
		}
		must(e.svc.Profiles(ctx, "G1"))(t)
		must(e.svc.UpdateProfile(ctx, myProfile.ID, service.ProfileUpdate{APIAccess: ptr(true)}))(t)
		must(e.svc.UpdateGroup(ctx, "G1", "第一"))(t)
		p := must(e.svc.CreateProfile(ctx, "G3", meibo.Profile{Name: "p"}))(t)
		noErr(t, e.svc.DeleteProfile(ctx, p.ID))

		// Out of scope: not found, the same answer as for what does not
		// exist.
		notFound := func(what string, err error, twin error) {
			t.Helper()
			got := wantCode(t, err, meibo.CodeNotFound)
			if twin != nil {
				if want := wantCode(t, twin, meibo.CodeNotFound); got.Msg.Key != want.Msg.Key {
					t.Errorf("%s: %q, but for what does not exist: %q", what, got.Msg.Key, want.Msg.Key)
				}
			}
		}
		_, err := e.svc.Group(ctx, "G2")
		_, twin := e.svc.Group(ctx, "G404")
		notFound("Group", err, twin)
		_, err = e.svc.FindUsers(ctx, meibo.UserFilter{GroupID: "G2"})
		_, twin = e.svc.FindUsers(ctx, meibo.UserFilter{GroupID: "G404"})
		notFound("FindUsers", err, twin)
		_, err = e.svc.CreateUser(ctx, "G2", service.UserInput{Name: "x"})
		notFound("CreateUser", err, nil)
		_, err = e.svc.User(ctx, theirs.ID)
		_, twin = e.svc.User(ctx, 1<<40)
		notFound("User", err, twin)
		if err.Error() != twin.Error() {
			t.Errorf("another group's user %q, a missing one %q", err, twin)
		}
		_, err = e.svc.UserByName(ctx, "G2", "jiro")
		notFound("UserByName", err, nil)
		_, err = e.svc.UpdateUser(ctx, theirs.ID, meibo.UserUpdate{Admin: ptr(true)})
		notFound("UpdateUser", err, nil)
		notFound("DeleteUser", e.svc.DeleteUser(ctx, theirs.ID), nil)
		_, err = e.svc.DuplicateUser(ctx, theirs.ID, service.UserInput{Name: "copy"})
		notFound("DuplicateUser", err, nil)
		_, err = e.svc.Profiles(ctx, "G2")
		notFound("Profiles", err, nil)
		_, err = e.svc.CreateProfile(ctx, "G2", meibo.Profile{Name: "x"})
		notFound("CreateProfile", err, nil)
		_, err = e.svc.UpdateProfile(ctx, theirProfile.ID, service.ProfileUpdate{APIAccess: ptr(true)})
		_, twin = e.svc.UpdateProfile(ctx, 1<<40, service.ProfileUpdate{APIAccess: ptr(true)})
		notFound("UpdateProfile", err, twin)
		notFound("DeleteProfile", e.svc.DeleteProfile(ctx, theirProfile.ID), nil)
		_, err = e.svc.UpdateGroup(ctx, "G2", "x")
		notFound("UpdateGroup", err, nil)

		// Never: groups, administrators, settings.
		// The refusal says what the rule is (they hold "Department
		// administrator" already).
		_, err = e.svc.CreateGroup(ctx, meibo.Group{ID: "G4"})
		if k := wantCode(t, err, meibo.CodeForbidden).Msg.Key; k != "forbidden.department" {
			t.Errorf("create a group: %v", err)
		}
		if k := wantCode(t, e.svc.DeleteGroup(ctx, "G3"), meibo.CodeForbidden).Msg.Key; k != "forbidden.department" {
			t.Errorf("delete a group: %v", k)
		}
		_, err = e.svc.CreateAdmin(ctx, service.AdminInput{LoginID: "x"})
		wantCode(t, err, meibo.CodeForbidden)
		_, err = e.svc.Admins(ctx)
		wantCode(t, err, meibo.CodeForbidden)
		_, err = e.svc.UpdateAdmin(ctx, dep.ID, meibo.AdminUpdate{Groups: &[]string{"G1", "G2"}})
		wantCode(t, err, meibo.CodeForbidden)
		_, _, err = e.svc.CreateToken(ctx, "dep", "t", time.Hour)
		wantCode(t, err, meibo.CodeForbidden)
		_, err = e.svc.UpdateSettings(ctx, map[string]string{meibo.SettingLicenceLimit: "0"})
		wantCode(t, err, meibo.CodeForbidden)

		// Nothing of the other group changed.
		if got := must(e.svc.User(e.sys, theirs.ID))(t); got.Admin || got.Name != "jiro" {
			t.Errorf("the other group's user changed: %+v", got)
		}
		if got := must(e.svc.Group(e.sys, "G2"))(t); got.Name != "G2" {
			t.Errorf("the other group changed: %+v", got)
		}

		// Their log shows their groups only.
		for _, ev := range must(e.svc.AuditEvents(ctx, meibo.AuditFilter{Limit: 1000}))(t) {
			if ev.GroupID != "G1" && ev.GroupID != "G3" {
				t.Errorf("department log shows %s in %q", ev.Action, ev.GroupID)
			}
		}
	})
}

// TestDevicesOnly: 34 restricts an administrator to device functions: no
// user, profile or group management, even with 6 and in scope.
func TestDevicesOnly(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		e.group("G1")
		u := e.user("G1", "taro", "")
		ctx := as(&meibo.Actor{Kind: meibo.ActorAdmin, ID: 5, Name: "dev",
			Authorities: meibo.NewAuthorities(meibo.AuthConsole, meibo.AuthDepartment, meibo.AuthDevices, meibo.AuthDevicesOnly), Groups: []string{"G1"}})
		_, err := e.svc.CreateUser(ctx, "G1", service.UserInput{Name: "x"})
		wantCode(t, err, meibo.CodeForbidden)
		_, err = e.svc.User(ctx, u.ID)
		wantCode(t, err, meibo.CodeForbidden)
		_, err = e.svc.FindUsers(ctx, meibo.UserFilter{GroupID: "G1"})
		wantCode(t, err, meibo.CodeForbidden)
		wantCode(t, e.svc.DeleteUser(ctx, u.ID), meibo.CodeForbidden)
		_, err = e.svc.CreateProfile(ctx, "G1", meibo.Profile{Name: "x"})
		wantCode(t, err, meibo.CodeForbidden)
		_, err = e.svc.UpdateGroup(ctx, "G1", "x")
		wantCode(t, err, meibo.CodeForbidden)
		// It still sees its groups (to choose devices there).
		if gs := must(e.svc.Groups(ctx))(t); len(gs) != 1 {
			t.Errorf("groups %v", gs)
		}
	})
}
