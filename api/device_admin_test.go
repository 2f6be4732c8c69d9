package api_test

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/service"
	"github.com/meibo/meibo/store/storetest"
)

// The tests of the device protocol and the administrators' device API.
// Every name here starts with "dx".

// dxAdmins are administrators of the device API besides those of apiAdmins.
var dxAdmins = map[string]meibo.Authorities{
	"devadmin":  meibo.NewAuthorities(meibo.AuthConsole, meibo.AuthDevices),
	"emergency": meibo.NewAuthorities(meibo.AuthConsole, meibo.AuthDevices, meibo.AuthEmergency, meibo.AuthImport, meibo.AuthExport),
	"devdept":   meibo.NewAuthorities(meibo.AuthConsole, meibo.AuthDepartment, meibo.AuthDevices, meibo.AuthDevicesOnly, meibo.AuthEmergency, meibo.AuthImport),
}

// newDxEnv is the API of newAPIEnv with the administrators of dxAdmins
// (devdept manages G1 only) and two enrolled devices: {d1} in G1 (alice's,
// its secret as the token "d1") and {d2} in G2 (token "d2").
func newDxEnv(t *testing.T, engine string) *apiEnv {
	t.Helper()
	e := newAPIEnv(t, engine)
	for name, auth := range dxAdmins {
		in := service.AdminInput{LoginID: name, Name: name, Authorities: auth, Password: "Velvet-summit-88"}
		if auth.Has(meibo.AuthDepartment) {
			in.Groups = []string{"G1"}
		}
		if _, err := e.svc.CreateAdmin(e.sys, in); err != nil {
			t.Fatal(err)
		}
		tok, _, err := e.svc.CreateToken(e.sys, name, "test", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		e.tokens[name] = tok
	}
	for key, in := range map[string]struct{ group, name, serial, user string }{"d1": {"G1", "Tablet 1", "SN-1", "alice"}, "d2": {"G2", "Other", "SN-2", ""}} {
		token, _, err := e.svc.CreateEnrolmentToken(e.sys, in.group, in.user, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		r := e.do("POST", "/device/v1/enrol", "", `{"token":"`+token+`","name":"`+in.name+`","serial":"`+in.serial+`","platform":"test"}`, nil)
		var out struct {
			ID     int64  `json:"deviceId"`
			Secret string `json:"secret"`
		}
		if r.status != http.StatusCreated || json.Unmarshal([]byte(r.body), &out) != nil || !strings.HasPrefix(out.Secret, "mbd_") {
			t.Fatalf("enrol %s: %s", in.name, r)
		}
		e.ids[key] = strconv.FormatInt(out.ID, 10)
		e.tokens[key] = out.Secret
	}
	return e
}

// dxID reads "id" from a JSON answer.
func dxID(t *testing.T, r response) string {
	t.Helper()
	var out struct {
		ID int64 `json:"id"`
	}
	if err := json.Unmarshal([]byte(r.body), &out); err != nil || out.ID == 0 {
		t.Fatalf("no id in %s", r)
	}
	return strconv.FormatInt(out.ID, 10)
}

// TestDeviceAPIGates: viewing needs 6, changing 33, commands 36; a
// department administrator is told another group's devices do not exist.
func TestDeviceAPIGates(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newDxEnv(t, engine)
		for _, sc := range []scenario{
			{name: "list by 6", method: "GET", path: "/api/v1/groups/G1/devices", as: "manager", status: 200, expect: []string{`"name":"Tablet 1"`, `"user":"alice"`}, notExpect: []string{"Other", "secret"}},
			{name: "list by a log viewer", method: "GET", path: "/api/v1/groups/G1/devices", as: "viewer", status: 403},
			{name: "list without viewing", method: "GET", path: "/api/v1/groups/G1/devices", as: "blind", status: 403},
			{name: "device by 6", method: "GET", path: "/api/v1/devices/{d1}", as: "manager", status: 200, expect: []string{`"serial":"SN-1"`}},
			{name: "commands by 6", method: "GET", path: "/api/v1/devices/{d1}/commands", as: "manager", status: 200, expect: []string{`"commands":[]`}},
			{name: "rename without 33", method: "PATCH", path: "/api/v1/devices/{d1}", as: "manager", body: `{"name":"Mine"}`, status: 403, expect: []string{`"code":"forbidden"`}},
			{name: "revoke without 33", method: "POST", path: "/api/v1/devices/{d1}/revoke", as: "manager", status: 403},
			{name: "tokens without 33", method: "GET", path: "/api/v1/groups/G1/enrolment-tokens", as: "manager", status: 403},
			{name: "make a token without 33", method: "POST", path: "/api/v1/groups/G1/enrolment-tokens", as: "manager", status: 403},
			{name: "command without 36", method: "POST", path: "/api/v1/devices/{d1}/commands", as: "devadmin", body: `{"action":"lock"}`, status: 403},
			{name: "command by 6", method: "POST", path: "/api/v1/devices/{d1}/commands", as: "manager", body: `{"action":"lock"}`, status: 403},
			{name: "assign by 33", method: "PATCH", path: "/api/v1/devices/{d1}", as: "devadmin", body: `{"user":""}`, status: 200, expect: []string{`"user":""`, `"userId":null`}},
			{name: "assign an unknown user", method: "PATCH", path: "/api/v1/devices/{d1}", as: "devadmin", body: `{"user":"ghost"}`, status: 422, expect: []string{`"user"`, "ghost"}},
			{name: "assign a user of another group", method: "PATCH", path: "/api/v1/devices/{d1}", as: "devadmin", body: `{"user":"zed"}`, status: 422},
			{name: "a blank name", method: "PATCH", path: "/api/v1/devices/{d1}", as: "devadmin", body: `{"name":""}`, status: 422},
			{name: "assign by 34", method: "PATCH", path: "/api/v1/devices/{d1}", as: "devdept", body: `{"user":"alice","name":"Tablet One"}`, status: 200, expect: []string{`"user":"alice"`, `"name":"Tablet One"`}},
			{name: "out of scope: device", method: "GET", path: "/api/v1/devices/{d2}", as: "devdept", status: 404, notExpect: []string{"Other"}},
			{name: "out of scope: list", method: "GET", path: "/api/v1/groups/G2/devices", as: "devdept", status: 404},
			{name: "out of scope: rename", method: "PATCH", path: "/api/v1/devices/{d2}", as: "devdept", body: `{"name":"Mine"}`, status: 404},
			{name: "out of scope: command", method: "POST", path: "/api/v1/devices/{d2}/commands", as: "devdept", body: `{"action":"lock"}`, status: 404},
			{name: "out of scope: commands", method: "GET", path: "/api/v1/devices/{d2}/commands", as: "devdept", status: 404},
			{name: "out of scope: revoke", method: "POST", path: "/api/v1/devices/{d2}/revoke", as: "devdept", status: 404},
			{name: "out of scope: tokens", method: "GET", path: "/api/v1/groups/G2/enrolment-tokens", as: "devdept", status: 404},
			{name: "out of scope: a token", method: "POST", path: "/api/v1/groups/G2/enrolment-tokens", as: "devdept", status: 404},
			{name: "unknown device", method: "GET", path: "/api/v1/devices/999999", as: "emergency", status: 404},
			{name: "an unknown action", method: "POST", path: "/api/v1/devices/{d1}/commands", as: "emergency", body: `{"action":"dance"}`, status: 422},
			{name: "a message without text", method: "POST", path: "/api/v1/devices/{d1}/commands", as: "emergency", body: `{"action":"message","message":" "}`, status: 422},
			{name: "a device's secret is no API token", method: "GET", path: "/api/v1/groups/G1/devices", as: "d1", status: 401},
			{name: "an API token is no device's secret", method: "POST", path: "/device/v1/checkin", as: "emergency", status: 401},
		} {
			t.Run(sc.name, func(t *testing.T) {
				e.t = t
				r := e.do(sc.method, sc.path, sc.as, sc.body, nil)
				if r.status != sc.status {
					t.Errorf("%s %s as %s: %s, want %d", sc.method, sc.path, sc.as, r, sc.status)
				}
				for _, s := range sc.expect {
					if !strings.Contains(r.body, s) {
						t.Errorf("the answer lacks %q: %s", s, r.body)
					}
				}
				for _, s := range sc.notExpect {
					if strings.Contains(r.body, s) {
						t.Errorf("the answer holds %q: %s", s, r.body)
					}
				}
			})
		}
	})
}

