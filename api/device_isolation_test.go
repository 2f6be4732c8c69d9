package api_test

// The device protocol and the administrators' device API on every engine,
// from the side of isolation: a device acts only on its own commands and
// not at all once revoked; a department administrator is told that another
// group's devices do not exist. Every name here starts with "iso" (or
// "TestIso").

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/api"
	"github.com/meibo/meibo/argon2id"
	"github.com/meibo/meibo/service"
	"github.com/meibo/meibo/store/sqlstore"
	"github.com/meibo/meibo/store/storetest"
)

type isoEnv struct {
	t   *testing.T
	db  *sqlstore.DB
	svc *service.Service
	srv *httptest.Server
	sys context.Context
}

func newIsoEnv(t *testing.T, engine string) *isoEnv {
	t.Helper()
	h := argon2id.ForTests()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	db := storetest.Open(t, engine, nil)
	svc := service.New(db, service.Config{Hasher: h, Logger: log})
	t.Cleanup(svc.WaitAudits) // the audits of refused requests, before the store closes
	srv := newTestServer(t, api.WithRequestID(log, api.New(svc, api.Options{Logger: log})))
	t.Cleanup(srv.Close)
	e := &isoEnv{t: t, db: db, svc: svc, srv: srv, sys: meibo.WithActor(context.Background(), meibo.System("cli:test"))}
	for _, g := range []string{"G1", "G2"} {
		if _, err := svc.CreateGroup(e.sys, meibo.Group{ID: g}); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

// call sends a JSON request with a bearer secret and decodes the answer
// into out (when not nil).
func (e *isoEnv) call(method, path, secret, body string, out any) int {
	e.t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, e.srv.URL+path, r)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if secret != "" {
		req.Header.Set("Authorization", "Bearer "+secret)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	if out != nil && res.StatusCode < 300 {
		if err := json.Unmarshal(data, out); err != nil {
			e.t.Fatalf("%s %s: %v\n%s", method, path, err, data)
		}
	}
	return res.StatusCode
}

// enrol enrols a device of group through the protocol.
func (e *isoEnv) enrol(group, name string) (int64, string) {
	e.t.Helper()
	tok, _, err := e.svc.CreateEnrolmentToken(e.sys, group, "", 0)
	if err != nil {
		e.t.Fatal(err)
	}
	var out struct {
		DeviceID int64  `json:"deviceId"`
		Secret   string `json:"secret"`
	}
	if s := e.call("POST", "/device/v1/enrol", "", fmt.Sprintf(`{"token":%q,"name":%q,"serial":%q}`, tok, name, "SN-"+name), &out); s != http.StatusCreated {
		e.t.Fatalf("enrol %s: %d", name, s)
	}
	return out.DeviceID, out.Secret
}

type isoCommand struct {
	ID     int64  `json:"id"`
	Action string `json:"action"`
}

func (e *isoEnv) checkIn(secret string) (int, []isoCommand) {
	e.t.Helper()
	var out struct {
		Commands []isoCommand `json:"commands"`
	}
	s := e.call("POST", "/device/v1/checkin?wait=0", secret, `{"battery":80}`, &out)
	return s, out.Commands
}

// commands lists every command as stored.
func (e *isoEnv) commands() string {
	e.t.Helper()
	var b strings.Builder
	if err := e.db.View(context.Background(), func(tx meibo.Tx) error {
		cs, err := tx.Commands(context.Background(), meibo.CommandFilter{Limit: 500})
		for _, c := range cs {
			fmt.Fprintf(&b, "%d %d %s %s %q\n", c.ID, c.DeviceID, c.Action, c.Status, c.Result)
		}
		return err
	}); err != nil {
		e.t.Fatal(err)
	}
	return b.String()
}

// TestIsoDeviceProtocol: a device reports results only for its own
// commands; a revoked or wiped device is refused everywhere.
func TestIsoDeviceProtocol(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newIsoEnv(t, engine)
		x, xSecret := e.enrol("G1", "x")
		y, ySecret := e.enrol("G1", "y")
		z, zSecret := e.enrol("G2", "z")
		cy, err := e.svc.SendAdminCommand(e.sys, y, meibo.ActionLock, "")
		if err != nil {
			t.Fatal(err)
		}
		cz, err := e.svc.SendAdminCommand(e.sys, z, meibo.ActionLock, "")
		if err != nil {
			t.Fatal(err)
		}
		// x sees none of them.
		if s, cmds := e.checkIn(xSecret); s != http.StatusOK || len(cmds) != 0 {
			t.Fatalf("x checks in: %d %+v", s, cmds)
		}
		// y and z take theirs.
		if s, cmds := e.checkIn(ySecret); s != http.StatusOK || len(cmds) != 1 || cmds[0].ID != cy.ID {
			t.Fatalf("y checks in: %d %+v", s, cmds)
		}
		if s, cmds := e.checkIn(zSecret); s != http.StatusOK || len(cmds) != 1 || cmds[0].ID != cz.ID {
			t.Fatalf("z checks in: %d %+v", s, cmds)
		}
		before := e.commands()
		for _, id := range []int64{cy.ID, cz.ID, 999999} {
			for _, st := range []string{"done", "failed"} {
				if s := e.call("POST", fmt.Sprintf("/device/v1/commands/%d/result", id), xSecret, `{"status":"`+st+`","result":"forged"}`, nil); s != http.StatusNotFound {
					t.Errorf("x reports %s for command %d: %d, want 404", st, id, s)
				}
			}
		}
		if s := e.call("POST", "/device/v1/commands/abc/result", xSecret, `{"status":"done"}`, nil); s != http.StatusBadRequest && s != http.StatusNotFound {
			t.Errorf("a command ID that is not a number: %d", s)
		}
		if after := e.commands(); after != before {
			t.Errorf("refused results changed commands:\n%s---\n%s", before, after)
		}
		// Without a secret, or with a forged one: 401.
		for _, secret := range []string{"", "mbd_forged", "mbo_admin", ySecret + "x"} {
			if s, _ := e.checkIn(secret); s != http.StatusUnauthorized {
				t.Errorf("check-in with %q: %d", secret, s)
			}
			if s := e.call("POST", fmt.Sprintf("/device/v1/commands/%d/result", cy.ID), secret, `{"status":"done"}`, nil); s != http.StatusUnauthorized {
				t.Errorf("result with %q: %d", secret, s)
			}
		}

		// y's own result counts.
		if s := e.call("POST", fmt.Sprintf("/device/v1/commands/%d/result", cy.ID), ySecret, `{"status":"done","result":"locked","locked":true}`, nil); s != http.StatusOK {
			t.Errorf("y reports its result: %d", s)
		}
		// Revoked, y is refused: its check-ins, its results.
		cy2, _ := e.svc.SendAdminCommand(e.sys, y, meibo.ActionRing, "")
		e.checkIn(ySecret)
		if err := e.svc.RevokeDevice(e.sys, y); err != nil {
			t.Fatal(err)
		}
		before = e.commands()
		if s, _ := e.checkIn(ySecret); s != http.StatusUnauthorized {
			t.Errorf("a revoked device checks in: %d", s)
		}
		if s := e.call("POST", fmt.Sprintf("/device/v1/commands/%d/result", cy2.ID), ySecret, `{"status":"done"}`, nil); s != http.StatusUnauthorized {
			t.Errorf("a revoked device reports a result: %d", s)
		}
		if after := e.commands(); after != before {
			t.Errorf("a revoked device changed commands:\n%s---\n%s", before, after)
		}
		// A wipe carried out revokes the device.
		w, _ := e.svc.SendAdminCommand(e.sys, x, meibo.ActionWipe, "")
		e.checkIn(xSecret)
		if s := e.call("POST", fmt.Sprintf("/device/v1/commands/%d/result", w.ID), xSecret, `{"status":"done","result":"wiped"}`, nil); s != http.StatusOK {
			t.Errorf("x reports its wipe: %d", s)
		}
		if s, _ := e.checkIn(xSecret); s != http.StatusUnauthorized {
			t.Errorf("a wiped device checks in: %d", s)
		}
		// A poll under way when its device is revoked answers 401 at once.
		got := make(chan int, 1)
		go func() { got <- e.call("POST", "/device/v1/checkin?wait=20", zSecret, "", nil) }()
		deadline := time.Now().Add(5 * time.Second)
		for e.svc.Waiting() != 1 && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		if err := e.svc.RevokeDevice(e.sys, z); err != nil {
			t.Fatal(err)
		}
		select {
		case s := <-got:
			if s != http.StatusUnauthorized {
				t.Errorf("the poll of a device revoked while it waited: %d", s)
			}
		case <-time.After(5 * time.Second):
			t.Error("the poll of a revoked device still waits")
		}
		_, wSecret := e.enrol("G1", "w")
		if s := e.call("POST", "/device/v1/checkin?wait=abc", wSecret, "", nil); s != http.StatusBadRequest {
			t.Errorf("wait=abc: %d", s)
		}
	})
}

