package scim_test

import (
	"strings"
	"testing"
	"time"

	"github.com/meibo/meibo"

	"github.com/meibo/meibo/store/storetest"
)

// displayName, name.* and externalId are bounded and hold no control
// characters, as the JSON API's free text: 400 invalidValue naming the
// attribute, on either engine (PostgreSQL cannot store a NUL).
func TestUserTextBounds(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		ids := createUsers(t, e, "alice")
		for _, c := range []struct {
			attr, want string
			body       map[string]any
		}{
			{"displayName", "At most 100 characters.", map[string]any{"displayName": strings.Repeat("a", 101)}},
			{"name.givenName", "At most 100 characters.", map[string]any{"name": map[string]any{"givenName": strings.Repeat("名", 101)}}},
			{"name.familyName", "Control characters", map[string]any{"name": map[string]any{"familyName": "a\u0000b"}}},
			{"externalId", "At most 255 characters.", map[string]any{"externalId": strings.Repeat("x", 256)}},
			{"displayName", "Control characters", map[string]any{"displayName": "a\u0000b"}},
			{"externalId", "Control characters", map[string]any{"externalId": "a\nb"}},
		} {
			c.body["userName"] = "bob"
			a := e.scim("POST", "G1", "/Users", c.body).want(t, 400)
			if d := a.str("detail"); a.str("scimType") != "invalidValue" || !strings.Contains(d, c.attr+": "+c.want) {
				t.Errorf("POST %s: %s", c.attr, a.raw)
			}
			delete(c.body, "userName")
			ops := []any{map[string]any{"op": "replace", "value": c.body}}
			a = e.scim("PATCH", "G1", "/Users/"+ids["alice"], map[string]any{"Operations": ops}).want(t, 400)
			if d := a.str("detail"); a.str("scimType") != "invalidValue" || !strings.Contains(d, c.attr+": "+c.want) {
				t.Errorf("PATCH %s: %s", c.attr, a.raw)
			}
		}
		// At the bound, and any script, is kept.
		e.scim("POST", "G1", "/Users", map[string]any{"userName": "bob", "displayName": strings.Repeat("表", 100),
			"externalId": strings.Repeat("x", 255)}).want(t, 201)
	})
}

// attributes and excludedAttributes keep what is returned always (id,
// userName) and read the extension's URN, dots and all.
func TestUserAttributeSelection(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		id := createUsers(t, e, "alice")["alice"]
		const ext = "urn:meibo:params:scim:schemas:extension:meibo:2.0:User"
		a := e.scim("GET", "G1", "/Users/"+id+"?excludedAttributes=userName,id,"+ext+":admin", nil).want(t, 200)
		if a.str("userName") != "alice" || a.str("id") != id {
			t.Errorf("returned always, excluded: %s", a.raw)
		}
		x, _ := a.body[ext].(map[string]any)
		if _, ok := x["admin"]; ok || x["profile"] != "default" {
			t.Errorf("excluded %s:admin: %s", ext, a.raw)
		}
		a = e.scim("GET", "G1", "/Users/"+id+"?excludedAttributes="+ext, nil).want(t, 200)
		if _, ok := a.body[ext]; ok || a.str("emails") == "" {
			t.Errorf("excluded %s: %s", ext, a.raw)
		}
		a = e.scim("GET", "G1", "/Users/"+id+"?attributes=displayName,"+ext, nil).want(t, 200)
		if _, ok := a.body[ext]; !ok || a.str("userName") != "alice" || a.str("emails") != "" {
			t.Errorf("attributes %s: %s", ext, a.raw)
		}
		l := e.scim("GET", "G1", "/Users?attributes=emails", nil).want(t, 200)
		if r := l.body["Resources"].([]any)[0].(map[string]any); r["userName"] != "alice" {
			t.Errorf("a list's attributes leave out userName: %s", l.raw)
		}
	})
}

// A 304 carries the resource's own ETag, not the request's If-None-Match.
func TestNotModifiedETag(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		id := createUsers(t, e, "alice")["alice"]
		for _, path := range []string{"/Users/" + id, "/Groups/1"} {
			etag := e.scim("GET", "G1", path, nil).want(t, 200).header.Get("ETag")
			for _, inm := range []string{"*", strings.TrimPrefix(etag, "W/") + `, W/"other"`} {
				if got := e.scim("GET", "G1", path, nil, "If-None-Match", inm).want(t, 304).header.Get("ETag"); got != etag {
					t.Errorf("%s If-None-Match %s: ETag %s, want %s", path, inm, got, etag)
				}
			}
		}
	})
}

// A PUT that repeats the password the user has (Okta sends it with every
// push of the profile) is no password change: passwordChangedAt, the ETag
// and the audit stay as they were. Another password is a change.
func TestPutSamePasswordIsNoChange(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		body := func(pw string) map[string]any {
			return map[string]any{"userName": "alice", "password": pw, "emails": []any{map[string]any{"value": "alice@example.org"}},
				"name": map[string]any{"givenName": "Alice"}}
		}
		a := e.scim("POST", "G1", "/Users", body("Velvet-summit-88")).want(t, 201)
		id := a.str("id")
		changedAt := func() time.Time {
			t.Helper()
			p, err := e.svc.ProvisionedUser(e.sys, "G1", mustID(t, id))
			if err != nil || p.User.PasswordChangedAt == nil {
				t.Fatalf("%+v %v", p, err)
			}
			return *p.User.PasswordChangedAt
		}
		events := func() int {
			t.Helper()
			evs, err := e.svc.AuditEvents(e.sys, meibo.AuditFilter{Action: "user.update", Limit: 100})
			if err != nil {
				t.Fatal(err)
			}
			return len(evs)
		}
		etag, at, n := a.header.Get("ETag"), changedAt(), events()
		e.clock.Add(time.Minute)
		for range 2 {
			p := e.scim("PUT", "G1", "/Users/"+id, body("Velvet-summit-88"), "If-Match", etag).want(t, 200)
			if p.header.Get("ETag") != etag || !changedAt().Equal(at) || events() != n {
				t.Errorf("the same password: ETag %s → %s, passwordChangedAt %s → %s, %d events → %d",
					etag, p.header.Get("ETag"), at, changedAt(), n, events())
			}
		}
		p := e.scim("PUT", "G1", "/Users/"+id, body("Orchid-lantern-42"), "If-Match", etag).want(t, 200)
		if p.header.Get("ETag") == etag || !changedAt().After(at) || events() != n+1 {
			t.Errorf("a new password: ETag %s, passwordChangedAt %s, %d events", p.header.Get("ETag"), changedAt(), events())
		}
	})
}
