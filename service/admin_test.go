package service_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/service"
	"github.com/meibo/meibo/store/storetest"
)

func TestCreateAdmin(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		e.group("G1")
		e.group("G2")
		root := &meibo.Actor{Kind: meibo.ActorAdmin, ID: 1 << 30, Name: "root", Authorities: meibo.EveryAuthority}
		in := service.AdminInput{LoginID: "dep.admin", Name: "部門 太郎", Email: "dep@example.com", Notes: strings.Repeat("備", 128),
			Password: "correct horse battery", Authorities: meibo.NewAuthorities(meibo.AuthConsole, meibo.AuthDepartment, meibo.AuthImport),
			Groups: []string{"g2", "G1", "G2"}}
		a := must(e.svc.CreateAdmin(as(root), in))(t)
		if a.ID == 0 || a.GUID == "" || a.PasswordHash == "" || a.PasswordChangedAt == nil || fmt.Sprint(a.Groups) != "[G2 G1]" {
			t.Errorf("created %+v", a)
		}
		got := must(e.svc.Admin(as(root), a.ID))(t)
		if got.Name != in.Name || got.Email != in.Email || got.Notes != in.Notes || got.Authorities != in.Authorities ||
			fmt.Sprint(got.Groups) != "[G1 G2]" || got.GUID != a.GUID || got.Builtin {
			t.Errorf("stored %+v", got)
		}
		ev := e.eventsFor("admin.create")
		if len(ev) != 1 || ev[0].ActorName != "root" || ev[0].ObjectID != "dep.admin" || ev[0].Category != meibo.CategoryConfig {
			t.Errorf("events %+v", ev)
		}

		for _, c := range []struct {
			name  string
			in    service.AdminInput
			code  meibo.Code
			field string
			key   string
		}{
			{"taken ID", service.AdminInput{LoginID: "dep.admin"}, meibo.CodeConflict, "loginId", "admin.exists"},
			{"built-in ID", service.AdminInput{LoginID: "AUTOBACKUPUSER"}, meibo.CodeConflict, "loginId", "admin.exists"},
			{"bad ID", service.AdminInput{LoginID: "a b"}, meibo.CodeInvalid, "loginId", "admin.id.format"},
			{"dependency", service.AdminInput{LoginID: "x", Authorities: meibo.NewAuthorities(meibo.AuthImport)}, meibo.CodeInvalid, "authorities.import", "auth.depends"},
			{"exclusive", service.AdminInput{LoginID: "x", Authorities: meibo.NewAuthorities(meibo.AuthNoViewing, meibo.AuthLogViewer)}, meibo.CodeInvalid, "authorities.noViewing", "auth.exclusive"},
			{"34 without 8", service.AdminInput{LoginID: "x", Authorities: meibo.NewAuthorities(meibo.AuthConsole, meibo.AuthDevices, meibo.AuthDevicesOnly)}, meibo.CodeInvalid, "authorities.devicesOnly", "auth.depends"},
			{"notes", service.AdminInput{LoginID: "x", Notes: strings.Repeat("備", 129)}, meibo.CodeInvalid, "notes", "admin.notes.long"},
			{"two e-mails", service.AdminInput{LoginID: "x", Email: "a@example.com; b@example.com"}, meibo.CodeInvalid, "email", "email.several"},
			{"groups without 8", service.AdminInput{LoginID: "x", Authorities: meibo.NewAuthorities(meibo.AuthConsole), Groups: []string{"G1"}}, meibo.CodeInvalid, "groups", "admin.groups.not_department"},
			{"unknown group", service.AdminInput{LoginID: "x", Authorities: meibo.NewAuthorities(meibo.AuthConsole, meibo.AuthDepartment), Groups: []string{"G9"}}, meibo.CodeInvalid, "groups", "admin.group.unknown"},
			{"short password", service.AdminInput{LoginID: "x", Password: "1234567"}, meibo.CodeInvalid, "password", "password.short"},
			{"password with the ID", service.AdminInput{LoginID: "yamada", Password: "yamada-2024-xyz"}, meibo.CodeInvalid, "password", "password.own_id"},
		} {
			err := func() error { _, err := e.svc.CreateAdmin(as(root), c.in); return err }()
			ae := wantCode(t, err, c.code)
			if ae.Fields[c.field].Key != c.key {
				t.Errorf("%s: fields %v, want %s: %s", c.name, ae.Fields, c.field, c.key)
			}
		}
		if n := len(must(e.svc.Admins(e.sys))(t)); n != 1 {
			t.Errorf("%d administrators after refused creations", n)
		}
	})
}