// TestIsoDepartment: a department administrator of G1 with every device
// authority is told that G2's devices, commands and enrolment tokens do
// not exist, and changes nothing of them.
func TestIsoDepartment(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newIsoEnv(t, engine)
		auth := meibo.NewAuthorities(meibo.AuthConsole, meibo.AuthDevices, meibo.AuthEmergency, meibo.AuthDepartment)
		if _, err := e.svc.CreateAdmin(e.sys, service.AdminInput{LoginID: "dept", Name: "dept", Authorities: auth, Groups: []string{"G1"}, Password: "Velvet-summit-88"}); err != nil {
			t.Fatal(err)
		}
		tok, _, err := e.svc.CreateToken(e.sys, "dept", "test", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		d1, _ := e.enrol("G1", "mine")
		d2, _ := e.enrol("G2", "theirs")
		c1, _ := e.svc.SendAdminCommand(e.sys, d1, meibo.ActionRing, "")
		c2, _ := e.svc.SendAdminCommand(e.sys, d2, meibo.ActionRing, "")
		_, k2, err := e.svc.CreateEnrolmentToken(e.sys, "G2", "", 0)
		if err != nil {
			t.Fatal(err)
		}
		before := e.commands()
		for _, r := range []struct{ method, path, body string }{
			{"GET", "/api/v1/groups/G2/devices", ""},
			{"GET", fmt.Sprint("/api/v1/devices/", d2), ""},
			{"PATCH", fmt.Sprint("/api/v1/devices/", d2), `{"name":"renamed"}`},
			{"POST", fmt.Sprint("/api/v1/devices/", d2, "/revoke"), ""},
			{"GET", fmt.Sprint("/api/v1/devices/", d2, "/commands"), ""},
			{"POST", fmt.Sprint("/api/v1/devices/", d2, "/commands"), `{"action":"lock"}`},
			{"POST", fmt.Sprint("/api/v1/commands/", c2.ID, "/cancel"), ""},
			{"GET", "/api/v1/groups/G2/enrolment-tokens", ""},
			{"POST", "/api/v1/groups/G2/enrolment-tokens", `{}`},
			{"DELETE", fmt.Sprint("/api/v1/groups/G2/enrolment-tokens/", k2.ID), ""},
			{"GET", "/api/v1/devices/999999", ""},
			{"POST", "/api/v1/commands/999999/cancel", ""},
		} {
			if s := e.call(r.method, r.path, tok, r.body, nil); s != http.StatusNotFound {
				t.Errorf("%s %s: %d, want 404", r.method, r.path, s)
			}
		}
		if after := e.commands(); after != before {
			t.Errorf("refused requests changed commands:\n%s---\n%s", before, after)
		}
		d, err := e.svc.Device(e.sys, d2)
		if err != nil || d.Name != "theirs" || d.RevokedAt != nil {
			t.Errorf("G2's device after the refused requests: %+v, %v", d, err)
		}
		if ks, _ := e.svc.EnrolmentTokens(e.sys, "G2"); len(ks) != 2 {
			t.Errorf("G2 has %d enrolment tokens, want 2", len(ks))
		}
		// G1's are theirs to manage.
		for _, r := range []struct {
			method, path, body string
			want               int
		}{
			{"GET", "/api/v1/groups/G1/devices", "", 200},
			{"GET", fmt.Sprint("/api/v1/devices/", d1), "", 200},
			{"PATCH", fmt.Sprint("/api/v1/devices/", d1), `{"name":"renamed"}`, 200},
			{"POST", fmt.Sprint("/api/v1/devices/", d1, "/commands"), `{"action":"lock"}`, 202},
			{"POST", fmt.Sprint("/api/v1/commands/", c1.ID, "/cancel"), "", 200},
			{"POST", "/api/v1/groups/G1/enrolment-tokens", `{"ttl":"1h"}`, 201},
			{"POST", fmt.Sprint("/api/v1/devices/", d1, "/revoke"), "", 204},
		} {
			if s := e.call(r.method, r.path, tok, r.body, nil); s != r.want {
				t.Errorf("%s %s: %d, want %d", r.method, r.path, s, r.want)
			}
		}
	})
}

