package console

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/service"
)

func TestGroupsPages(t *testing.T) {
	e := newEnv(t)
	b := e.admin("manager")

	r := b.get(Prefix + "/groups")
	r.expect(t, "groups", http.StatusOK, enText("groups.title"), `href="/console/groups/G1"`, `href="/console/groups/G2"`,
		enText("groups.new"), `action="/console/groups"`, `aria-current="page"`)

	b.lang = "ja"
	r = b.get(Prefix + "/groups")
	r.expect(t, "groups in Japanese", http.StatusOK, `lang="ja"`, jaText("groups.title"), jaText("groups.id"), jaText("groups.create"))
	r.lacks(t, "groups in Japanese", enText("groups.create"))
	b.lang = ""

	// Create.
	r = b.post(Prefix+"/groups", url.Values{"id": {"G3"}, "name": {" Third "}})
	r = b.redirected("create", r, Prefix+"/groups/G3?done=groups.created")
	r.expect(t, "new group", http.StatusOK, "Third", enText("done.groups.created"), `href="/console/groups/G3/users"`, enText("profiles.default"))
	if g, err := e.svc.Group(e.sys, "G3"); err != nil || g.Name != "Third" {
		t.Errorf("G3: %+v %v", g, err)
	}

	// A refused form shows what was typed and the message next to the field.
	r = b.post(Prefix+"/groups", url.Values{"id": {"bad id!"}, "name": {"Typed <name>"}})
	r.expect(t, "bad ID", http.StatusUnprocessableEntity, `value="bad id!"`, `value="Typed &lt;name&gt;"`,
		`<div class="field-error" id="id-error">`+msgText(meibo.English, "group.id.format")+`</div>`, `aria-invalid="true"`, `class="alert error"`)
	b.lang = "ja"
	r = b.post(Prefix+"/groups", url.Values{"id": {"g1"}})
	r.expect(t, "taken ID in Japanese", http.StatusUnprocessableEntity, `value="g1"`,
		`<div class="field-error" id="id-error">`+msgText(meibo.Japanese, "group.exists", "G1")+`</div>`)
	b.lang = ""

	// Rename; a blank name is the ID, as on creation.
	r = b.post(Prefix+"/groups/g3", url.Values{"name": {"Renamed"}})
	r = b.redirected("rename", r, Prefix+"/groups/G3?done=groups.renamed")
	r.expect(t, "renamed", http.StatusOK, "Renamed", enText("done.groups.renamed"))
	b.post(Prefix+"/groups/G3", url.Values{"name": {"  "}})
	if g, _ := e.svc.Group(e.sys, "G3"); g == nil || g.Name != "G3" {
		t.Errorf("after a blank name: %+v", g)
	}
	long := strings.Repeat("名", 101)
	r = b.post(Prefix+"/groups/G3", url.Values{"name": {long}})
	r.expect(t, "long name", http.StatusUnprocessableEntity, `value="`+long+`"`,
		`<div class="field-error" id="name-error">`+msgText(meibo.English, "too_long", 100)+`</div>`)

	// A group with users is not deleted: its confirmation says why and
	// offers no button that cannot work; sent anyway (the users came after
	// the page), the confirmation again, with the service's reason.
	r = b.get(Prefix + "/groups/G1/delete")
	r.expect(t, "confirm G1", http.StatusOK, enText("groups.delete.members", 1))
	r.lacks(t, "confirm G1", `action="/console/groups/G1/delete"`)
	r = b.post(Prefix+"/groups/G1/delete", nil)
	r.expect(t, "delete G1", http.StatusConflict, msgText(meibo.English, "group.not_empty", "G1", 1, 0), `role="alert"`)
	if _, err := e.svc.Group(e.sys, "G1"); err != nil {
		t.Errorf("G1 was deleted: %v", err)
	}

	// A group with an enrolled device says to revoke it first, and links
	// to the group's devices; once it is revoked, the group goes with it.
	d := e.enrol("G3", "kiosk", "K-1", "")
	r = b.get(Prefix + "/groups/G3/delete")
	r.expect(t, "confirm G3 with a device", http.StatusOK, enText("groups.delete.devices", 1, 0), `href="/console/devices?group=G3"`)
	r.lacks(t, "confirm G3 with a device", `action="/console/groups/G3/delete"`, `action="/console/groups/G3/delete-with-users"`)
	b.get(Prefix+"/groups/G3").expect(t, "G3 with a device", http.StatusOK, enText("groups.devices"), "<dd>1</dd>")
	b.post(Prefix+"/groups/G3/delete", nil).expect(t, "delete G3 with a device", http.StatusConflict, msgText(meibo.English, "group.not_empty", "G3", 0, 1))
	if err := e.svc.RevokeDevice(e.sys, d.ID); err != nil {
		t.Fatal(err)
	}

	// An empty group is, revoked devices with it.
	b.get(Prefix+"/groups/G3/delete").expect(t, "confirm G3", http.StatusOK, enText("groups.delete.confirm", "G3", "G3"))
	r = b.post(Prefix+"/groups/G3/delete", nil)
	r = b.redirected("delete G3", r, Prefix+"/groups?done=groups.deleted")
	r.expect(t, "after delete", http.StatusOK, enText("done.groups.deleted"))
	r.lacks(t, "after delete", `href="/console/groups/G3"`)
	b.get(Prefix+"/groups/G3").expect(t, "deleted group", http.StatusNotFound, msgText(meibo.English, "group.not_found", "G3"))
	if _, err := e.svc.Device(e.sys, d.ID); meibo.ErrorCode(err) != meibo.CodeNotFound {
		t.Errorf("the revoked device of a deleted group: %v", err)
	}

	// Missing pages.
	for _, p := range []string{"/groups/NOPE", "/groups/NOPE/delete", "/groups/G1/profiles/999999", "/groups/G1/profiles/x",
		"/groups/NOPE/profiles/new", "/groups/G1/nothing"} {
		b.get(Prefix+p).expect(t, p, http.StatusNotFound)
	}

	// Without the session's token, nothing changes.
	r = b.send("POST", Prefix+"/groups", url.Values{"id": {"G8"}})
	r.expect(t, "no CSRF token", http.StatusForbidden, enText("error.csrf"))
	r = b.send("POST", Prefix+"/groups/G2/delete", url.Values{"csrf": {"forged"}})
	r.expect(t, "a wrong CSRF token", http.StatusForbidden)
	if _, err := e.svc.Group(e.sys, "G8"); meibo.ErrorCode(err) != meibo.CodeNotFound {
		t.Errorf("G8 created without a token: %v", err)
	}
	if _, err := e.svc.Group(e.sys, "G2"); err != nil {
		t.Errorf("G2 deleted with a forged token: %v", err)
	}
}

