package service_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/service"
	"github.com/meibo/meibo/store/storetest"
)

// gateRoles are the administrators of the authority matrix.
var gateRoles = []struct {
	name   string
	auth   meibo.Authorities
	groups []string
}{
	{"noViewing", meibo.NewAuthorities(meibo.AuthNoViewing), nil},
	{"logViewer", meibo.NewAuthorities(meibo.AuthLogViewer, meibo.AuthLogConfig), nil},
	{"console", meibo.NewAuthorities(meibo.AuthConsole), nil},
	{"department", meibo.NewAuthorities(meibo.AuthConsole, meibo.AuthDepartment, meibo.AuthGroupSettings), []string{"G1"}},
	{"devicesOnly", meibo.NewAuthorities(meibo.AuthConsole, meibo.AuthDepartment, meibo.AuthDevices, meibo.AuthDevicesOnly), []string{"G1"}},
	{"backup", meibo.NewAuthorities(meibo.AuthBackup), nil},
	{"every", meibo.EveryAuthority, nil},
}

// Who may do what, by role name.
var (
	mayManageUsers = []string{"console", "department", "every"}
	mayAddGroups   = []string{"console", "every"}
	mayViewGroups  = []string{"console", "department", "devicesOnly", "every"}
	mayManageAdmin = []string{"console", "every"} // 6 without 8, 34 or 4
	mayReadLog     = []string{"logViewer", "every"}
	mayViewLicence = []string{"console", "department", "every"}
	mayReadConfig  = []string{"logViewer", "console", "department", "devicesOnly", "backup", "every"}
	everyAdmin     = []string{"noViewing", "logViewer", "console", "department", "devicesOnly", "backup", "every"}
)

type gateOp struct {
	name    string
	allowed []string
	run     func(e *env, ctx context.Context, self *meibo.Admin) error
}

// gateOps are the service's functions, each with what it needs set up by the
// system first, so that an allowed call succeeds.
var gateOps = []gateOp{
	{"CreateGroup", mayAddGroups, func(e *env, ctx context.Context, _ *meibo.Admin) error {
		_, err := e.svc.CreateGroup(ctx, meibo.Group{ID: e.name("NG")})
		return err
	}},
	{"DeleteGroup", mayAddGroups, func(e *env, ctx context.Context, _ *meibo.Admin) error {
		return e.svc.DeleteGroup(ctx, e.group(e.name("DG")).ID)
	}},
	{"Groups", mayViewGroups, func(e *env, ctx context.Context, _ *meibo.Admin) error {
		_, err := e.svc.Groups(ctx)
		return err
	}},
	{"Group", mayViewGroups, func(e *env, ctx context.Context, _ *meibo.Admin) error {
		_, err := e.svc.Group(ctx, "g1")
		return err
	}},
	{"UpdateGroup", mayManageUsers, func(e *env, ctx context.Context, _ *meibo.Admin) error {
		_, err := e.svc.UpdateGroup(ctx, "G1", e.name("name"))
		return err
	}},
	{"Profiles", mayViewGroups, func(e *env, ctx context.Context, _ *meibo.Admin) error {
		_, err := e.svc.Profiles(ctx, "G1")
		return err
	}},
	{"CreateProfile", mayManageUsers, func(e *env, ctx context.Context, _ *meibo.Admin) error {
		_, err := e.svc.CreateProfile(ctx, "G1", meibo.Profile{Name: e.name("p")})
		return err
	}},
	{"UpdateProfile", mayManageUsers, func(e *env, ctx context.Context, _ *meibo.Admin) error {
		p := must(e.svc.CreateProfile(e.sys, "G1", meibo.Profile{Name: e.name("p")}))(e.t)
		_, err := e.svc.UpdateProfile(ctx, p.ID, service.ProfileUpdate{APIAccess: ptr(true)})
		return err
	}},
	{"DeleteProfile", mayManageUsers, func(e *env, ctx context.Context, _ *meibo.Admin) error {
		p := must(e.svc.CreateProfile(e.sys, "G1", meibo.Profile{Name: e.name("p")}))(e.t)
		return e.svc.DeleteProfile(ctx, p.ID)
	}},
	{"CreateUser", mayManageUsers, func(e *env, ctx context.Context, _ *meibo.Admin) error {
		_, err := e.svc.CreateUser(ctx, "G1", service.UserInput{Name: e.name("u")})
		return err
	}},
	{"User", mayManageUsers, func(e *env, ctx context.Context, _ *meibo.Admin) error {
		_, err := e.svc.User(ctx, e.user("G1", e.name("u"), "").ID)
		return err
	}},
	{"UserByName", mayManageUsers, func(e *env, ctx context.Context, _ *meibo.Admin) error {
		_, err := e.svc.UserByName(ctx, "G1", e.user("G1", e.name("u"), "").Name)
		return err
	}},
	{"FindUsers", mayManageUsers, func(e *env, ctx context.Context, _ *meibo.Admin) error {
		_, err := e.svc.FindUsers(ctx, meibo.UserFilter{GroupID: "G1", Keyword: "u0"})
		return err
	}},
	{"UpdateUser", mayManageUsers, func(e *env, ctx context.Context, _ *meibo.Admin) error {
		_, err := e.svc.UpdateUser(ctx, e.user("G1", e.name("u"), "").ID, meibo.UserUpdate{Admin: ptr(true)})
		return err
	}},
	{"DeleteUser", mayManageUsers, func(e *env, ctx context.Context, _ *meibo.Admin) error {
		return e.svc.DeleteUser(ctx, e.user("G1", e.name("u"), "").ID)
	}},
	{"DuplicateUser", mayManageUsers, func(e *env, ctx context.Context, _ *meibo.Admin) error {
		_, err := e.svc.DuplicateUser(ctx, e.user("G1", e.name("u"), "").ID, service.UserInput{Name: e.name("d")})
		return err
	}},
	{"CreateAdmin", mayManageAdmin, func(e *env, ctx context.Context, _ *meibo.Admin) error {
		_, err := e.svc.CreateAdmin(ctx, service.AdminInput{LoginID: e.name("a"), Authorities: meibo.NewAuthorities(meibo.AuthLogViewer)})
		return err
	}},
	{"Admins", mayManageAdmin, func(e *env, ctx context.Context, _ *meibo.Admin) error {
		_, err := e.svc.Admins(ctx)
		return err
	}},
	{"Admin(other)", mayManageAdmin, func(e *env, ctx context.Context, _ *meibo.Admin) error {
		_, err := e.svc.Admin(ctx, e.admin(e.name("a"), "", 0).ID)
		return err
	}},
	{"AdminByLoginID(other)", mayManageAdmin, func(e *env, ctx context.Context, _ *meibo.Admin) error {
		_, err := e.svc.AdminByLoginID(ctx, e.admin(e.name("a"), "", 0).LoginID)
		return err
	}},
	{"UpdateAdmin", mayManageAdmin, func(e *env, ctx context.Context, _ *meibo.Admin) error {
		_, err := e.svc.UpdateAdmin(ctx, e.admin(e.name("a"), "", 0).ID, meibo.AdminUpdate{Notes: ptr("x")})
		return err
	}},
	{"DeleteAdmin", mayManageAdmin, func(e *env, ctx context.Context, _ *meibo.Admin) error {
		return e.svc.DeleteAdmin(ctx, e.admin(e.name("a"), "", 0).ID)
	}},
	{"CreateToken", mayManageAdmin, func(e *env, ctx context.Context, _ *meibo.Admin) error {
		_, _, err := e.svc.CreateToken(ctx, e.admin(e.name("a"), "", 0).LoginID, "t", time.Hour)
		return err
	}},
	{"UpdateSettings", mayManageAdmin, func(e *env, ctx context.Context, _ *meibo.Admin) error {
		_, err := e.svc.UpdateSettings(ctx, map[string]string{meibo.SettingAdminCSVEncoding: "utf-8"})
		return err
	}},
	{"Settings", mayReadConfig, func(e *env, ctx context.Context, _ *meibo.Admin) error {
		_, err := e.svc.Settings(ctx)
		return err
	}},
	{"Licence", mayViewLicence, func(e *env, ctx context.Context, _ *meibo.Admin) error {
		_, err := e.svc.Licence(ctx)
		return err
	}},
	// The list spans every group: a department administrator sees the count only.
	{"UnifiedUsers", []string{"console", "every"}, func(e *env, ctx context.Context, _ *meibo.Admin) error {
		_, err := e.svc.UnifiedUsers(ctx, meibo.UnifiedKey{}, 10)
		return err
	}},
	{"AuditEvents", mayReadLog, func(e *env, ctx context.Context, _ *meibo.Admin) error {
		_, err := e.svc.AuditEvents(ctx, meibo.AuditFilter{})
		return err
	}},
	{"Admin(own)", everyAdmin, func(e *env, ctx context.Context, self *meibo.Admin) error {
		_, err := e.svc.Admin(ctx, self.ID)
		return err
	}},
	{"AdminByLoginID(own)", everyAdmin, func(e *env, ctx context.Context, self *meibo.Admin) error {
		_, err := e.svc.AdminByLoginID(ctx, self.LoginID)
		return err
	}},
	{"ChangeOwnPassword", everyAdmin, func(e *env, ctx context.Context, self *meibo.Admin) error {
		return e.svc.ChangeOwnPassword(ctx, "gate pass phrase", "gate pass phrase two")
	}},
}

