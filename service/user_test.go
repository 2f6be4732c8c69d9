package service_test

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/service"
	"github.com/meibo/meibo/store/storetest"
)

func TestCreateUser(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		e.group("G1")
		e.group("G2")
		e.group("TOKYO")
		ctx := as(&meibo.Actor{Kind: meibo.ActorAdmin, ID: 77, Name: "ops", Authorities: meibo.NewAuthorities(meibo.AuthConsole)})
		noAPI := must(e.svc.CreateProfile(ctx, "G1", meibo.Profile{Name: "kiosk", Actions: []meibo.Action{meibo.ActionLock}}))(t)

		u := must(e.svc.CreateUser(ctx, "g1", service.UserInput{Name: "taro", Email: "taro@example.com", Password: "correct horse battery", Admin: true, APIAccess: true}))(t)
		if u.ID == 0 || u.GroupID != "G1" || u.ProfileName != "default" || !u.Admin || !u.APIAccess || u.Disabled || !u.HasPassword() ||
			u.PasswordChangedAt == nil || !u.CreatedAt.Equal(e.clock.Now()) {
			t.Errorf("created %+v", u)
		}
		got := must(e.svc.User(ctx, u.ID))(t)
		if got.Name != "taro" || got.Email != "taro@example.com" || got.PasswordHash != u.PasswordHash || got.ProfileID != u.ProfileID {
			t.Errorf("stored %+v", got)
		}
		ev := e.eventsFor("user.create")
		if len(ev) != 1 || ev[0].ActorName != "ops" || ev[0].ObjectID != "taro" || ev[0].GroupID != "G1" || ev[0].Category != meibo.CategoryUser ||
			ev[0].Details["email"] != "taro@example.com" || ev[0].Details["hasPassword"] != true {
			t.Errorf("events %+v", ev)
		}
		// No password: allowed, no sign-in until one is set.
		nopw := must(e.svc.CreateUser(ctx, "G1", service.UserInput{Name: "hanako", Profile: "kiosk"}))(t)
		if nopw.HasPassword() || nopw.PasswordChangedAt != nil || nopw.ProfileID != noAPI.ID {
			t.Errorf("user without password %+v", nopw)
		}

		for _, c := range []struct {
			name, group string
			in          service.UserInput
			code        meibo.Code
			field, key  string
		}{
			{"same name", "G1", service.UserInput{Name: "taro"}, meibo.CodeConflict, "name", "user.exists"},
			{"blank name", "G1", service.UserInput{}, meibo.CodeInvalid, "name", "required"},
			{"space in name", "G1", service.UserInput{Name: "taro yamada"}, meibo.CodeInvalid, "name", "user.name.format"},
			{"two e-mails", "G1", service.UserInput{Name: "x", Email: "a@example.com, b@example.com"}, meibo.CodeInvalid, "email", "email.several"},
			{"bad e-mail", "G1", service.UserInput{Name: "x", Email: "not-an-address"}, meibo.CodeInvalid, "email", "email.format"},
			{"short password", "G1", service.UserInput{Name: "x", Password: "short"}, meibo.CodeInvalid, "password", "password.short"},
			{"common password", "G1", service.UserInput{Name: "x", Password: "Password1"}, meibo.CodeInvalid, "password", "password.common"},
			{"password with name", "G1", service.UserInput{Name: "yamada", Password: "yamada is me"}, meibo.CodeInvalid, "password", "password.own_id"},
			{"password with group", "TOKYO", service.UserInput{Name: "x", Password: "i love tokyo!"}, meibo.CodeInvalid, "password", "password.own_id"},
			{"unknown profile", "G1", service.UserInput{Name: "x", Profile: "nope"}, meibo.CodeInvalid, "profile", "profile.not_found"},
			{"API not allowed", "G1", service.UserInput{Name: "x", Profile: "kiosk", APIAccess: true}, meibo.CodeInvalid, "apiAccess", "profile.api"},
			{"profile of another group", "G2", service.UserInput{Name: "x", Profile: "kiosk"}, meibo.CodeInvalid, "profile", "profile.not_found"},
			{"no group", "", service.UserInput{Name: "x"}, meibo.CodeInvalid, "group", "group.required"},
			{"unknown group", "G9", service.UserInput{Name: "x"}, meibo.CodeNotFound, "", ""},
		} {
			_, err := e.svc.CreateUser(ctx, c.group, c.in)
			ue := wantCode(t, err, c.code)
			if c.field != "" && ue.Fields[c.field].Key != c.key {
				t.Errorf("%s: fields %v, want %s: %s", c.name, ue.Fields, c.field, c.key)
			}
		}
		// The same name in another group, and a name differing in case.
		must(e.svc.CreateUser(ctx, "G2", service.UserInput{Name: "taro", Email: "taro@example.com"}))(t)
		must(e.svc.CreateUser(ctx, "G1", service.UserInput{Name: "Taro"}))(t)
		if n := must(e.svc.FindUsers(ctx, meibo.UserFilter{GroupID: "G1"}))(t); len(n.Users) != 3 {
			t.Errorf("G1 has %d users", len(n.Users))
		}
	})
}