func TestGroupsDepartment(t *testing.T) {
	e := newEnv(t)
	b := e.admin("dept")

	r := b.get(Prefix + "/groups")
	r.expect(t, "groups", http.StatusOK, `href="/console/groups/G1"`)
	r.lacks(t, "groups", `href="/console/groups/G2"`, `action="/console/groups"`, enText("groups.new"))

	// The form is hidden, and the service refuses anyway.
	r = b.post(Prefix+"/groups", url.Values{"id": {"G9"}})
	r.expect(t, "create", http.StatusForbidden, msgText(meibo.English, "forbidden.department"))
	if _, err := e.svc.Group(e.sys, "G9"); meibo.ErrorCode(err) != meibo.CodeNotFound {
		t.Errorf("G9 created by a department administrator: %v", err)
	}

	// Its own group: renamed, not deleted; another group does not exist.
	r = b.get(Prefix + "/groups/G1")
	r.expect(t, "own group", http.StatusOK, `action="/console/groups/G1"`, enText("profiles.add"))
	r.lacks(t, "own group", enText("groups.delete.button"))
	b.redirected("rename", b.post(Prefix+"/groups/G1", url.Values{"name": {"Mine"}}), Prefix+"/groups/G1?done=groups.renamed")
	b.post(Prefix+"/groups/G1/delete", nil).expect(t, "delete own group", http.StatusForbidden)
	b.get(Prefix+"/groups/G2").expect(t, "other group", http.StatusNotFound)
	b.post(Prefix+"/groups/G2", url.Values{"name": {"x"}}).expect(t, "rename other group", http.StatusNotFound)
	b.get(Prefix+"/groups/G2/profiles/new").expect(t, "other group's profiles", http.StatusNotFound)

	// Without the console, the pages of groups are refused.
	v := e.admin("viewer")
	v.get(Prefix+"/groups").expect(t, "log viewer", http.StatusForbidden)
	v.get(Prefix+"/groups/G1").expect(t, "log viewer, a group", http.StatusForbidden)
	v.get(Prefix+"/").lacks(t, "log viewer's navigation", `href="/console/groups"`)
}

