package service_test

import (
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/service"
	"github.com/meibo/meibo/store/storetest"
)

// TestAuditTrail: every change and sign-in leaves an event with the actor's
// name, and the events outlive the users and administrators they are about.
func TestAuditTrail(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		e.bootstrap()
		tok, _ := must2(e.svc.Login(bg, "admin", "root pass phrase", "192.0.2.10"))(t)
		rootActor := must(e.svc.Authenticate(bg, tok, "192.0.2.10"))(t)
		ctx := as(rootActor)
		e.svc.Login(bg, "admin", "wrong pass phrase", "192.0.2.11") //nolint:errcheck // audited failure
		for range 5 {
			e.svc.Login(bg, "ghost", "x", "192.0.2.12") //nolint:errcheck // audited failures, then throttled
		}
		e.svc.Login(bg, "ghost", "x", "192.0.2.12") //nolint:errcheck // throttled

		must(e.svc.CreateGroup(ctx, meibo.Group{ID: "G1"}))(t)
		must(e.svc.UpdateGroup(ctx, "G1", "one"))(t)
		p := must(e.svc.CreateProfile(ctx, "G1", meibo.Profile{Name: "p"}))(t)
		must(e.svc.UpdateProfile(ctx, p.ID, service.ProfileUpdate{APIAccess: ptr(true)}))(t)
		noErr(t, e.svc.DeleteProfile(ctx, p.ID))
		u := must(e.svc.CreateUser(ctx, "G1", service.UserInput{Name: "taro"}))(t)
		changed := must(e.svc.UpdateUser(ctx, u.ID, meibo.UserUpdate{Admin: ptr(true)}))(t)
		// An update that changes nothing (an empty PATCH, the values the
		// user has) is no change: no event, the same updatedAt.
		for _, up := range []meibo.UserUpdate{{}, {Admin: ptr(true), Email: ptr("")}} {
			if same := must(e.svc.UpdateUser(ctx, u.ID, up))(t); !same.UpdatedAt.Equal(changed.UpdatedAt) {
				t.Errorf("an update that changes nothing moved updatedAt: %v → %v", changed.UpdatedAt, same.UpdatedAt)
			}
		}
		d := must(e.svc.DuplicateUser(ctx, u.ID, service.UserInput{Name: "jiro"}))(t)
		noErr(t, e.svc.DeleteUser(ctx, d.ID))
		noErr(t, e.svc.DeleteUser(ctx, u.ID))
		ops := must(e.svc.CreateAdmin(ctx, service.AdminInput{LoginID: "ops", Password: "ops pass phrase x", Authorities: meibo.NewAuthorities(meibo.AuthConsole)}))(t)
		must(e.svc.UpdateAdmin(ctx, ops.ID, meibo.AdminUpdate{Notes: ptr("n")}))(t)
		opsCtx := as(e.actor(ops, "ops pass phrase x"))
		must(e.svc.CreateGroup(opsCtx, meibo.Group{ID: "G2"}))(t)
		noErr(t, e.svc.ChangeOwnPassword(opsCtx, "ops pass phrase x", "ops new phrase y"))
		_, _, err := e.svc.CreateToken(ctx, "ops", "script", time.Hour)
		noErr(t, err)
		noErr(t, e.svc.DeleteAdmin(ctx, ops.ID))
		noErr(t, e.svc.DeleteGroup(ctx, "G2"))
		must(e.svc.UpdateSettings(ctx, map[string]string{meibo.SettingLicenceLimit: "9"}))(t)
		noErr(t, e.svc.Logout(ctx, tok))

		byAction := map[string][]*meibo.AuditEvent{}
		for _, ev := range e.events() {
			byAction[ev.Action] = append(byAction[ev.Action], ev)
		}
		for _, c := range []struct {
			action, actor, object string
			n                     int
		}{
			{"install", "meibo", "admin", 1},
			{"admin.signin", "admin", "admin", 1},
			{"admin.signin.failed", "admin", "admin", 1},
			{"admin.signin.failed", "ghost", "ghost", 5},
			{"admin.signin.throttled", "ghost", "ghost", 1},
			{"group.create", "admin", "G1", 1},
			{"group.update", "admin", "G1", 1},
			{"profile.create", "admin", "", 1},
			{"profile.update", "admin", "", 1},
			{"profile.delete", "admin", "", 1},
			{"user.create", "admin", "taro", 1},
			{"user.create", "admin", "jiro", 1},
			{"user.update", "admin", "taro", 1},
			{"user.delete", "admin", "jiro", 1},
			{"user.delete", "admin", "taro", 1},
			{"admin.create", "admin", "ops", 1},
			{"admin.update", "admin", "ops", 1},
			{"admin.signin", "ops", "ops", 1},
			{"group.create", "ops", "G2", 1},
			{"admin.password", "ops", "ops", 1},
			{"token.create", "admin", "ops", 1},
			{"admin.delete", "admin", "ops", 1},
			{"group.delete", "admin", "G2", 1},
			{"settings.update", "admin", "", 1},
			{"admin.signout", "admin", "admin", 1},
		} {
			n := 0
			for _, ev := range byAction[c.action] {
				if ev.ActorName == c.actor && (c.object == "" || ev.ObjectID == c.object) {
					n++
					if ev.ActorKind == "" || ev.At.IsZero() || ev.Category == "" {
						t.Errorf("%s: incomplete event %+v", c.action, ev)
					}
				}
			}
			if n != c.n {
				t.Errorf("%d %s events by %s about %q, want %d", n, c.action, c.actor, c.object, c.n)
			}
		}
		if ev := byAction["admin.signin"]; len(ev) > 0 && ev[len(ev)-1].Addr != "192.0.2.10" {
			t.Errorf("sign-in address %q", ev[len(ev)-1].Addr)
		}
	})
}