// TestUserNameImmutable: there is no way to change a user's name.
func TestUserNameImmutable(t *testing.T) {
	if _, ok := reflect.TypeFor[meibo.UserUpdate]().FieldByName("Name"); ok {
		t.Fatal("meibo.UserUpdate has a Name field")
	}
	for m := range reflect.TypeFor[*service.Service]().Methods() {
		if m.Name == "RenameUser" || m.Name == "SetUserName" {
			t.Errorf("the service has %s", m.Name)
		}
	}
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		e.group("G1")
		u := e.user("G1", "taro", "")
		var up meibo.UserUpdate
		if err := json.Unmarshal([]byte(`{"name":"jiro","email":"jiro@example.com"}`), &up); err != nil {
			t.Fatal(err)
		}
		got := must(e.svc.UpdateUser(e.sys, u.ID, up))(t)
		if got.Name != "taro" || must(e.svc.User(e.sys, u.ID))(t).Name != "taro" {
			t.Errorf("name changed to %q", got.Name)
		}
	})
}

func TestUpdateUser(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		e.group("G1")
		ctx := as(&meibo.Actor{Kind: meibo.ActorAdmin, ID: 77, Name: "ops", Authorities: meibo.NewAuthorities(meibo.AuthConsole)})
		kiosk := must(e.svc.CreateProfile(ctx, "G1", meibo.Profile{Name: "kiosk"}))(t)
		u := must(e.svc.CreateUser(ctx, "G1", service.UserInput{Name: "taro", Email: "taro@example.com", Password: "correct horse battery", APIAccess: true}))(t)
		e.clock.Add(time.Hour)

		email, admin, disabled := "Taro.Y@example.org", true, true
		got := must(e.svc.UpdateUser(ctx, u.ID, meibo.UserUpdate{Email: &email, Admin: &admin, Disabled: &disabled}))(t)
		if got.Email != email || !got.Admin || !got.Disabled || !got.APIAccess || got.PasswordHash != u.PasswordHash ||
			!got.UpdatedAt.Equal(e.clock.Now()) || !got.CreatedAt.Equal(u.CreatedAt) || !got.PasswordChangedAt.Equal(*u.PasswordChangedAt) {
			t.Errorf("updated %+v", got)
		}
		ev := e.eventsFor("user.update")
		if len(ev) != 1 || ev[0].ActorName != "ops" {
			t.Fatalf("events %+v", ev)
		}
		before, after := ev[0].Details["before"].(map[string]any), ev[0].Details["after"].(map[string]any)
		if before["email"] != "taro@example.com" || after["email"] != email || before["admin"] != false || after["admin"] != true {
			t.Errorf("details %v", ev[0].Details)
		}

		// A profile without API access: not for a user who has it.
		prof := "kiosk"
		_, err := e.svc.UpdateUser(ctx, u.ID, meibo.UserUpdate{Profile: &prof})
		if wantCode(t, err, meibo.CodeInvalid).Fields["apiAccess"].Key != "profile.api" {
			t.Errorf("profile without API for an API user: %v", err)
		}
		no := false
		got = must(e.svc.UpdateUser(ctx, u.ID, meibo.UserUpdate{Profile: &prof, APIAccess: &no}))(t)
		if got.ProfileID != kiosk.ID || got.ProfileName != "kiosk" || got.APIAccess {
			t.Errorf("profile change %+v", got)
		}
		yes := true
		_, err = e.svc.UpdateUser(ctx, u.ID, meibo.UserUpdate{APIAccess: &yes})
		wantCode(t, err, meibo.CodeInvalid)
		unknown := "nope"
		_, err = e.svc.UpdateUser(ctx, u.ID, meibo.UserUpdate{Profile: &unknown})
		if wantCode(t, err, meibo.CodeInvalid).Fields["profile"].Key != "profile.not_found" {
			t.Errorf("unknown profile: %v", err)
		}
		bad := "a@example.com b@example.com"
		_, err = e.svc.UpdateUser(ctx, u.ID, meibo.UserUpdate{Email: &bad})
		if wantCode(t, err, meibo.CodeInvalid).Fields["email"].Key != "email.several" {
			t.Errorf("two e-mails: %v", err)
		}

		// Passwords: the policy with the user's own IDs; blank removes it.
		pw := "taro.y rules"
		_, err = e.svc.UpdateUser(ctx, u.ID, meibo.UserUpdate{Password: &pw})
		if wantCode(t, err, meibo.CodeInvalid).Fields["password"].Key != "password.own_id" {
			t.Errorf("password with the e-mail's local part: %v", err)
		}
		pw = "a brand new phrase"
		e.clock.Add(time.Hour)
		got = must(e.svc.UpdateUser(ctx, u.ID, meibo.UserUpdate{Password: &pw}))(t)
		if got.PasswordHash == u.PasswordHash || !got.PasswordChangedAt.Equal(e.clock.Now()) {
			t.Errorf("new password not set: %+v", got)
		}
		if ev := e.eventsFor("user.update"); ev[0].Details["password"] != "changed" {
			t.Errorf("password change details %v", ev[0].Details)
		}
		empty := ""
		got = must(e.svc.UpdateUser(ctx, u.ID, meibo.UserUpdate{Password: &empty}))(t)
		if got.HasPassword() {
			t.Error("a blank password did not remove it")
		}
		_, err = e.svc.UpdateUser(ctx, 1<<40, meibo.UserUpdate{Admin: &yes})
		wantCode(t, err, meibo.CodeNotFound)
		final := must(e.svc.User(ctx, u.ID))(t)
		if final.Email != email || final.ProfileName != "kiosk" || final.HasPassword() {
			t.Errorf("refused updates changed the user: %+v", final)
		}
	})
}