// TestEnrolmentTokenAPI: tokens are made (the token answered once), listed,
// used once, and deleted; used and expired tokens enrol nothing.
func TestEnrolmentTokenAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newDxEnv(t, engine)
		r := e.do("POST", "/api/v1/groups/G1/enrolment-tokens", "devadmin", `{"user":"alice","ttl":"2h"}`, nil)
		var made struct {
			Token     string    `json:"token"`
			ID        int64     `json:"id"`
			ExpiresAt time.Time `json:"expiresAt"`
		}
		if r.status != http.StatusCreated || json.Unmarshal([]byte(r.body), &made) != nil || !strings.HasPrefix(made.Token, "mbe_") {
			t.Fatalf("make: %s", r)
		}
		if d := time.Until(made.ExpiresAt); d < time.Hour || d > 3*time.Hour {
			t.Errorf("expires in %s", d)
		}
		e.ids["k"] = strconv.FormatInt(made.ID, 10)
		r = e.do("GET", "/api/v1/groups/g1/enrolment-tokens", "devadmin", "", nil)
		if r.status != 200 || !strings.Contains(r.body, `"id":`+e.ids["k"]) || !strings.Contains(r.body, `"createdBy":"devadmin"`) || strings.Contains(r.body, made.Token) {
			t.Errorf("list: %s", r)
		}
		for _, bad := range []string{`{"ttl":"forever"}`, `{"ttl":"-1h"}`, `{"user":"ghost"}`, `{"user":"zed"}`} {
			if r := e.do("POST", "/api/v1/groups/G1/enrolment-tokens", "devadmin", bad, nil); r.status != 400 && r.status != 422 {
				t.Errorf("make %s: %s", bad, r)
			}
		}

		// Used once: it enrols alice's device, then nothing.
		enrol := func(token, name string) response {
			return e.do("POST", "/device/v1/enrol", "", `{"token":"`+token+`","name":"`+name+`"}`, nil)
		}
		r = enrol(made.Token, "Phone")
		if r.status != 201 || !strings.Contains(r.body, `"user":"alice"`) || !strings.Contains(r.body, `"group":"G1"`) {
			t.Fatalf("enrol: %s", r)
		}
		if r := enrol(made.Token, "Phone again"); r.status != 401 || !strings.Contains(r.body, "enrolment token is not valid") {
			t.Errorf("a used token: %s", r)
		}
		for _, tok := range []string{"", "mbe_made-up", "mbo_not-an-enrolment-token"} {
			if r := enrol(tok, "Phone"); r.status != 401 {
				t.Errorf("token %q: %s", tok, r)
			}
		}
		// Expired.
		r = e.do("POST", "/api/v1/groups/G1/enrolment-tokens", "devadmin", `{"ttl":"1ms"}`, nil)
		var short struct {
			Token string `json:"token"`
		}
		if r.status != 201 || json.Unmarshal([]byte(r.body), &short) != nil {
			t.Fatalf("make a short one: %s", r)
		}
		time.Sleep(20 * time.Millisecond)
		if r := enrol(short.Token, "Late"); r.status != 401 {
			t.Errorf("an expired token: %s", r)
		}
		// Deleted: gone from the list, enrols nothing.
		r = e.do("POST", "/api/v1/groups/G1/enrolment-tokens", "devadmin", "", nil)
		var third struct {
			Token string `json:"token"`
			ID    int64  `json:"id"`
		}
		if r.status != 201 || json.Unmarshal([]byte(r.body), &third) != nil {
			t.Fatalf("make a third: %s", r)
		}
		e.ids["k3"] = strconv.FormatInt(third.ID, 10)
		if r := e.do("DELETE", "/api/v1/groups/G2/enrolment-tokens/{k3}", "devadmin", "", nil); r.status != 404 {
			t.Errorf("delete in another group: %s", r)
		}
		if r := e.do("DELETE", "/api/v1/groups/G1/enrolment-tokens/{k3}", "devadmin", "", nil); r.status != 204 {
			t.Errorf("delete: %s", r)
		}
		if r := e.do("DELETE", "/api/v1/groups/G1/enrolment-tokens/{k3}", "devadmin", "", nil); r.status != 404 {
			t.Errorf("delete again: %s", r)
		}
		if r := enrol(third.Token, "Never"); r.status != 401 {
			t.Errorf("a deleted token: %s", r)
		}
		if r := e.do("GET", "/api/v1/groups/G1/enrolment-tokens", "devadmin", "", nil); strings.Contains(r.body, `"id":`+e.ids["k3"]+`,`) {
			t.Errorf("the deleted token is listed: %s", r)
		}
	})
}

