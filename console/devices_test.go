package console

import (
	"encoding/json"
	"fmt"
	"html"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/service"
	"github.com/meibo/meibo/web"
)

// The tests of the devices pages.

func devicePath(d *meibo.Device) string { return Prefix + "/devices/" + strconv.FormatInt(d.ID, 10) }

// TestDevicePages: the list with its search and state, a device's page, and
// changing a device's name and user, in both languages; a refused form
// shows what was typed.
func TestDevicePages(t *testing.T) {
	e := newEnv(t)
	dv := e.addDevices()
	now := time.Now()
	if err := e.svc.Store().Update(e.sys, func(tx meibo.Tx) error {
		battery, locked := 81, true
		return tx.CheckInDevice(e.sys, dv.tablet.ID, meibo.DeviceStatus{Battery: &battery, Locked: &locked,
			Location: &meibo.Location{Latitude: 35.6812, Longitude: 139.7671, Accuracy: 12, At: now}}, now)
	}); err != nil {
		t.Fatal(err)
	}
	b := e.admin(meibo.BuiltinAdmin)

	r := b.get(Prefix + "/devices")
	r.expect(t, "list", http.StatusOK, enText("devices.title"), `href="`+devicePath(dv.tablet)+`"`, "Tablet 1", "SN-1", "alice", "Phone 2",
		"Model Tablet 1", "81%", enText("device.locked"), "35.68120, 139.76710 (±12 m)", enText("device.online"), enText("device.unassigned"),
		`data-navigate="/console/devices?group={id}"`, `<option value="G1" selected>`, `href="/console/devices/enrolment?group=G1"`,
		`href="/console/devices" aria-current="page">`+enText("nav.devices"))
	r.lacks(t, "list", "Other", "SN-O")

	// Search in name, serial, model and user.
	for q, want := range map[string]string{"tablet": "Tablet 1", "SN-2": "Phone 2", "model phone": "Phone 2", "ALICE": "Tablet 1"} {
		r = b.get(Prefix + "/devices?group=G1&q=" + url.QueryEscape(q))
		r.expect(t, "search "+q, http.StatusOK, want, `value="`+q+`"`)
		for _, other := range []string{"Tablet 1", "Phone 2"} {
			if other != want {
				r.lacks(t, "search "+q, `>`+other+`</a>`)
			}
		}
	}
	r = b.get(Prefix + "/devices?group=g1&q=nothing-like-it")
	r.expect(t, "no match", http.StatusOK, enText("devices.none.found"))

	// Revoked devices only when asked.
	gone := e.enrol("G1", "Retired 3", "SN-3", "")
	if err := e.svc.RevokeDevice(e.sys, gone.ID); err != nil {
		t.Fatal(err)
	}
	b.get(Prefix+"/devices?group=G1").lacks(t, "without revoked", "Retired 3")
	r = b.get(Prefix + "/devices?group=G1&revoked=1")
	r.expect(t, "with revoked", http.StatusOK, "Retired 3", enText("device.revoked"), `name="revoked" value="1" checked`)

	// The device's page.
	r = b.get(devicePath(dv.tablet))
	r.expect(t, "device", http.StatusOK, "Tablet 1", "SN-1", "Model Tablet 1", "81%", enText("device.edit"), `name="name" value="Tablet 1"`,
		`<select id="user" name="user"`, `<option value="alice" selected>alice (alice@example.org)</option>`, `<option value="bob">`,
		enText("device.send"), enText("device.wipe"), enText("device.commands.none"), `href="`+devicePath(dv.tablet)+`/revoke"`,
		`https://www.openstreetmap.org/?mlat=35.68120&amp;mlon=139.76710`, "/static/console-devices.", `href="/console/devices" aria-current="page"`)

	// Rename and reassign.
	r = b.post(devicePath(dv.tablet), url.Values{"name": {"Tablet One"}, "user": {"bob"}})
	r = b.redirected("save", r, devicePath(dv.tablet)+"?done=devices.saved")
	r.expect(t, "saved", http.StatusOK, enText("done.devices.saved"), "Tablet One", `<option value="bob" selected>`)
	if d := e.device(dv.tablet.ID); d.Name != "Tablet One" || d.UserName != "bob" {
		t.Errorf("after saving: %s / %s", d.Name, d.UserName)
	}
	// Unassign.
	b.redirected("unassign", b.post(devicePath(dv.tablet), url.Values{"name": {"Tablet One"}, "user": {""}}), devicePath(dv.tablet)+"?done=devices.saved")
	if d := e.device(dv.tablet.ID); d.UserID != nil {
		t.Errorf("still assigned to %s", d.UserName)
	}

	// A refused form shows the typed values and the messages by the fields.
	long := strings.Repeat("名", 65)
	r = b.post(devicePath(dv.tablet), url.Values{"name": {long}, "user": {"alice"}})
	r.expect(t, "long name", http.StatusUnprocessableEntity, `value="`+long+`"`, `<option value="alice" selected>`,
		`<div class="field-error" id="name-error">`+msgText(meibo.English, "too_long", 64)+`</div>`, `aria-invalid="true"`, `class="alert error"`)
	r = b.post(devicePath(dv.tablet), url.Values{"name": {"Typed <name>"}, "user": {"ghost"}})
	r.expect(t, "unknown user", http.StatusUnprocessableEntity, `value="Typed &lt;name&gt;"`,
		`<div class="field-error" id="user-error">`+msgText(meibo.English, "user.not_found", "ghost")+`</div>`)
	if d := e.device(dv.tablet.ID); d.Name != "Tablet One" {
		t.Errorf("a refused form changed the name to %q", d.Name)
	}

	// Japanese.
	b.lang = "ja"
	r = b.get(Prefix + "/devices?group=G1")
	r.expect(t, "list in Japanese", http.StatusOK, `lang="ja"`, jaText("devices.title"), jaText("device.checkin"), jaText("devices.enrol"))
	r.lacks(t, "list in Japanese", enText("device.checkin"))
	r = b.post(devicePath(dv.tablet), url.Values{"name": {""}, "user": {"bob"}})
	r.expect(t, "refused in Japanese", http.StatusUnprocessableEntity, jaText("device.edit"), `<option value="bob" selected>`,
		`<div class="field-error" id="name-error">`+msgText(meibo.Japanese, "required")+`</div>`)
	r = b.post(devicePath(dv.tablet), url.Values{"name": {"タブレット"}, "user": {"ghost"}})
	r.expect(t, "unknown user in Japanese", http.StatusUnprocessableEntity, `value="タブレット"`,
		`<div class="field-error" id="user-error">`+msgText(meibo.Japanese, "user.not_found", "ghost")+`</div>`)
	r = b.get(devicePath(dv.tablet))
	r.expect(t, "device in Japanese", http.StatusOK, jaText("device.send"), jaText("device.wipe.name", "Tablet One"))
}