func TestDeleteAndDuplicateUser(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		e.group("G1")
		ctx := as(&meibo.Actor{Kind: meibo.ActorAdmin, ID: 77, Name: "ops", Authorities: meibo.NewAuthorities(meibo.AuthConsole)})
		field := must(e.svc.CreateProfile(ctx, "G1", meibo.Profile{Name: "field", APIAccess: true}))(t)
		src := must(e.svc.CreateUser(ctx, "G1", service.UserInput{Name: "taro", Email: "taro@example.com", Password: "correct horse battery",
			Profile: "field", Admin: true, APIAccess: true, Disabled: true}))(t)
		dup := must(e.svc.DuplicateUser(ctx, src.ID, service.UserInput{Name: "jiro", Email: "jiro@example.com", Profile: "default"}))(t)
		if dup.GroupID != "G1" || dup.Name != "jiro" || dup.Email != "jiro@example.com" || dup.HasPassword() ||
			dup.ProfileID != field.ID || !dup.Admin || !dup.APIAccess || !dup.Disabled {
			t.Errorf("duplicate %+v", dup)
		}
		_, err := e.svc.DuplicateUser(ctx, src.ID, service.UserInput{Name: "taro"})
		if wantCode(t, err, meibo.CodeConflict).Fields["name"].Key != "user.exists" {
			t.Errorf("duplicate under a taken name: %v", err)
		}
		_, err = e.svc.DuplicateUser(ctx, 1<<40, service.UserInput{Name: "x"})
		wantCode(t, err, meibo.CodeNotFound)

		noErr(t, e.svc.DeleteUser(ctx, src.ID))
		_, err = e.svc.User(ctx, src.ID)
		wantCode(t, err, meibo.CodeNotFound)
		wantCode(t, e.svc.DeleteUser(ctx, src.ID), meibo.CodeNotFound)
		// History keeps the name.
		var about []string
		for _, ev := range e.events() {
			if ev.ObjectKind == "user" && ev.ObjectID == "taro" {
				about = append(about, ev.Action)
			}
		}
		if len(about) != 2 || about[0] != "user.delete" || about[1] != "user.create" {
			t.Errorf("events about the deleted user: %v", about)
		}
		// The name is free again.
		must(e.svc.CreateUser(ctx, "G1", service.UserInput{Name: "taro"}))(t)
	})
}