// bootstrap creates the built-in administrators and returns admin.
func (e *env) bootstrap() *meibo.Admin {
	e.t.Helper()
	if _, _, err := e.svc.Bootstrap(bg, "root pass phrase"); err != nil {
		e.t.Fatal(err)
	}
	return must(e.svc.AdminByLoginID(e.sys, meibo.BuiltinAdmin))(e.t)
}

// TestLastManager: no change may leave the installation without an enabled
// administrator who can sign in and manage administrators; the refused
// change writes nothing.
func TestLastManager(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		root := e.bootstrap()
		e.group("G1")
		empty := ""
		noAuth := meibo.NewAuthorities(meibo.AuthLogViewer)
		dept := meibo.NewAuthorities(meibo.AuthConsole, meibo.AuthDepartment)
		devOnly := meibo.NewAuthorities(meibo.AuthConsole, meibo.AuthDepartment, meibo.AuthDevices, meibo.AuthDevicesOnly)
		noView := meibo.NewAuthorities(meibo.AuthNoViewing)
		changes := map[string]meibo.AdminUpdate{
			"disable":           {Disabled: ptr(true)},
			"strip authorities": {Authorities: &noAuth},
			"department scope":  {Authorities: &dept, Groups: &[]string{"G1"}},
			"devices only":      {Authorities: &devOnly, Groups: &[]string{"G1"}},
			"no viewing":        {Authorities: &noView},
			"remove password":   {Password: &empty},
		}
		auditBefore := len(e.events())
		e.clock.Add(time.Minute) // a written change would move updatedAt
		for name, up := range changes {
			_, err := e.svc.UpdateAdmin(e.sys, root.ID, up)
			if wantCode(t, err, meibo.CodeConflict).Msg.Key != "admin.last_manager" {
				t.Errorf("%s: %v", name, err)
			}
		}
		after := must(e.svc.Admin(e.sys, root.ID))(t)
		if after.Disabled || after.Authorities != meibo.EveryAuthority || after.PasswordHash != root.PasswordHash || len(after.Groups) != 0 || !after.UpdatedAt.Equal(root.UpdatedAt) {
			t.Fatalf("a refused change was written: %+v", after)
		}
		if n := len(e.events()); n != auditBefore {
			t.Errorf("refused changes left %d audit events", n-auditBefore)
		}
		if _, _, err := e.svc.Login(bg, "admin", "root pass phrase", "192.0.2.1"); err != nil {
			t.Errorf("the last manager cannot sign in any more: %v", err)
		}

		// With a second manager, each change is allowed.
		second := e.admin("deputy", "second pass phrase", meibo.NewAuthorities(meibo.AuthConsole))
		for _, name := range []string{"strip authorities", "department scope", "disable"} {
			if _, err := e.svc.UpdateAdmin(e.sys, root.ID, changes[name]); err != nil {
				t.Errorf("%s with another manager: %v", name, err)
			}
		}
		// Now "second" is the last manager: it cannot be deleted, nor
		// disabled, even by the system.
		err := e.svc.DeleteAdmin(e.sys, second.ID)
		if wantCode(t, err, meibo.CodeConflict).Msg.Key != "admin.last_manager" {
			t.Errorf("delete the last manager: %v", err)
		}
		if _, err := e.svc.Admin(e.sys, second.ID); err != nil {
			t.Errorf("the refused deletion deleted: %v", err)
		}
		_, err = e.svc.UpdateAdmin(e.sys, second.ID, meibo.AdminUpdate{Disabled: ptr(true)})
		wantCode(t, err, meibo.CodeConflict)
		// Re-enable admin with every authority; then second may go.
		every := meibo.EveryAuthority
		none := []string{}
		must(e.svc.UpdateAdmin(e.sys, root.ID, meibo.AdminUpdate{Disabled: ptr(false), Authorities: &every, Groups: &none}))(t)
		noErr(t, e.svc.DeleteAdmin(e.sys, second.ID))
	})
}