// TestDeviceProtocol: a check-in waits for a command queued meanwhile and
// returns it at once; results are recorded; a cancelled command is never
// delivered; a wipe done revokes the device; a revoked device is 401.
func TestDeviceProtocol(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newDxEnv(t, engine)
		// Nothing queued: a check-in without wait answers at once.
		r := e.do("POST", "/device/v1/checkin", "d1", `{"battery":77,"model":"X1"}`, nil)
		if r.status != 200 || r.body != `{"commands":[]}`+"\n" && r.body != `{"commands":[]}` {
			t.Fatalf("check-in: %s", r)
		}

		// A long poll returns as soon as a command is queued elsewhere.
		type answer struct {
			r       response
			elapsed time.Duration
		}
		done := make(chan answer, 1)
		start := time.Now()
		go func() {
			r := e.do("POST", "/device/v1/checkin?wait=20", "d1", "", nil)
			done <- answer{r, time.Since(start)}
		}()
		time.Sleep(300 * time.Millisecond)
		r = e.do("POST", "/api/v1/devices/{d1}/commands", "emergency", `{"action":"locate"}`, nil)
		if r.status != 202 || !strings.Contains(r.body, `"status":"queued"`) || !strings.Contains(r.body, `"requestedBy":"emergency"`) {
			t.Fatalf("queue: %s", r)
		}
		e.ids["c1"] = dxID(t, r)
		var a answer
		select {
		case a = <-done:
		case <-time.After(15 * time.Second):
			t.Fatal("the check-in did not return")
		}
		if a.r.status != 200 || !strings.Contains(a.r.body, `"id":`+e.ids["c1"]) || !strings.Contains(a.r.body, `"action":"locate"`) {
			t.Fatalf("long poll: %s", a.r)
		}
		if a.elapsed > 5*time.Second {
			t.Errorf("the command took %s to arrive", a.elapsed)
		}
		r = e.do("GET", "/api/v1/devices/{d1}/commands", "manager", "", nil)
		if !strings.Contains(r.body, `"status":"delivered"`) || !strings.Contains(r.body, `"deliveredAt":"`) {
			t.Errorf("after delivery: %s", r)
		}
		// Too late to cancel.
		if r := e.do("POST", "/api/v1/commands/{c1}/cancel", "emergency", "", nil); r.status != 409 {
			t.Errorf("cancel a delivered command: %s", r)
		}

		// The result, with the position found.
		if r := e.do("POST", "/device/v1/commands/{c1}/result", "d2", `{"status":"done"}`, nil); r.status != 404 {
			t.Errorf("another device's result: %s", r)
		}
		if r := e.do("POST", "/device/v1/commands/{c1}/result", "d1", `{"status":"maybe"}`, nil); r.status != 422 {
			t.Errorf("a made-up status: %s", r)
		}
		r = e.do("POST", "/device/v1/commands/{c1}/result", "d1", `{"status":"done","result":"found","location":{"lat":35.5,"lon":139.5,"accuracy":8}}`, nil)
		if r.status != 200 || !strings.Contains(r.body, `"status":"done"`) {
			t.Fatalf("result: %s", r)
		}
		if r := e.do("POST", "/device/v1/commands/{c1}/result", "d1", `{"status":"done"}`, nil); r.status != 409 {
			t.Errorf("a second result: %s", r)
		}
		r = e.do("GET", "/api/v1/devices/{d1}", "manager", "", nil)
		if !strings.Contains(r.body, `"lat":35.5`) || !strings.Contains(r.body, `"battery":77`) || !strings.Contains(r.body, `"model":"X1"`) {
			t.Errorf("device after the result: %s", r)
		}

		// Queued, then cancelled: never delivered.
		r = e.do("POST", "/api/v1/devices/{d1}/commands", "emergency", `{"action":"message","message":"Hello"}`, nil)
		e.ids["c2"] = dxID(t, r)
		if r := e.do("POST", "/api/v1/commands/{c2}/cancel", "devadmin", "", nil); r.status != 403 {
			t.Errorf("cancel without 36: %s", r)
		}
		if r := e.do("POST", "/api/v1/commands/{c2}/cancel", "emergency", "", nil); r.status != 200 || !strings.Contains(r.body, `"status":"cancelled"`) {
			t.Errorf("cancel: %s", r)
		}
		if r := e.do("POST", "/api/v1/commands/{c2}/cancel", "emergency", "", nil); r.status != 409 {
			t.Errorf("cancel twice: %s", r)
		}
		if r := e.do("POST", "/device/v1/checkin", "d1", "", nil); !strings.Contains(r.body, `"commands":[]`) {
			t.Errorf("a cancelled command was delivered: %s", r)
		}

		// A wipe done revokes the device: its secret stops working.
		r = e.do("POST", "/api/v1/devices/{d1}/commands", "devdept", `{"action":"wipe"}`, nil)
		if r.status != 202 {
			t.Fatalf("wipe: %s", r)
		}
		e.ids["c3"] = dxID(t, r)
		if r := e.do("POST", "/device/v1/checkin", "d1", "", nil); !strings.Contains(r.body, `"action":"wipe"`) {
			t.Fatalf("the wipe was not delivered: %s", r)
		}
		if r := e.do("POST", "/device/v1/commands/{c3}/result", "d1", `{"status":"done","result":"wiped"}`, nil); r.status != 200 {
			t.Fatalf("wipe result: %s", r)
		}
		if r := e.do("POST", "/device/v1/checkin", "d1", "", nil); r.status != 401 || !strings.Contains(r.body, `"code":"unauthorized"`) {
			t.Errorf("a wiped device checks in: %s", r)
		}
		r = e.do("GET", "/api/v1/devices/{d1}", "manager", "", nil)
		if strings.Contains(r.body, `"revokedAt":null`) {
			t.Errorf("the wiped device is not revoked: %s", r)
		}
		if r := e.do("POST", "/api/v1/devices/{d1}/commands", "emergency", `{"action":"lock"}`, nil); r.status != 409 {
			t.Errorf("a command to a revoked device: %s", r)
		}
	})
}