// TestAuditVisibility: the Log Viewer sees user, sign-in and device events;
// configuration changes need 23; a department administrator sees only the
// events of their groups.
func TestAuditVisibility(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		e.group("G1")
		e.group("G2")
		e.user("G1", "taro", "")
		e.user("G2", "jiro", "")
		e.admin("ops", "", meibo.NewAuthorities(meibo.AuthConsole))
		must(e.svc.UpdateSettings(e.sys, map[string]string{meibo.SettingLicenceLimit: "5"}))(t)
		e.svc.Login(bg, "ops", "x", "192.0.2.1") //nolint:errcheck // a sign-in event

		read := func(a *meibo.Actor, f meibo.AuditFilter) []string {
			t.Helper()
			f.Limit = 1000
			evs := must(e.svc.AuditEvents(as(a), f))(t)
			var out []string
			for _, ev := range evs {
				out = append(out, ev.Action+"@"+ev.GroupID)
			}
			sort.Strings(out)
			return out
		}
		admin := func(groups []string, auths ...meibo.Authority) *meibo.Actor {
			return &meibo.Actor{Kind: meibo.ActorAdmin, ID: 99, Name: "reader", Authorities: meibo.NewAuthorities(auths...), Groups: groups}
		}
		viewer := admin(nil, meibo.AuthLogViewer)
		if got, want := read(viewer, meibo.AuditFilter{}), []string{"admin.signin.failed@", "user.create@G1", "user.create@G2"}; !slices.Equal(got, want) {
			t.Errorf("Log Viewer sees %v, want %v", got, want)
		}
		config := admin(nil, meibo.AuthLogViewer, meibo.AuthLogConfig)
		want := []string{"admin.create@", "admin.signin.failed@", "group.create@G1", "group.create@G2", "settings.update@", "user.create@G1", "user.create@G2"}
		if got := read(config, meibo.AuditFilter{}); !slices.Equal(got, want) {
			t.Errorf("with 23 sees %v, want %v", got, want)
		}
		if got := read(viewer, meibo.AuditFilter{Categories: []string{meibo.CategoryConfig}}); len(got) != 0 {
			t.Errorf("Log Viewer asking for config events sees %v", got)
		}
		if got := read(config, meibo.AuditFilter{Categories: []string{meibo.CategoryConfig}, Actor: "cli"}); len(got) != 4 {
			t.Errorf("filtered config events %v", got)
		}
		dep := admin([]string{"G1"}, meibo.AuthLogViewer, meibo.AuthLogConfig, meibo.AuthConsole, meibo.AuthDepartment)
		if got, want := read(dep, meibo.AuditFilter{}), []string{"group.create@G1", "user.create@G1"}; !slices.Equal(got, want) {
			t.Errorf("department administrator sees %v, want %v", got, want)
		}
		for _, ev := range read(dep, meibo.AuditFilter{GroupIDs: []string{"G2"}}) {
			if !strings.HasSuffix(ev, "@G1") {
				t.Errorf("department administrator asking for G2 sees %s", ev)
			}
		}
		_, err := e.svc.AuditEvents(as(admin(nil, meibo.AuthConsole)), meibo.AuditFilter{})
		wantCode(t, err, meibo.CodeForbidden)
	})
}