// TestLastManagerConcurrent: two managers each disable the other at once;
// one of the changes must be refused.
func TestLastManagerConcurrent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		a := e.admin("ma", "", meibo.NewAuthorities(meibo.AuthConsole))
		b := e.admin("mb", "", meibo.NewAuthorities(meibo.AuthConsole))
		// Without passwords they are not managers; give them one each.
		pw := "manager pass phrase"
		must(e.svc.UpdateAdmin(e.sys, a.ID, meibo.AdminUpdate{Password: &pw}))(t)
		must(e.svc.UpdateAdmin(e.sys, b.ID, meibo.AdminUpdate{Password: &pw}))(t)
		errs := make(chan error, 2)
		start := make(chan struct{})
		for _, pair := range [][2]*meibo.Admin{{a, b}, {b, a}} {
			go func() {
				<-start
				act := &meibo.Actor{Kind: meibo.ActorAdmin, ID: pair[0].ID, Name: pair[0].LoginID, Authorities: pair[0].Authorities}
				_, err := e.svc.UpdateAdmin(as(act), pair[1].ID, meibo.AdminUpdate{Disabled: ptr(true)})
				errs <- err
			}()
		}
		close(start)
		e1, e2 := <-errs, <-errs
		if (e1 == nil) == (e2 == nil) {
			t.Fatalf("results %v and %v: want exactly one refused", e1, e2)
		}
		admins := must(e.svc.Admins(e.sys))(t)
		managers := 0
		for _, ad := range admins {
			if ad.IsManager() {
				managers++
			}
		}
		if managers != 1 {
			t.Errorf("%d managers left", managers)
		}
	})
}

func TestBuiltinAndSelf(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		root := e.bootstrap()
		backup := must(e.svc.AdminByLoginID(e.sys, meibo.BuiltinBackup))(t)
		rootActor := e.actor(root, "root pass phrase")
		ctx := as(rootActor)

		pw := "backup pass phrase"
		_, err := e.svc.UpdateAdmin(ctx, backup.ID, meibo.AdminUpdate{Password: &pw})
		if wantCode(t, err, meibo.CodeInvalid).Fields["password"].Key != "admin.backup.fixed" {
			t.Errorf("password for AUTOBACKUPUSER: %v", err)
		}
		for _, auth := range []meibo.Authorities{meibo.EveryAuthority, meibo.BackupAuthorities.With(meibo.AuthLogViewer), 0} {
			_, err = e.svc.UpdateAdmin(ctx, backup.ID, meibo.AdminUpdate{Authorities: &auth})
			if wantCode(t, err, meibo.CodeInvalid).Fields["authorities"].Key != "admin.backup.fixed" {
				t.Errorf("authorities %v for AUTOBACKUPUSER: %v", auth.List(), err)
			}
		}
		_, _, err = e.svc.CreateToken(ctx, meibo.BuiltinBackup, "x", time.Hour)
		if wantCode(t, err, meibo.CodeConflict).Msg.Key != "token.disabled" {
			t.Errorf("token for AUTOBACKUPUSER: %v", err)
		}
		// Its name and notes may change.
		notes := "nightly"
		if _, err := e.svc.UpdateAdmin(ctx, backup.ID, meibo.AdminUpdate{Notes: &notes}); err != nil {
			t.Errorf("notes of AUTOBACKUPUSER: %v", err)
		}
		got := must(e.svc.Admin(ctx, backup.ID))(t)
		if got.PasswordHash != "" || got.Authorities != meibo.BackupAuthorities || got.Notes != "nightly" {
			t.Errorf("AUTOBACKUPUSER = %+v", got)
		}

		for _, id := range []int64{backup.ID, root.ID} {
			err := e.svc.DeleteAdmin(e.sys, id)
			if wantCode(t, err, meibo.CodeConflict).Msg.Key != "admin.builtin.delete" {
				t.Errorf("delete a built-in: %v", err)
			}
		}
		second := e.admin("deputy", "second pass phrase", meibo.NewAuthorities(meibo.AuthConsole))
		secondActor := e.actor(second, "second pass phrase")
		err = e.svc.DeleteAdmin(as(secondActor), second.ID)
		if wantCode(t, err, meibo.CodeConflict).Msg.Key != "admin.self.delete" {
			t.Errorf("self-delete: %v", err)
		}
		wantCode(t, e.svc.DeleteAdmin(ctx, 1<<40), meibo.CodeNotFound)
		noErr(t, e.svc.DeleteAdmin(ctx, second.ID))
		if _, err := e.svc.Admin(ctx, second.ID); meibo.ErrorCode(err) != meibo.CodeNotFound {
			t.Errorf("deleted admin: %v", err)
		}
	})
}