func TestProfilePages(t *testing.T) {
	e := newEnv(t)
	b := e.admin("manager")
	profile := func(name string) *meibo.Profile {
		t.Helper()
		ps, err := e.svc.Profiles(e.sys, "G1")
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range ps {
			if p.Name == name {
				return p
			}
		}
		return nil
	}

	r := b.get(Prefix + "/groups/G1/profiles/new")
	r.expect(t, "new", http.StatusOK, enText("profiles.new.title"), `value="lock" checked`, `value="wipe" checked`, `name="apiAccess" value="1" checked`)
	b.lang = "ja"
	b.get(Prefix+"/groups/G1/profiles/new").expect(t, "new in Japanese", http.StatusOK, jaText("profiles.new.title"),
		jaText("profiles.action.lock"), jaText("profiles.action.wipe"), jaText("profiles.api.long"))
	b.lang = ""

	// Add.
	r = b.post(Prefix+"/groups/G1/profiles", url.Values{"name": {"kiosk"}, "actions": {"locate", "lock"}})
	r = b.redirected("add", r, Prefix+"/groups/G1?done=profiles.created")
	r.expect(t, "group page", http.StatusOK, "kiosk", enText("done.profiles.created"), enText("profiles.action.locate"))
	p := profile("kiosk")
	if p == nil || !slices.Equal(p.Actions, []meibo.Action{meibo.ActionLock, meibo.ActionLocate}) || p.APIAccess || p.Default {
		t.Fatalf("kiosk: %+v", p)
	}
	id := strconv.FormatInt(p.ID, 10)

	// Refused forms keep what was typed.
	r = b.post(Prefix+"/groups/G1/profiles", url.Values{"name": {" "}, "actions": {"ring"}, "apiAccess": {"1"}})
	r.expect(t, "blank name", http.StatusUnprocessableEntity, `value="ring" checked`, `name="apiAccess" value="1" checked`,
		`<div class="field-error" id="name-error">`+msgText(meibo.English, "required")+`</div>`)
	r.lacks(t, "blank name", `value="lock" checked`, `value="wipe" checked`)
	r = b.post(Prefix+"/groups/G1/profiles", url.Values{"name": {"kiosk"}, "actions": {"wipe"}})
	r.expect(t, "taken name", http.StatusUnprocessableEntity, `value="kiosk"`, `value="wipe" checked`,
		`<div class="field-error" id="name-error">`+msgText(meibo.English, "profile.exists", "kiosk")+`</div>`)
	r = b.post(Prefix+"/groups/G1/profiles", url.Values{"name": {"odd"}, "actions": {"explode"}})
	r.expect(t, "unknown action", http.StatusUnprocessableEntity, `id="actions-error"`, msgText(meibo.English, "profile.action", "explode"))

	// Edit.
	r = b.get(Prefix + "/groups/G1/profiles/" + id)
	r.expect(t, "edit", http.StatusOK, `value="kiosk"`, `value="lock" checked`, `value="locate" checked`)
	r.lacks(t, "edit", `value="wipe" checked`, `name="apiAccess" value="1" checked`)
	r = b.post(Prefix+"/groups/G1/profiles/"+id, url.Values{"name": {"field"}, "actions": {"wipe"}, "apiAccess": {"1"}})
	b.redirected("save", r, Prefix+"/groups/G1?done=profiles.saved").expect(t, "saved", http.StatusOK, enText("done.profiles.saved"), "field")
	if p := profile("field"); p == nil || !slices.Equal(p.Actions, []meibo.Action{meibo.ActionWipe}) || !p.APIAccess {
		t.Errorf("field: %+v", p)
	}
	r = b.post(Prefix+"/groups/G1/profiles/"+id, url.Values{"name": {strings.Repeat("x", 65)}, "actions": {"ring"}})
	r.expect(t, "long name", http.StatusUnprocessableEntity, `value="`+strings.Repeat("x", 65)+`"`, `value="ring" checked`,
		msgText(meibo.English, "too_long", 64))

	// A profile is reached only under its own group.
	b.get(Prefix+"/groups/G2/profiles/"+id).expect(t, "under another group", http.StatusNotFound)
	b.post(Prefix+"/groups/G2/profiles/"+id+"/delete", nil).expect(t, "deleted under another group", http.StatusNotFound)

	// The default profile and a profile in use are not deleted.
	def := profile(meibo.DefaultProfileName)
	r = b.get(Prefix + "/groups/G1")
	r.lacks(t, "group page", `/profiles/`+strconv.FormatInt(def.ID, 10)+`/delete"`)
	r.expect(t, "group page", http.StatusOK, `/profiles/`+id+`/delete"`)
	r = b.post(Prefix+"/groups/G1/profiles/"+strconv.FormatInt(def.ID, 10)+"/delete", nil)
	r.expect(t, "delete default", http.StatusConflict, msgText(meibo.English, "profile.default"))
	if _, err := e.svc.CreateUser(e.sys, "G1", service.UserInput{Name: "bob", Profile: "field"}); err != nil {
		t.Fatal(err)
	}
	b.lang = "ja"
	r = b.post(Prefix+"/groups/G1/profiles/"+id+"/delete", nil)
	r.expect(t, "delete in use", http.StatusConflict, msgText(meibo.Japanese, "profile.in_use", "field", 1), jaText("profiles.delete.title"))
	b.lang = ""
	if profile("field") == nil {
		t.Fatal("a profile in use was deleted")
	}

	// An unused one is.
	tmp, err := e.svc.CreateProfile(e.sys, "G1", meibo.Profile{Name: "temp"})
	if err != nil {
		t.Fatal(err)
	}
	tid := strconv.FormatInt(tmp.ID, 10)
	b.get(Prefix+"/groups/G1/profiles/"+tid+"/delete").expect(t, "confirm", http.StatusOK, enText("profiles.delete.confirm", "temp", "G1"))
	r = b.post(Prefix+"/groups/G1/profiles/"+tid+"/delete", nil)
	b.redirected("delete", r, Prefix+"/groups/G1?done=profiles.deleted").expect(t, "deleted", http.StatusOK, enText("done.profiles.deleted"))
	if profile("temp") != nil {
		t.Error("temp was not deleted")
	}

	// The address a refused form was posted to leads back to the group.
	r = b.get(Prefix + "/groups/G1/profiles")
	if r.status != http.StatusSeeOther || r.header.Get("Location") != Prefix+"/groups/G1#profiles" {
		t.Errorf("GET profiles: %d %s", r.status, r.header.Get("Location"))
	}

	// Without the token, nothing changes.
	b.send("POST", Prefix+"/groups/G1/profiles", url.Values{"name": {"sneaky"}}).expect(t, "no token", http.StatusForbidden)
	if profile("sneaky") != nil {
		t.Error("a profile was added without a token")
	}
}