// TestIsoDevicePolls: the number of long polls waiting on the server, for
// administrators who see every group.
func TestIsoDevicePolls(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newIsoEnv(t, engine)
		tok, _, err := e.svc.Bootstrap(context.Background(), "Root-pass-phrase-1")
		if err != nil || !tok {
			t.Fatalf("bootstrap: %v", err)
		}
		root, _, err := e.svc.CreateToken(e.sys, meibo.BuiltinAdmin, "test", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.CreateAdmin(e.sys, service.AdminInput{LoginID: "dept", Name: "dept", Groups: []string{"G1"}, Password: "Velvet-summit-88",
			Authorities: meibo.NewAuthorities(meibo.AuthConsole, meibo.AuthDevices, meibo.AuthDepartment)}); err != nil {
			t.Fatal(err)
		}
		dept, _, err := e.svc.CreateToken(e.sys, "dept", "test", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		waiting := func() int {
			var out struct {
				Waiting int `json:"waiting"`
			}
			if s := e.call("GET", "/api/v1/device-polls", root, "", &out); s != http.StatusOK {
				t.Fatalf("device-polls: %d", s)
			}
			return out.Waiting
		}
		if n := waiting(); n != 0 {
			t.Errorf("%d polls wait, want 0", n)
		}
		id, secret := e.enrol("G1", "x")
		done := make(chan int, 1)
		go func() {
			req, _ := http.NewRequest("POST", e.srv.URL+"/device/v1/checkin?wait=10", nil)
			req.Header.Set("Authorization", "Bearer "+secret)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				done <- 0
				return
			}
			res.Body.Close()
			done <- res.StatusCode
		}()
		deadline := time.Now().Add(5 * time.Second)
		for waiting() != 1 {
			if time.Now().After(deadline) {
				t.Fatal("the waiting poll is not counted")
			}
			time.Sleep(5 * time.Millisecond)
		}
		if _, err := e.svc.SendAdminCommand(e.sys, id, meibo.ActionRing, ""); err != nil {
			t.Fatal(err)
		}
		if s := <-done; s != http.StatusOK {
			t.Errorf("the poll answered %d", s)
		}
		if s := e.call("GET", "/api/v1/device-polls", dept, "", nil); s != http.StatusForbidden {
			t.Errorf("a department administrator asks for every group's polls: %d", s)
		}
		if s := e.call("GET", "/api/v1/device-polls", "", "", nil); s != http.StatusUnauthorized {
			t.Errorf("without a token: %d", s)
		}
	})
}