// TestUpdateAdmin changes fields, checks tokens end with a new password, and
// that history survives the deletion.
func TestUpdateAdmin(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		root := e.bootstrap()
		ctx := as(e.actor(root, "root pass phrase"))
		e.group("G1")
		pw := "first pass phrase"
		ops := e.admin("ops", pw, meibo.NewAuthorities(meibo.AuthConsole))
		opsActor := e.actor(ops, pw)
		tok, _ := must2(e.svc.Login(bg, "ops", pw, "192.0.2.3"))(t)
		// ops creates a group: an event by its name.
		must(e.svc.CreateGroup(as(opsActor), meibo.Group{ID: "OPSG"}))(t)

		name, email, notes := "運用 担当", "ops@example.com", "on call"
		auth := meibo.NewAuthorities(meibo.AuthConsole, meibo.AuthDepartment, meibo.AuthExport)
		groups := []string{"g1"}
		e.clock.Add(time.Minute)
		up := must(e.svc.UpdateAdmin(ctx, ops.ID, meibo.AdminUpdate{Name: &name, Email: &email, Notes: &notes, Authorities: &auth, Groups: &groups}))(t)
		if up.Name != name || up.Email != email || up.Notes != notes || up.Authorities != auth || fmt.Sprint(up.Groups) != "[G1]" ||
			!up.UpdatedAt.Equal(e.clock.Now()) {
			t.Errorf("updated %+v", up)
		}
		if _, err := e.svc.Authenticate(bg, tok, ""); err != nil {
			t.Errorf("a change without a new password ended the token: %v", err)
		}
		bad := strings.Repeat("x", 257)
		_, err := e.svc.UpdateAdmin(ctx, ops.ID, meibo.AdminUpdate{Notes: &bad})
		if wantCode(t, err, meibo.CodeInvalid).Fields["notes"].Key != "admin.notes.long" {
			t.Errorf("long notes: %v", err)
		}
		if got := must(e.svc.Admin(ctx, ops.ID))(t); got.Name != name {
			t.Errorf("a refused update changed the name to %q", got.Name)
		}
		// Groups limit a department administrator only: given to another,
		// refused; an administrator who is no longer one keeps none.
		plain := meibo.NewAuthorities(meibo.AuthConsole, meibo.AuthExport)
		_, err = e.svc.UpdateAdmin(ctx, ops.ID, meibo.AdminUpdate{Authorities: &plain, Groups: &groups})
		if wantCode(t, err, meibo.CodeInvalid).Fields["groups"].Key != "admin.groups.not_department" {
			t.Errorf("groups without 8: %v", err)
		}
		if got := must(e.svc.UpdateAdmin(ctx, ops.ID, meibo.AdminUpdate{Authorities: &plain}))(t); len(got.Groups) != 0 {
			t.Errorf("groups kept without 8: %v", got.Groups)
		}
		if got := must(e.svc.Admin(ctx, ops.ID))(t); len(got.Groups) != 0 || got.Authorities != plain {
			t.Errorf("stored without 8: %+v", got)
		}
		newPW := "second pass phrase"
		must(e.svc.UpdateAdmin(ctx, ops.ID, meibo.AdminUpdate{Password: &newPW}))(t)
		if _, err := e.svc.Authenticate(bg, tok, ""); meibo.ErrorCode(err) != meibo.CodeUnauthorized {
			t.Errorf("the token outlived a password change: %v", err)
		}
		if _, _, err := e.svc.Login(bg, "ops", newPW, "192.0.2.4"); err != nil {
			t.Errorf("new password: %v", err)
		}
		ownPW := "my ops@example.com pw"
		_, err = e.svc.UpdateAdmin(ctx, ops.ID, meibo.AdminUpdate{Password: &ownPW})
		if wantCode(t, err, meibo.CodeInvalid).Fields["password"].Key != "password.own_id" {
			t.Errorf("password with the ID: %v", err)
		}
		_, err = e.svc.UpdateAdmin(ctx, 1<<40, meibo.AdminUpdate{Name: &name})
		wantCode(t, err, meibo.CodeNotFound)

		noErr(t, e.svc.DeleteAdmin(ctx, ops.ID))
		var byOps, aboutOps int
		for _, ev := range e.events() {
			if ev.ActorName == "ops" {
				byOps++
			}
			if ev.ObjectKind == "admin" && ev.ObjectID == "ops" {
				aboutOps++
			}
		}
		if byOps < 2 || aboutOps < 4 {
			t.Errorf("after the deletion: %d events by ops, %d about ops", byOps, aboutOps)
		}
		if ev := e.eventsFor("admin.delete"); len(ev) != 1 || ev[0].ActorName != "admin" || ev[0].ObjectID != "ops" {
			t.Errorf("delete events %+v", ev)
		}
	})
}