// TestDeviceRevokeAPI: revoking cancels queued commands and makes the
// device's check-in 401; the list hides revoked devices unless asked.
func TestDeviceRevokeAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newDxEnv(t, engine)
		r := e.do("POST", "/api/v1/devices/{d1}/commands", "emergency", `{"action":"ring"}`, nil)
		e.ids["c"] = dxID(t, r)
		if r := e.do("POST", "/api/v1/devices/{d1}/revoke", "devadmin", "", nil); r.status != 204 {
			t.Fatalf("revoke: %s", r)
		}
		if r := e.do("POST", "/device/v1/checkin?wait=1", "d1", "", nil); r.status != 401 {
			t.Errorf("a revoked device checks in: %s", r)
		}
		if r := e.do("POST", "/device/v1/commands/{c}/result", "d1", `{"status":"done"}`, nil); r.status != 401 {
			t.Errorf("a revoked device reports: %s", r)
		}
		r = e.do("GET", "/api/v1/devices/{d1}/commands", "manager", "", nil)
		if !strings.Contains(r.body, `"status":"cancelled"`) {
			t.Errorf("the queued command was not cancelled: %s", r)
		}
		if r := e.do("GET", "/api/v1/groups/G1/devices", "manager", "", nil); strings.Contains(r.body, "Tablet 1") {
			t.Errorf("a revoked device is listed: %s", r)
		}
		if r := e.do("GET", "/api/v1/groups/G1/devices?revoked=true", "manager", "", nil); !strings.Contains(r.body, "Tablet 1") {
			t.Errorf("the revoked device is not listed when asked: %s", r)
		}
		// Revoking again changes nothing; the other device still works.
		if r := e.do("POST", "/api/v1/devices/{d1}/revoke", "devadmin", "", nil); r.status != 204 {
			t.Errorf("revoke again: %s", r)
		}
		if r := e.do("POST", "/device/v1/checkin", "d2", "", nil); r.status != 200 {
			t.Errorf("the other device: %s", r)
		}
	})
}