// TestDeviceGates: what each administrator sees and may do.
func TestDeviceGates(t *testing.T) {
	e := newEnv(t)
	dv := e.addDevices()
	tablet, other := devicePath(dv.tablet), devicePath(dv.other)
	edit, send, enrol := enText("device.edit"), enText("device.send"), `href="/console/devices/enrolment?group=G1"`

	// Management Console alone: sees, changes nothing.
	m := e.admin("manager")
	m.get(Prefix+"/devices").expect(t, "manager list", http.StatusOK, "Tablet 1")
	m.get(Prefix+"/devices").lacks(t, "manager list", enrol)
	r := m.get(tablet)
	r.expect(t, "manager device", http.StatusOK, "Tablet 1", enText("device.commands"))
	r.lacks(t, "manager device", edit, send, "/revoke")
	m.post(tablet, url.Values{"name": {"Mine"}, "user": {""}}).expect(t, "manager saves", http.StatusForbidden)
	m.post(tablet+"/commands", url.Values{"action": {"lock"}}).expect(t, "manager locks", http.StatusForbidden)
	m.get(tablet+"/revoke").expect(t, "manager revoke page", http.StatusForbidden)
	m.post(tablet+"/revoke", nil).expect(t, "manager revokes", http.StatusForbidden)
	m.get(Prefix+"/devices/enrolment?group=G1").expect(t, "manager tokens", http.StatusForbidden)
	m.post(Prefix+"/devices/enrolment", url.Values{"group": {"G1"}, "lifetime": {"1h"}}).expect(t, "manager makes a token", http.StatusForbidden)

	// 33: manages devices, sends no command.
	d := e.admin("devices")
	d.get(Prefix+"/devices?group=G1").expect(t, "devices list", http.StatusOK, enrol)
	r = d.get(tablet)
	r.expect(t, "devices device", http.StatusOK, edit, "/revoke")
	r.lacks(t, "devices device", send)
	d.post(tablet+"/commands", url.Values{"action": {"lock"}}).expect(t, "33 locks", http.StatusForbidden)
	d.post(tablet+"/commands", url.Values{"action": {"wipe"}, "confirmName": {"wrong"}}).expect(t, "33 wipes", http.StatusForbidden)

	// 36: sends commands.
	x := e.admin("emergency")
	x.get(tablet).expect(t, "emergency device", http.StatusOK, edit, send)
	x.redirected("36 locks", x.post(tablet+"/commands", url.Values{"action": {"lock"}}), tablet+"?done=devices.command")

	// A department administrator: another group's device does not exist.
	for _, as := range []string{"dept", "devonly"} {
		b := e.admin(as)
		b.get(other).expect(t, as+" other device", http.StatusNotFound)
		b.get(Prefix+"/devices?group=G2").expect(t, as+" other group", http.StatusNotFound)
		b.post(other, url.Values{"name": {"Mine"}}).expect(t, as+" saves other", http.StatusNotFound)
		b.post(other+"/commands", url.Values{"action": {"lock"}}).expect(t, as+" locks other", http.StatusNotFound)
		b.get(other+"/commands").expect(t, as+" other commands", http.StatusNotFound)
		b.get(Prefix+"/devices/enrolment?group=G2").expect(t, as+" other tokens", http.StatusNotFound)
		b.get(Prefix+"/devices").lacks(t, as+" list", "Other", `<select id="group-pick"`)
	}
	if d := e.device(dv.other.ID); d.Name != "Other" {
		t.Errorf("the other group's device was renamed %q", d.Name)
	}

	// Restricted to device functions: the users of the group are not listed,
	// so the user's name is typed, and checked.
	o := e.admin("devonly")
	r = o.get(tablet)
	r.expect(t, "devonly device", http.StatusOK, `<input type="text" id="user" name="user" value="alice"`, enText("device.user.hint"), send)
	r.lacks(t, "devonly device", `<select id="user"`, "alice@example.org")
	r = o.post(tablet, url.Values{"name": {"Tablet 1"}, "user": {"zed"}})
	r.expect(t, "devonly unknown user", http.StatusUnprocessableEntity, `name="user" value="zed"`,
		`<div class="field-error" id="user-error">`+msgText(meibo.English, "user.not_found", "zed")+`</div>`)
	o.redirected("devonly assigns", o.post(tablet, url.Values{"name": {"Tablet 1"}, "user": {"bob"}}), tablet+"?done=devices.saved")
	if d := e.device(dv.tablet.ID); d.UserName != "bob" {
		t.Errorf("devonly assigned %q", d.UserName)
	}

	// No viewing authority: nothing; not signed in: the sign-in page.
	e.admin("blind").get(Prefix+"/devices").expect(t, "blind", http.StatusForbidden)
	anon := &client{e: e, c: &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	if r := anon.get(tablet); r.status != http.StatusSeeOther || !strings.HasPrefix(r.header.Get("Location"), Prefix+"/signin") {
		t.Errorf("signed out: %d %s", r.status, r.header.Get("Location"))
	}
	// Without the session's token, nothing changes.
	r = x.send("POST", tablet+"/commands", url.Values{"action": {"wipe"}, "confirmName": {"Tablet 1"}})
	r.expect(t, "no CSRF token", http.StatusForbidden, enText("error.csrf"))
	cmds, err := e.svc.DeviceCommands(e.sys, dv.tablet.ID, 0)
	if err != nil || len(cmds) != 1 || cmds[0].Action != meibo.ActionLock {
		t.Errorf("commands: %v %v", cmds, err)
	}
}

// TestDeviceCommands: sending, following and cancelling commands; a wipe
// needs the device's name typed out; revoking.
func TestDeviceCommands(t *testing.T) {
	e := newEnv(t)
	dv := e.addDevices()
	tablet := devicePath(dv.tablet)
	b := e.admin(meibo.BuiltinAdmin)

	b.redirected("lock", b.post(tablet+"/commands", url.Values{"action": {"lock"}}), tablet+"?done=devices.command")
	r := b.redirected("message", b.post(tablet+"/commands", url.Values{"action": {"message"}, "message": {"Call the office"}}),
		tablet+"?done=devices.command")
	r.expect(t, "history", http.StatusOK, enText("done.devices.command"), enText("device.action.lock"), enText("device.action.message"),
		"Call the office", enText("device.status.queued"), "admin", enText("device.requester.admin"), `data-final="false"`,
		enText("device.command.cancel"), `data-commands="`+tablet+`/commands"`)

	// A message needs a text: the form again, with the message next to it.
	r = b.post(tablet+"/commands", url.Values{"action": {"message"}, "message": {"  "}})
	r.expect(t, "empty message", http.StatusUnprocessableEntity, `<div class="field-error" id="message-error">`+msgText(meibo.English, "command.message")+`</div>`)
	r = b.post(tablet+"/commands", url.Values{"action": {"message"}, "message": {strings.Repeat("x", 501)}})
	r.expect(t, "long message", http.StatusUnprocessableEntity, strings.Repeat("x", 501)+`</textarea>`)
	b.post(tablet+"/commands", url.Values{"action": {"dance"}}).expect(t, "unknown action", http.StatusUnprocessableEntity)

	// A wipe needs the name typed out.
	for _, typed := range []string{"", "tablet 1", "Tablet 1 "} {
		r = b.post(tablet+"/commands", url.Values{"action": {"wipe"}, "confirmName": {typed}})
		r.expect(t, "wipe "+typed, http.StatusUnprocessableEntity, `<details class="dev-wipe" open>`,
			`<div class="field-error" id="confirmName-error">`+msgText(meibo.English, "command.wipe.name")+`</div>`)
	}
	b.lang = "ja"
	r = b.post(tablet+"/commands", url.Values{"action": {"wipe"}, "confirmName": {"x"}})
	r.expect(t, "wipe in Japanese", http.StatusUnprocessableEntity, msgText(meibo.Japanese, "command.wipe.name"))
	b.lang = ""
	cmds, _ := e.svc.DeviceCommands(e.sys, dv.tablet.ID, 0)
	if len(cmds) != 2 {
		t.Fatalf("%d commands after refused forms, want 2", len(cmds))
	}

	// The statuses as the page follows them.
	var body struct {
		Commands []struct {
			ID     int64  `json:"id"`
			Status string `json:"status"`
			Label  string `json:"label"`
			Final  bool   `json:"final"`
		} `json:"commands"`
	}
	r = b.get(tablet + "/commands")
	if r.status != http.StatusOK || json.Unmarshal([]byte(r.body), &body) != nil || len(body.Commands) != 2 ||
		body.Commands[0].Status != "queued" || body.Commands[0].Label != web.T(meibo.English, "device.status.queued") || body.Commands[0].Final {
		t.Fatalf("statuses: %d %s", r.status, r.body)
	}

	// Cancel the message; the lock is delivered and done.
	msg, lock := cmds[0], cmds[1]
	r = b.redirected("cancel", b.post(Prefix+"/commands/"+strconv.FormatInt(msg.ID, 10)+"/cancel", url.Values{"device": {strconv.FormatInt(dv.tablet.ID, 10)}}),
		tablet+"?done=devices.cancelled")
	r.expect(t, "cancelled", http.StatusOK, enText("device.status.cancelled"))
	dev, err := e.svc.AuthenticateDevice(e.sys, dv.secrets[dv.tablet.ID])
	if err != nil {
		t.Fatal(err)
	}
	got, err := e.svc.CheckIn(e.sys, dev, meibo.DeviceStatus{}, 0)
	if err != nil || len(got) != 1 || got[0].ID != lock.ID {
		t.Fatalf("check-in: %v %v", got, err)
	}
	// Too late to cancel what the device has taken.
	r = b.post(Prefix+"/commands/"+strconv.FormatInt(lock.ID, 10)+"/cancel", url.Values{"device": {strconv.FormatInt(dv.tablet.ID, 10)}})
	b.redirected("late cancel", r, tablet+"?done=devices.cancel.late").expect(t, "late", http.StatusOK, enText("done.devices.cancel.late"), enText("device.status.delivered"))
	locked := true
	if _, err := e.svc.ReportResult(e.sys, dev, lock.ID, service.CommandResult{Status: meibo.CommandDone, Result: "locked by test", Locked: &locked}); err != nil {
		t.Fatal(err)
	}
	r = b.get(tablet)
	r.expect(t, "done", http.StatusOK, enText("device.status.done"), "locked by test", enText("device.locked"))
	r.lacks(t, "done", `data-final="false"`)

	// The right name wipes.
	b.redirected("wipe", b.post(tablet+"/commands", url.Values{"action": {"wipe"}, "confirmName": {"Tablet 1"}}), tablet+"?done=devices.command")

	// Revoking: a confirmation, then the device cannot check in any more.
	r = b.get(tablet + "/revoke")
	r.expect(t, "revoke page", http.StatusOK, enText("device.revoke.title"), escapeHTML(web.T(meibo.English, "device.revoke.confirm", "Tablet 1", "G1")),
		`action="`+tablet+`/revoke"`)
	r = b.redirected("revoke", b.post(tablet+"/revoke", nil), tablet+"?done=devices.revoked")
	r.expect(t, "revoked", http.StatusOK, enText("done.devices.revoked"), enText("device.revoked"), enText("device.status.cancelled"))
	r.lacks(t, "revoked", enText("device.send"), enText("device.edit"))
	if _, err := e.svc.AuthenticateDevice(e.sys, dv.secrets[dv.tablet.ID]); meibo.ErrorCode(err) != meibo.CodeUnauthorized {
		t.Errorf("a revoked device authenticates: %v", err)
	}
	b.post(tablet+"/commands", url.Values{"action": {"lock"}}).expect(t, "lock a revoked device", http.StatusUnprocessableEntity,
		msgText(meibo.English, "device.revoked", "Tablet 1"))
}

var enrolTokenField = regexp.MustCompile(`id="dev-token" value="(mbe_[^"]+)"`)

// TestEnrolmentPage: tokens are made (shown once, with the agent's command
// line), listed and deleted; a refused form shows what was typed.
func TestEnrolmentPage(t *testing.T) {
	e := newEnv(t)
	e.addDevices()
	b := e.admin("emergency")
	page := Prefix + "/devices/enrolment"

	r := b.get(page + "?group=G1")
	r.expect(t, "tokens", http.StatusOK, enText("devices.enrol.title"), enText("devices.tokens"), `<option value="168h" selected>`,
		`<option value="alice">alice (alice@example.org)</option>`, enText("devices.token.used"))
	r.lacks(t, "tokens", `id="dev-token"`)

	r = b.post(page, url.Values{"group": {"G1"}, "user": {"alice"}, "lifetime": {"24h"}})
	r.expect(t, "made", http.StatusOK, enText("devices.token.made"), `id="dev-command" value="meibo agent --server `+e.srv.URL+` --token mbe_`,
		`data-copy="dev-token"`)
	m := enrolTokenField.FindStringSubmatch(r.body)
	if m == nil {
		t.Fatalf("no token in\n%s", r.body)
	}
	token := m[1]
	ks, err := e.svc.EnrolmentTokens(e.sys, "G1")
	if err != nil {
		t.Fatal(err)
	}
	k := ks[len(ks)-1]
	for _, x := range ks {
		if x.ID > k.ID {
			k = x
		}
	}
	if k.UserID == nil || k.ExpiresAt.Sub(k.CreatedAt) != 24*time.Hour {
		t.Errorf("token: %+v", k)
	}
	// Shown once: the list has it, not the token itself.
	r = b.get(page + "?group=G1")
	r.expect(t, "listed", http.StatusOK, "#"+strconv.FormatInt(k.ID, 10), enText("devices.token.active"), "<td data-label=\"Made by\">emergency</td>")
	r.lacks(t, "listed", token)

	// It enrols a device, assigned to alice.
	_, d, err := e.svc.Enrol(e.sys, service.EnrolInfo{Token: token, Name: "New phone"}, "192.0.2.9")
	if err != nil || d.UserName != "alice" || d.GroupID != "G1" {
		t.Fatalf("enrol: %+v %v", d, err)
	}
	b.get(page+"?group=G1").expect(t, "used", http.StatusOK, `href="`+devicePath(d)+`"`)

	// Delete.
	del := page + "/" + strconv.FormatInt(k.ID, 10) + "/delete"
	r = b.redirected("delete", b.post(del, url.Values{"group": {"G1"}}), page+"?group=G1&done=devices.token.deleted")
	r.expect(t, "deleted", http.StatusOK, enText("done.devices.token.deleted"))
	r.lacks(t, "deleted", "#"+strconv.FormatInt(k.ID, 10)+"<")
	b.post(del, url.Values{"group": {"G1"}}).expect(t, "deleted twice", http.StatusNotFound)

	// Refused: an unknown user (typed where users are not listed), a made-up
	// lifetime.
	o := e.admin("devonly")
	r = o.post(page, url.Values{"group": {"G1"}, "user": {"ghost"}, "lifetime": {"1h"}})
	r.expect(t, "unknown user", http.StatusUnprocessableEntity, `name="user" value="ghost"`, `<option value="1h" selected>`,
		`<div class="field-error" id="user-error">`+msgText(meibo.English, "user.not_found", "ghost")+`</div>`, `class="alert error"`)
	r.lacks(t, "unknown user", `id="dev-token"`)
	o.lang = "ja"
	r = o.post(page, url.Values{"group": {"G1"}, "user": {"ghost"}, "lifetime": {"forever"}})
	r.expect(t, "bad lifetime in Japanese", http.StatusUnprocessableEntity, `name="user" value="ghost"`, jaText("devices.enrol.title"),
		`<div class="field-error" id="lifetime-error">`)
	o.lang = ""
	// The department administrator's token, for their group.
	r = o.post(page, url.Values{"group": {"G1"}, "user": {""}, "lifetime": {"1h"}})
	r.expect(t, "devonly makes one", http.StatusOK, `id="dev-token" value="mbe_`)
	o.post(page, url.Values{"group": {"G2"}, "lifetime": {"1h"}}).expect(t, "devonly in G2", http.StatusNotFound)
	o.post(del, url.Values{"group": {"G2"}}).expect(t, "devonly deletes in G2", http.StatusNotFound)
}

// TestDeviceLabels checks that every label of the devices pages is there in
// English and Japanese, and that every label they use exists.
func TestDeviceLabels(t *testing.T) {
	labels := web.Labels()
	n := 0
	for key, l := range labels {
		if !strings.HasPrefix(key, "devices.") && !strings.HasPrefix(key, "device.") && !strings.HasPrefix(key, "done.devices.") {
			continue
		}
		n++
		if strings.TrimSpace(l[0]) == "" || strings.TrimSpace(l[1]) == "" {
			t.Errorf("%s: a language is missing: %q", key, l)
		}
		if l[0] == l[1] {
			t.Errorf("%s: the same in both languages: %q", key, l[0])
		}
		if strings.Count(l[0], "%") != strings.Count(l[1], "%") {
			t.Errorf("%s: not the same arguments: %q", key, l)
		}
	}
	if n < 80 {
		t.Errorf("only %d labels of the devices pages", n)
	}
	used := map[string]bool{"nav.devices": true}
	tmplKey := regexp.MustCompile(`\bt \$l "([^"]+)"`)
	for _, name := range []string{"devices", "device", "device_revoke", "device_enrol"} {
		b, err := fs.ReadFile(files, "templates/pages/"+name+".html")
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range tmplKey.FindAllStringSubmatch(string(b), -1) {
			used[m[1]] = true
		}
		if m := regexp.MustCompile(`(?i)<script>|<style|\sstyle=|\son[a-z]+=`).FindString(string(b)); m != "" {
			t.Errorf("%s.html: %q breaks the content security policy", name, m)
		}
	}
	for _, a := range meibo.AllActions {
		used["device.action."+string(a)] = true
	}
	for _, s := range []meibo.CommandStatus{meibo.CommandQueued, meibo.CommandDelivered, meibo.CommandDone, meibo.CommandFailed, meibo.CommandCancelled, meibo.CommandExpired} {
		used["device.status."+string(s)] = true
	}
	for _, k := range []string{meibo.ActorAdmin, meibo.ActorUser, meibo.ActorSystem} {
		used["device.requester."+k] = true
	}
	for _, s := range []string{"active", "used", "expired"} {
		used["devices.token."+s] = true
	}
	src, err := os.ReadFile("devices.go")
	if err != nil {
		t.Fatal(err)
	}
	redirectKey := regexp.MustCompile(`c\.redirect\(q, [^\n]*, "([^"]+)"\)`)
	for _, m := range redirectKey.FindAllStringSubmatch(string(src), -1) {
		used["done."+m[1]] = true
	}
	// The notices of redirects are labels under "done.", not by themselves;
	// messages of the domain are not labels.
	for _, m := range regexp.MustCompile(`"(devices?\.[a-z.]*[a-z])"`).FindAllStringSubmatch(redirectKey.ReplaceAllString(string(src), ""), -1) {
		if !meibo.HasMessage(m[1]) {
			used[m[1]] = true
		}
	}
	for key := range used {
		if l, ok := labels[key]; !ok || l[0] == "" || l[1] == "" {
			t.Errorf("label %q is used but not defined in both languages", key)
		}
	}
	for _, key := range []string{"done.devices.saved", "done.devices.revoked", "done.devices.token.deleted", "done.devices.cancel.late"} {
		if !used[key] {
			t.Errorf("the test did not find the notice %s in the sources", key)
		}
	}
}

// TestDeviceListPages: the list goes page by page in name order, the
// search and the revoked filter kept.
func TestDeviceListPages(t *testing.T) {
	e := newEnv(t)
	e.addDevices()
	for i := range devicesPage + 5 {
		e.enrol("G1", fmt.Sprintf("Kiosk %02d", i), "", "")
	}
	b := e.admin(meibo.BuiltinAdmin)
	r := b.get(Prefix + "/devices?group=G1&q=kiosk&revoked=1")
	r.expect(t, "first page", http.StatusOK, "Kiosk 00", "Kiosk 49", `rel="next"`)
	r.lacks(t, "first page", "Kiosk 50", enText("devices.first"))
	m := regexp.MustCompile(`rel="next" href="([^"]+)"`).FindStringSubmatch(r.body)
	if m == nil {
		t.Fatal("no link to the next page")
	}
	next := html.UnescapeString(m[1])
	if !strings.Contains(next, "q=kiosk") || !strings.Contains(next, "revoked=1") || !strings.Contains(next, "group=G1") {
		t.Errorf("the next page forgets the filter: %s", next)
	}
	r = b.get(next)
	r.expect(t, "second page", http.StatusOK, "Kiosk 50", "Kiosk 54", enText("devices.first"))
	r.lacks(t, "second page", "Kiosk 49", `rel="next"`)
	b.get(Prefix+"/devices?group=G1&after=nonsense").expect(t, "a bad cursor", http.StatusOK, "Kiosk 00")
}
