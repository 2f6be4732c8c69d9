package console

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/meibo/meibo"
)

// jobDone follows a bulk job's page (at location, the answer's redirect)
// until the job has ended, and returns the page.
func (c *client) jobDone(location string) resp {
	c.e.t.Helper()
	id := strings.TrimPrefix(location, Prefix+"/imports/")
	if id == location {
		c.e.t.Fatalf("not a job's page: %q", location)
	}
	c.await(id)
	return c.get(location)
}

// TestDevicesBulk: the devices list offers bulk actions to those who may
// take them (a command only with the emergency authority); the
// confirmation counts the selection; a preview and the action become jobs;
// a department administrator cannot reach another group's devices.
func TestDevicesBulk(t *testing.T) {
	e := newEnv(t)
	dv := e.addDevices()
	e.startWorker()
	tablet, phone := strconv.FormatInt(dv.tablet.ID, 10), strconv.FormatInt(dv.phone.ID, 10)

	// Management Console alone: no selection, refused.
	m := e.admin("manager")
	m.get(Prefix+"/devices?group=G1").lacks(t, "manager list", `data-bulk-row`, `action="/console/devices/bulk"`)
	m.post(Prefix+"/devices/bulk", url.Values{"group": {"G1"}, "action": {"devices.revoke"}, "id": {tablet}}).
		expect(t, "manager bulk", http.StatusForbidden)

	// 33: revokes, sends no command.
	d := e.admin("devices")
	r := d.get(Prefix + "/devices?group=G1")
	r.expect(t, "devices list", http.StatusOK, `action="/console/devices/bulk"`, `name="id" value="`+tablet+`" form="bulk" data-bulk-row`,
		enText("bulk.devices.all", "2"), `<option value="devices.revoke"`)
	r.lacks(t, "devices list", `<option value="devices.command"`)
	d.post(Prefix+"/devices/bulk", url.Values{"group": {"G1"}, "action": {"devices.command"}, "command": {"lock"}, "all": {"1"}, "go": {"run"}}).
		expect(t, "33 locks all", http.StatusForbidden)

	// 36: the confirmation of "all matching" counts the keyword's devices
	// and carries no IDs.
	x := e.admin("emergency")
	x.get(Prefix+"/devices?group=G1").expect(t, "emergency list", http.StatusOK, `<option value="devices.command"`, `<option value="lock"`)
	r = x.post(Prefix+"/devices/bulk", url.Values{"group": {"G1"}, "q": {"phone"}, "action": {"devices.command"}, "command": {"ring"}, "all": {"1"}})
	r.expect(t, "confirm all", http.StatusOK, enText("bulk.devices.confirm.all", "1"), enText("bulk.confirm.keyword", "phone"),
		`<option value="ring" selected>`, `<option value="devices.command" selected>`, `name="q" value="phone"`, enText("bulk.devices.run", "1"))
	r.lacks(t, "confirm all", `name="id"`)
	r = x.post(Prefix+"/devices/bulk", url.Values{"group": {"G1"}, "action": {"devices.revoke"}})
	r.expect(t, "nothing selected", http.StatusUnprocessableEntity, msgText(meibo.English, "bulk.selection"))
	r = x.post(Prefix+"/devices/bulk", url.Values{"group": {"G1"}, "action": {"devices.command"}, "command": {"message"}, "message": {""},
		"id": {tablet}, "go": {"run"}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("a message without words: %d %s", r.status, r.body)
	}
	job := x.jobDone(r.header.Get("Location"))
	job.expect(t, "empty message", http.StatusOK, "FAILED", msgText(meibo.English, "command.message"))

	// A preview queues nothing; the run queues a ring for each.
	for _, goes := range []string{"preview", "run"} {
		r = x.post(Prefix+"/devices/bulk", url.Values{"group": {"G1"}, "action": {"devices.command"}, "command": {"ring"}, "id": {tablet, phone}, "go": {goes}})
		if r.status != http.StatusSeeOther {
			t.Fatalf("%s: %d %s", goes, r.status, r.body)
		}
		x.jobDone(r.header.Get("Location")).expect(t, goes, http.StatusOK, "SUCCESS", `data-field="updated">2<`)
		cs, err := e.svc.DeviceCommands(e.sys, dv.phone.ID, 0)
		if err != nil {
			t.Fatal(err)
		}
		if want := map[string]int{"preview": 0, "run": 1}[goes]; len(cs) != want {
			t.Errorf("after the %s: %d commands, want %d", goes, len(cs), want)
		}
	}

	// Another group's device, named by ID, refuses the whole job; another
	// group, for a department administrator, does not exist.
	r = x.post(Prefix+"/devices/bulk", url.Values{"group": {"G1"}, "action": {"devices.revoke"}, "id": {tablet, strconv.FormatInt(dv.other.ID, 10)}, "go": {"run"}})
	x.jobDone(r.header.Get("Location")).expect(t, "across groups", http.StatusOK, "FAILED")
	if e.device(dv.tablet.ID).RevokedAt != nil {
		t.Error("a refused job revoked the tablet")
	}
	e.admin("devonly").post(Prefix+"/devices/bulk", url.Values{"group": {"G2"}, "action": {"devices.revoke"}, "all": {"1"}}).
		expect(t, "devonly other group", http.StatusNotFound)
}
