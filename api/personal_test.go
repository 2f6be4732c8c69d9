package api_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/service"
	"github.com/meibo/meibo/store/storetest"
)

// personalToken signs user in to the portal and makes a personal token.
func (e *apiEnv) personalToken(group, user string) (string, error) {
	e.t.Helper()
	secret, _, err := e.svc.PortalSignIn(context.Background(), group, user, "Quiet-harbour-42", "127.0.0.1", "test", meibo.English)
	if err != nil {
		e.t.Fatal(err)
	}
	act, _, err := e.svc.PortalActor(context.Background(), secret, "127.0.0.1")
	if err != nil {
		e.t.Fatal(err)
	}
	tok, _, err := e.svc.CreatePersonalToken(meibo.WithActor(context.Background(), act), "script", 0)
	return tok, err
}

func (e *apiEnv) enrol(group, user, name string) string {
	e.t.Helper()
	tok, _, err := e.svc.CreateEnrolmentToken(e.sys, group, user, 0)
	if err != nil {
		e.t.Fatal(err)
	}
	_, d, err := e.svc.Enrol(context.Background(), service.EnrolInfo{Token: tok, Name: name, Model: "T1", Serial: "SN-" + name}, "192.0.2.1")
	if err != nil {
		e.t.Fatal(err)
	}
	return strconv.FormatInt(d.ID, 10)
}

func TestPersonalAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newAPIEnv(t, engine)
		alice, _ := strconv.ParseInt(e.ids["u1"], 10, 64)
		bob, err := e.svc.CreateUser(e.sys, "G1", service.UserInput{Name: "bea", Password: "Quiet-harbour-42", APIAccess: true})
		if err != nil {
			t.Fatal(err)
		}
		e.ids["d_alice"] = e.enrol("G1", "alice", "alice-phone")
		e.ids["d_bob"] = e.enrol("G1", "bea", "bob-phone")
		e.ids["d_zed"] = e.enrol("G2", "zed", "zed-phone")

		// Made only with API access allowed.
		if _, err := e.personalToken("G1", "alice"); meibo.ErrorCode(err) != meibo.CodeForbidden {
			t.Fatalf("token without API access: %v", err)
		}
		if _, err := e.svc.UpdateUser(e.sys, alice, meibo.UserUpdate{APIAccess: some(true)}); err != nil {
			t.Fatal(err)
		}
		if e.tokens["alice"], err = e.personalToken("G1", "alice"); err != nil {
			t.Fatal(err)
		}
		if e.tokens["bob"], err = e.personalToken("G1", "bea"); err != nil {
			t.Fatal(err)
		}

		// Only the owner's devices; anything else is not found.
		l := e.do("GET", "/api/v1/my/devices", "alice", "", nil)
		if l.status != 200 || !strings.Contains(l.body, "alice-phone") || strings.Contains(l.body, "bob-phone") || strings.Contains(l.body, "zed-phone") {
			t.Fatalf("my devices: %d %s", l.status, l.body)
		}
		for _, c := range []struct {
			method, path, body string
			want               int
		}{
			{"GET", "/api/v1/my/devices/{d_alice}", "", 200},
			{"GET", "/api/v1/my/devices/{d_bob}", "", 404},
			{"GET", "/api/v1/my/devices/{d_zed}", "", 404},
			{"POST", "/api/v1/my/devices/{d_bob}/commands", `{"action":"lock"}`, 404},
			{"POST", "/api/v1/my/devices/{d_zed}/commands", `{"action":"lock"}`, 404},
			{"POST", "/api/v1/my/devices/{d_alice}/commands", `{"action":"wipe","confirmName":"alice-phone"}`, 422},
		} {
			if r := e.do(c.method, c.path, "alice", c.body, nil); r.status != c.want {
				t.Errorf("%s %s: %d, want %d: %s", c.method, c.path, r.status, c.want, r.body)
			}
		}
		c := e.do("POST", "/api/v1/my/devices/{d_alice}/commands", "alice", `{"action":"lock"}`, nil)
		if c.status != 201 {
			t.Fatalf("lock: %d %s", c.status, c.body)
		}
		id := c.body[strings.Index(c.body, `"id":`)+5:]
		e.ids["c_alice"] = id[:strings.IndexAny(id, ",}")]
		if r := e.do("GET", "/api/v1/my/commands/{c_alice}", "alice", "", nil); r.status != 200 || !strings.Contains(r.body, `"queued"`) {
			t.Errorf("command status: %d %s", r.status, r.body)
		}
		if r := e.do("GET", "/api/v1/my/commands/{c_alice}", "bob", "", nil); r.status != 404 {
			t.Errorf("another's command: %d", r.status)
		}
		// Cancelled while it waits, by its user only; then too late.
		if r := e.do("POST", "/api/v1/my/commands/{c_alice}/cancel", "bob", "", nil); r.status != 404 {
			t.Errorf("another's command cancelled: %d %s", r.status, r.body)
		}
		if r := e.do("POST", "/api/v1/my/commands/{c_alice}/cancel", "alice", "", nil); r.status != 200 || !strings.Contains(r.body, `"cancelled"`) {
			t.Errorf("cancel: %d %s", r.status, r.body)
		}
		if r := e.do("POST", "/api/v1/my/commands/{c_alice}/cancel", "alice", "", nil); r.status != 409 {
			t.Errorf("cancel again: %d %s", r.status, r.body)
		}
		// A personal token is not an administrator's, and the reverse.
		if r := e.do("GET", "/api/v1/groups", "alice", "", nil); r.status != 401 {
			t.Errorf("personal token on the admin API: %d", r.status)
		}
		if r := e.do("GET", "/api/v1/my/devices", meibo.BuiltinAdmin, "", nil); r.status != 401 {
			t.Errorf("admin token on the personal API: %d", r.status)
		}
		if r := e.do("PUT", "/api/v1/my/password", "alice", `{"currentPassword":"Quiet-harbour-42","newPassword":"Amber-canyon-17"}`, nil); r.status != 204 {
			t.Errorf("own password: %d %s", r.status, r.body)
		}

		// Turning API access off through the API deletes the token at
		// once (before anyone uses it), for good.
		if r := e.do("PATCH", "/api/v1/users/{u1}", meibo.BuiltinAdmin, `{"apiAccess":false}`, nil); r.status != 200 {
			t.Fatalf("API access off: %d %s", r.status, r.body)
		}
		if n := e.heldTokens(alice); n != 0 {
			t.Errorf("%d personal tokens left after API access was turned off", n)
		}
		e.svc.UpdateUser(e.sys, alice, meibo.UserUpdate{APIAccess: some(true)}) //nolint:errcheck
		if r := e.do("GET", "/api/v1/my/devices", "alice", "", nil); r.status != 401 {
			t.Errorf("after API access was turned off: %d", r.status)
		}
		// Disabling the user.
		if e.tokens["bob"], err = e.personalToken("G1", "bea"); err != nil {
			t.Fatal(err)
		}
		e.ids["u_bob"] = strconv.FormatInt(bob.ID, 10)
		if r := e.do("PATCH", "/api/v1/users/{u_bob}", meibo.BuiltinAdmin, `{"disabled":true}`, nil); r.status != 200 {
			t.Fatalf("disable: %d %s", r.status, r.body)
		}
		if n := e.heldTokens(bob.ID); n != 0 {
			t.Errorf("%d personal tokens left after the user was disabled", n)
		}
		if r := e.do("GET", "/api/v1/my/devices", "bob", "", nil); r.status != 401 {
			t.Errorf("after disabling: %d", r.status)
		}
		e.svc.UpdateUser(e.sys, bob.ID, meibo.UserUpdate{Disabled: some(false)}) //nolint:errcheck
		if r := e.do("GET", "/api/v1/my/devices", "bob", "", nil); r.status != 401 {
			t.Errorf("after enabling again: %d", r.status)
		}
		// A profile that loses API access.
		p, err := e.svc.CreateProfile(e.sys, "G1", meibo.Profile{Name: "api", Actions: []meibo.Action{meibo.ActionLock}, APIAccess: true})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.UpdateUser(e.sys, bob.ID, meibo.UserUpdate{Profile: some("api")}); err != nil {
			t.Fatal(err)
		}
		if e.tokens["bob"], err = e.personalToken("G1", "bea"); err != nil {
			t.Fatal(err)
		}
		if r := e.do("GET", "/api/v1/my/devices", "bob", "", nil); r.status != 200 {
			t.Fatalf("in profile api: %d", r.status)
		}
		if _, err := e.svc.UpdateProfile(e.sys, p.ID, service.ProfileUpdate{APIAccess: some(false)}); err != nil {
			t.Fatal(err)
		}
		if n := e.heldTokens(bob.ID); n != 0 {
			t.Errorf("%d personal tokens left after the profile lost API access", n)
		}
		if r := e.do("GET", "/api/v1/my/devices", "bob", "", nil); r.status != 401 {
			t.Errorf("after the profile lost API access: %d", r.status)
		}
		_ = http.StatusOK
	})
}

func some[T any](v T) *T { return &v }

// heldTokens counts the personal tokens of a user as stored, without
// using one (which would also end them).
func (e *apiEnv) heldTokens(userID int64) int {
	e.t.Helper()
	var n int
	err := e.store.View(context.Background(), func(tx meibo.Tx) error {
		ks, err := tx.PersonalTokens(context.Background(), userID)
		n = len(ks)
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}