// TestAuthorityGates runs every function of the service as every kind of
// administrator (signed in for real, so that the actor comes from storage),
// as a portal user and as nobody: allowed calls succeed, the others are
// forbidden (or, without an actor, unauthorized).
func TestAuthorityGates(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		e.group("G1")
		type who struct {
			name  string
			ctx   context.Context
			admin *meibo.Admin
		}
		var actors []who
		for _, r := range gateRoles {
			a := e.admin("gate-"+r.name, "gate pass phrase", r.auth, r.groups...)
			actors = append(actors, who{r.name, as(e.actor(a, "gate pass phrase")), a})
		}
		portal := &meibo.Actor{Kind: meibo.ActorUser, ID: actors[6].admin.ID, Name: "gate-every", Authorities: meibo.EveryAuthority, GroupID: "G1"}
		device := &meibo.Actor{Kind: meibo.ActorDevice, ID: 1, Name: "device", Authorities: meibo.EveryAuthority}
		for _, op := range gateOps {
			for _, w := range actors {
				err := op.run(e, w.ctx, w.admin)
				if slices.Contains(op.allowed, w.name) {
					if err != nil {
						t.Errorf("%s as %s: %v", op.name, w.name, err)
					}
				} else if c := meibo.ErrorCode(err); c != meibo.CodeForbidden {
					t.Errorf("%s as %s: %v (%s), want forbidden", op.name, w.name, err, c)
				}
			}
			for _, outsider := range []*meibo.Actor{portal, device} {
				if c := meibo.ErrorCode(op.run(e, as(outsider), actors[6].admin)); c != meibo.CodeForbidden {
					t.Errorf("%s as a %s: %s, want forbidden", op.name, outsider.Kind, c)
				}
			}
			if c := meibo.ErrorCode(op.run(e, bg, actors[6].admin)); c != meibo.CodeUnauthorized {
				t.Errorf("%s without an actor: %s, want unauthorized", op.name, c)
			}
		}
	})
}
