package scim_test

import (
	"net/url"
	"testing"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/store/storetest"
)

// Entra ID's provisioning cycle in its own request shapes: look up by
// userName, create, disable with "False", change the work address and the
// family name, change without a path, delete.
func TestEntraID(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		const name = "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1"
		q := "/Users?filter=" + url.QueryEscape(`userName eq "`+name+`"`)
		if got := e.scim("GET", "G1", q, nil).want(t, 200); got.str("totalResults") != "0" {
			t.Fatalf("before create: %s", got.raw)
		}
		c := e.scim("POST", "G1", "/Users", "testdata/entra/create.json").want(t, 201)
		id := c.str("id")
		if c.header.Get("Location") == "" || c.header.Get("ETag") == "" || c.str("meta.version") != c.header.Get("ETag") {
			t.Errorf("create headers: %v %s", c.header, c.raw)
		}
		if c.str("externalId") != "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef" || c.str("name.givenName") != "givenName" || c.str("active") != "true" {
			t.Errorf("created: %s", c.raw)
		}
		if got := e.scim("GET", "G1", q, nil).want(t, 200); got.str("totalResults") != "1" || got.names()[0] != name {
			t.Fatalf("after create: %s", got.raw)
		}
		// A second create of the same userName is a uniqueness conflict.
		if dup := e.scim("POST", "G1", "/Users", "testdata/entra/create.json").want(t, 409); dup.str("scimType") != "uniqueness" {
			t.Errorf("duplicate: %s", dup.raw)
		}

		p := e.scim("PATCH", "G1", "/Users/"+id, "testdata/entra/patch_active.json").want(t, 200)
		if p.str("active") != "false" {
			t.Errorf("patch active: %s", p.raw)
		}
		u, err := e.svc.UserByName(e.sys, "G1", name)
		if err != nil || !u.Disabled {
			t.Fatalf("disabled: %+v, %v", u, err)
		}
		p = e.scim("PATCH", "G1", "/Users/"+id, "testdata/entra/patch_emails.json").want(t, 200)
		if p.str("emails") != `[{"primary":true,"type":"work","value":"updatedEmail@microsoft.com"}]` || p.str("name.familyName") != "updatedFamilyName" {
			t.Errorf("patch emails: %s", p.raw)
		}
		p = e.scim("PATCH", "G1", "/Users/"+id, "testdata/entra/patch_nopath.json").want(t, 200)
		if p.str("displayName") != "Updated Display" || p.str("name.givenName") != "updatedGivenName" || p.str("active") != "true" {
			t.Errorf("patch without path: %s", p.raw)
		}
		if u, _ := e.svc.UserByName(e.sys, "G1", name); u.Email != "updatedEmail@microsoft.com" || u.Disabled {
			t.Errorf("stored: %+v", u)
		}
		// Every change is audited under the token's name.
		events, err := e.svc.AuditEvents(e.sys, meibo.AuditFilter{Actor: "scim:idp-G1", Limit: 50})
		if err != nil || len(events) < 4 {
			t.Errorf("audit under the token's name: %d events, %v", len(events), err)
		}

		e.scim("DELETE", "G1", "/Users/"+id, nil).want(t, 204)
		e.scim("GET", "G1", "/Users/"+id, nil).want(t, 404)
	})
}

// Okta's cycle: look up before create, create with a password, update by
// PUT (a rename included), deactivate with active=false.
func TestOkta(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		q := "/Users?startIndex=1&count=100&filter=" + url.QueryEscape(`userName eq "test.user@okta.local"`)
		if got := e.scim("GET", "G1", q, nil).want(t, 200); got.str("totalResults") != "0" {
			t.Fatalf("before create: %s", got.raw)
		}
		c := e.scim("POST", "G1", "/Users", "testdata/okta/create.json").want(t, 201)
		id := c.str("id")
		if c.str("password") != "" || c.str("displayName") != "Test User" {
			t.Errorf("created (password must never be returned): %s", c.raw)
		}
		if _, _, err := e.svc.PortalSignIn(e.sys, "G1", "test.user@okta.local", "Kestrel-meadow-93", "127.0.0.1", "test", meibo.English); err != nil {
			t.Errorf("sign in with the password Okta set: %v", err)
		}
		r := e.scim("PUT", "G1", "/Users/"+id, fixture(t, "okta/replace.json", id)).want(t, 200)
		if r.str("userName") != "test.user2@okta.local" || r.str("name.givenName") != "Another" || r.str("id") != id {
			t.Errorf("replace: %s", r.raw)
		}
		if _, err := e.svc.UserByName(e.sys, "G1", "test.user@okta.local"); meibo.ErrorCode(err) != meibo.CodeNotFound {
			t.Errorf("old name still there: %v", err)
		}
		events, _ := e.svc.AuditEvents(e.sys, meibo.AuditFilter{Action: "user.rename", Limit: 5})
		if len(events) != 1 || events[0].Details["from"] != "test.user@okta.local" {
			t.Errorf("rename audited: %+v", events)
		}
		d := e.scim("PATCH", "G1", "/Users/"+id, "testdata/okta/deactivate.json").want(t, 200)
		if d.str("active") != "false" {
			t.Errorf("deactivate: %s", d.raw)
		}
		// The renamed user is found by its new name through the index.
		got := e.scim("GET", "G1", "/Users?filter="+url.QueryEscape(`userName sw "test.user2"`), nil).want(t, 200)
		if got.str("totalResults") != "1" {
			t.Errorf("search after rename: %s", got.raw)
		}
	})
}