func TestGroupsAndProfiles(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		ctx := as(&meibo.Actor{Kind: meibo.ActorAdmin, ID: 77, Name: "ops", Authorities: meibo.NewAuthorities(meibo.AuthConsole)})
		g := must(e.svc.CreateGroup(ctx, meibo.Group{ID: "G001"}))(t)
		if g.Name != "G001" {
			t.Errorf("group name defaults to %q", g.Name)
		}
		ps := must(e.svc.Profiles(ctx, "g001"))(t)
		if len(ps) != 1 || !ps[0].Default || ps[0].Name != "default" || !ps[0].APIAccess || len(ps[0].Actions) != len(meibo.AllActions) {
			t.Fatalf("profiles of a new group: %+v", ps)
		}
		_, err := e.svc.CreateGroup(ctx, meibo.Group{ID: "g001"})
		if f := wantCode(t, err, meibo.CodeConflict).Fields["id"]; f.Key != "group.exists" || f.In(meibo.English) != "A group with the ID G001 already exists." {
			t.Errorf("group ID in another case: %v (it names the group as written)", err)
		}
		_, err = e.svc.CreateGroup(ctx, meibo.Group{ID: "bad id"})
		if wantCode(t, err, meibo.CodeInvalid).Fields["id"].Key != "group.id.format" {
			t.Errorf("bad ID: %v", err)
		}
		up := must(e.svc.UpdateGroup(ctx, "g001", "本社"))(t)
		if up.ID != "G001" || up.Name != "本社" {
			t.Errorf("renamed %+v", up)
		}
		_, err = e.svc.UpdateGroup(ctx, "G001", "line\nbreak")
		if wantCode(t, err, meibo.CodeInvalid).Fields["name"].Key != "control_chars" {
			t.Errorf("group name with a line break: %v", err)
		}

		p := must(e.svc.CreateProfile(ctx, "G001", meibo.Profile{Name: "field", Actions: []meibo.Action{meibo.ActionWipe, meibo.ActionLock}, Default: true}))(t)
		if p.Default || p.GroupID != "G001" || len(p.Actions) != 2 || p.Actions[0] != meibo.ActionLock {
			t.Errorf("created profile %+v", p)
		}
		_, err = e.svc.CreateProfile(ctx, "G001", meibo.Profile{Name: "field"})
		if wantCode(t, err, meibo.CodeConflict).Fields["name"].Key != "profile.exists" {
			t.Errorf("profile name taken: %v", err)
		}
		_, err = e.svc.CreateProfile(ctx, "G001", meibo.Profile{Name: "x", Actions: []meibo.Action{"explode"}})
		wantCode(t, err, meibo.CodeInvalid)
		name := "field staff"
		p = must(e.svc.UpdateProfile(ctx, p.ID, service.ProfileUpdate{Name: &name}))(t)
		if p.Name != "field staff" {
			t.Errorf("renamed profile %+v", p)
		}

		u := must(e.svc.CreateUser(ctx, "G001", service.UserInput{Name: "taro", Profile: "field staff"}))(t)
		err = e.svc.DeleteProfile(ctx, p.ID)
		if ce := wantCode(t, err, meibo.CodeConflict); ce.Msg.Key != "profile.in_use" || ce.Msg.Args[0] != "field staff" || ce.Msg.Args[1] != 1 {
			t.Errorf("profile in use: %v", err)
		}
		err = e.svc.DeleteProfile(ctx, ps[0].ID)
		if wantCode(t, err, meibo.CodeConflict).Msg.Key != "profile.default" {
			t.Errorf("default profile: %v", err)
		}
		err = e.svc.DeleteGroup(ctx, "G001")
		if ce := wantCode(t, err, meibo.CodeConflict); ce.Msg.Key != "group.not_empty" || ce.Msg.Args[1] != 1 {
			t.Errorf("group with a user: %v", err)
		}
		noErr(t, e.svc.DeleteUser(ctx, u.ID))
		noErr(t, e.svc.DeleteProfile(ctx, p.ID))
		wantCode(t, e.svc.DeleteProfile(ctx, p.ID), meibo.CodeNotFound)
		noErr(t, e.svc.DeleteGroup(ctx, "g001"))
		_, err = e.svc.Group(ctx, "G001")
		wantCode(t, err, meibo.CodeNotFound)
		wantCode(t, e.svc.DeleteGroup(ctx, "G001"), meibo.CodeNotFound)

		var actions []string
		for _, ev := range e.events() {
			if ev.Category == meibo.CategoryConfig {
				if ev.ActorName != "ops" {
					t.Errorf("event %s by %q", ev.Action, ev.ActorName)
				}
				actions = append([]string{ev.Action}, actions...)
			}
		}
		want := `["group.create","group.update","profile.create","profile.update","profile.delete","group.delete"]`
		if got := sprint(actions); got != want {
			t.Errorf("config events %s, want %s", got, want)
		}
	})
}