// TestDevicesFileAPI: format=devices imports through the API (needs 33),
// and GET /exports/devices gives a file that imports back unchanged.
func TestDevicesFileAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newDxEnv(t, engine)
		e.startWorker()
		devices := func(group, file string) *upload {
			return &upload{fields: map[string]string{"format": "devices", "group": group}, fileName: "devices.csv", file: []byte(file)}
		}
		if r := e.do("POST", "/api/v1/imports", "manager", "", devices("G1", "serial,user\r\nSN-1,\r\n")); r.status != 403 {
			t.Errorf("import without 33: %s", r)
		}
		if r := e.do("POST", "/api/v1/imports", "devdept", "", devices("G2", "serial,user\r\nSN-2,\r\n")); r.status != 404 {
			t.Errorf("import out of scope: %s", r)
		}
		if r := e.do("POST", "/api/v1/imports", "emergency", "", devices("", "serial,user\r\nSN-1,\r\n")); r.status != 422 || !strings.Contains(r.body, `"group"`) {
			t.Errorf("import without a group: %s", r)
		}
		r := e.do("POST", "/api/v1/imports", "devdept", "", devices("G1", "serial,user\r\nSN-1,\r\n"))
		if r.status != 202 || !strings.Contains(r.body, `"format":"devices"`) {
			t.Fatalf("import: %s", r)
		}
		r = e.poll(dxID(t, r), "devdept")
		if !strings.Contains(r.body, `"status":"SUCCESS"`) || !strings.Contains(r.body, `"updated":1`) {
			t.Fatalf("job: %s", r)
		}
		if r := e.do("GET", "/api/v1/devices/{d1}", "manager", "", nil); !strings.Contains(r.body, `"user":""`) {
			t.Errorf("not unassigned: %s", r)
		}
		// A refused file names its row and column.
		r = e.do("POST", "/api/v1/imports", "emergency", "", devices("G1", "serial,user\r\nSN-1,alice\r\nSN-404,\r\n"))
		r = e.poll(dxID(t, r), "emergency")
		if !strings.Contains(r.body, `"status":"FAILED"`) || !strings.Contains(r.body, `"row":3`) || !strings.Contains(r.body, `"column":"serial"`) {
			t.Errorf("refused job: %s", r)
		}

		// Export: 32 and the group in scope.
		if r := e.do("GET", "/api/v1/exports/devices?group=G1", "devadmin", "", nil); r.status != 403 {
			t.Errorf("export without 32: %s", r)
		}
		if r := e.do("GET", "/api/v1/exports/devices", "emergency", "", nil); r.status != 422 {
			t.Errorf("export without a group: %s", r)
		}
		if r := e.do("GET", "/api/v1/exports/devices?group=G2", "dept", "", nil); r.status != 404 || strings.Contains(r.body, "SN-2") {
			t.Errorf("export out of scope: %s", r)
		}
		e.do("PATCH", "/api/v1/devices/{d1}", "devadmin", `{"user":"alice","name":"=Tablet"}`, nil)
		r = e.do("GET", "/api/v1/exports/devices?group=G1&bom=true", "emergency", "", nil)
		if r.status != 200 || r.body != "\xEF\xBB\xBFname,serial,user\r\n'=Tablet,SN-1,alice\r\n" {
			t.Fatalf("export: %s", r)
		}
		for h, v := range merge(downloadHeaders, map[string]string{"Content-Type": "text/csv; charset=utf-8"}) {
			if got := r.header.Get(h); !strings.HasPrefix(got, v) {
				t.Errorf("header %s: %q, want %q", h, got, v)
			}
		}
		if got := r.header.Get("Content-Disposition"); !strings.HasPrefix(got, "attachment; filename=devices-G1-") || !strings.HasSuffix(got, ".csv") {
			t.Errorf("file name: %s", got)
		}
		back := e.do("POST", "/api/v1/imports", "emergency", "", devices("G1", r.body))
		back = e.poll(dxID(t, back), "emergency")
		if !strings.Contains(back.body, `"status":"SUCCESS"`) || !strings.Contains(back.body, `"updated":0`) || !strings.Contains(back.body, `"unchanged":1`) {
			t.Errorf("export → import: %s", back)
		}
		r = e.do("GET", "/api/v1/exports/devices?group=G1&encoding=cp932", "emergency", "", nil)
		if r.status != 200 || r.header.Get("Content-Type") != "text/csv; charset=Shift_JIS" {
			t.Errorf("CP932 export: %s %s", r, r.header.Get("Content-Type"))
		}
	})
}