func sprint(v any) string { b, _ := json.Marshal(v); return string(b) }

// TestLicence: with a limit of N unified users, the (N+1)-th is refused with
// nothing written, while a user who unifies with an existing one still
// fits, and an e-mail change that would make a new unified user is refused.
func TestLicence(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		e.group("G1")
		e.group("G2")
		must(e.svc.UpdateSettings(e.sys, map[string]string{meibo.SettingLicenceLimit: "3"}))(t)
		taro := e.user("G1", "taro", "taro@example.com")
		e.user("G1", "jiro", "")
		hanako := e.user("G1", "hanako", "hanako@example.com")
		if n := e.unified(); n != 3 {
			t.Fatalf("unified count %d", n)
		}
		events := len(e.events())
		_, err := e.svc.CreateUser(e.sys, "G1", service.UserInput{Name: "saburo", Password: "correct horse battery"})
		le := wantCode(t, err, meibo.CodeLicenceExceeded)
		if le.Msg.Key != "licence.exceeded" || le.Msg.Args[0] != 4 || le.Msg.Args[1] != 3 {
			t.Errorf("message %v", le.Msg)
		}
		// Same name, blank e-mail in another group: a new person.
		_, err = e.svc.CreateUser(e.sys, "G2", service.UserInput{Name: "jiro"})
		wantCode(t, err, meibo.CodeLicenceExceeded)
		// Same name and e-mail (any case) in another group: the same person.
		taro2 := must(e.svc.CreateUser(e.sys, "G2", service.UserInput{Name: "taro", Email: "TARO@example.com"}))(t)
		if n := e.unified(); n != 3 {
			t.Errorf("unified count %d after a unified user", n)
		}
		if n := len(must(e.svc.FindUsers(e.sys, meibo.UserFilter{GroupID: "G1"}))(t).Users); n != 3 {
			t.Errorf("refused users were written: G1 has %d", n)
		}
		if n := len(e.events()); n != events+1 {
			t.Errorf("%d new events, want 1 (the accepted user)", n-events)
		}
		// An e-mail change that splits taro in two: refused.
		other := "taro@other.example"
		_, err = e.svc.UpdateUser(e.sys, taro2.ID, meibo.UserUpdate{Email: &other})
		wantCode(t, err, meibo.CodeLicenceExceeded)
		if got := must(e.svc.User(e.sys, taro2.ID))(t); got.Email != "TARO@example.com" {
			t.Errorf("refused change written: %q", got.Email)
		}
		// A change that keeps the count (hanako alone moves) is fine, and
		// so is a user who unifies with it.
		newMail := "hanako@new.example"
		must(e.svc.UpdateUser(e.sys, hanako.ID, meibo.UserUpdate{Email: &newMail}))(t)
		must(e.svc.CreateUser(e.sys, "G2", service.UserInput{Name: "hanako", Email: "Hanako@New.example"}))(t)
		_, err = e.svc.DuplicateUser(e.sys, taro.ID, service.UserInput{Name: "taro3"})
		wantCode(t, err, meibo.CodeLicenceExceeded)
		// Deleting one frees a place; a disabled user still counts.
		noErr(t, e.svc.DeleteUser(e.sys, must(e.svc.UserByName(e.sys, "G1", "jiro"))(t).ID))
		must(e.svc.CreateUser(e.sys, "G1", service.UserInput{Name: "shiro", Disabled: true}))(t)
		_, err = e.svc.CreateUser(e.sys, "G1", service.UserInput{Name: "goro"})
		wantCode(t, err, meibo.CodeLicenceExceeded)
		l := must(e.svc.Licence(e.sys))(t)
		if l.Used != 3 || l.Limit != 3 {
			t.Errorf("licence %+v", l)
		}
		// A lower limit does not stop changes that do not add people.
		must(e.svc.UpdateSettings(e.sys, map[string]string{meibo.SettingLicenceLimit: "1"}))(t)
		admin := true
		must(e.svc.UpdateUser(e.sys, taro.ID, meibo.UserUpdate{Admin: &admin}))(t)
		must(e.svc.UpdateSettings(e.sys, map[string]string{meibo.SettingLicenceLimit: "0"}))(t)
		must(e.svc.CreateUser(e.sys, "G1", service.UserInput{Name: "goro"}))(t)
	})
}
