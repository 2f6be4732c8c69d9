package scim_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/meibo/meibo/store/storetest"
)

// A replace of a complex attribute sets the sub-attributes given and
// leaves the others (RFC 7644 §3.5.2.3).
func TestPatchReplaceNameKeepsTheRest(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		id := e.scim("POST", "G1", "/Users", map[string]any{"userName": "taro",
			"name": map[string]any{"givenName": "Taro", "familyName": "山田"}}).want(t, 201).str("id")
		for _, op := range []string{"replace", "Replace", "add"} {
			p := e.scim("PATCH", "G1", "/Users/"+id, `{"Operations":[{"op":"`+op+`","path":"name","value":{"GivenName":"太郎"}}]}`).want(t, 200)
			if p.str("name.givenName") != "太郎" || p.str("name.familyName") != "山田" {
				t.Errorf("%s name: %s", op, p.raw)
			}
		}
	})
}

// meibo keeps one e-mail address: an address added beside it that is
// neither primary nor of type work does not replace it; a primary or work
// one does.
func TestPatchAddEmailKeepsTheAddress(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		ids := createUsers(t, e, "alice")
		email := func() string {
			t.Helper()
			u, err := e.svc.ProvisionedUser(e.sys, "G1", mustID(t, ids["alice"]))
			if err != nil {
				t.Fatal(err)
			}
			return u.User.Email
		}
		for _, body := range []string{
			`{"Operations":[{"op":"add","path":"emails","value":[{"type":"home","value":"x@gmail.com"}]}]}`,
			`{"Operations":[{"op":"add","value":{"emails":[{"type":"other","value":"x@gmail.com"}]}}]}`,
		} {
			e.scim("PATCH", "G1", "/Users/"+ids["alice"], body).want(t, 200)
			if got := email(); got != "alice@example.org" {
				t.Errorf("%s: e-mail %q", body, got)
			}
		}
		e.scim("PATCH", "G1", "/Users/"+ids["alice"], `{"Operations":[{"op":"add","path":"emails","value":[{"type":"home","value":"h@example.org","primary":true}]}]}`).want(t, 200)
		if got := email(); got != "h@example.org" {
			t.Errorf("a primary address added: %q", got)
		}
		e.scim("PATCH", "G1", "/Users/"+ids["alice"], `{"Operations":[{"op":"add","path":"emails","value":[{"type":"work","value":"w@example.org"}]}]}`).want(t, 200)
		if got := email(); got != "w@example.org" {
			t.Errorf("a work address added: %q", got)
		}
	})
}

func mustID(t *testing.T, s string) int64 {
	t.Helper()
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// Smaller refusals and answers: paths that cannot be read are told in a
// path's terms; sortOrder is "ascending" or "descending"; an unknown sortBy
// orders nothing (no resource has data for it); an unknown attribute of
// meibo's own extension is refused, of another extension ignored; methods
// an endpoint does not take are 405; name.formatted puts a CJK family name
// first.
func TestSmallerRefusals(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		ids := createUsers(t, e, "alice", "bob")
		for _, path := range []string{"emails[", `emails[type eq "work"`, "emails[]", `emails[type eq "work].value`} {
			for _, ep := range []string{"/Users/" + ids["alice"], "/Groups/1"} {
				b := e.scim("PATCH", "G1", ep, map[string]any{"Operations": []any{map[string]any{"op": "replace", "path": path, "value": "x"}}}).want(t, 400)
				if d := b.str("detail"); b.str("scimType") != "invalidPath" || !strings.Contains(d, strconv.Quote(path)) ||
					strings.Contains(d, "parse") || strings.Contains(d, "int32") || strings.Contains(d, "expected") {
					t.Errorf("%s %s: %s", ep, path, b.raw)
				}
			}
		}
		for _, ep := range []string{"/Users", "/Groups"} {
			if b := e.scim("GET", "G1", ep+"?sortBy=id&sortOrder=sideways", nil).want(t, 400); b.str("scimType") != "invalidValue" ||
				!strings.Contains(b.str("detail"), `"sideways"`) {
				t.Errorf("%s sortOrder=sideways: %s", ep, b.raw)
			}
			e.scim("GET", "G1", ep+"?sortOrder=sideways", nil).want(t, 400)
			e.scim("GET", "G1", ep+"?sortBy=nonexistent&sortOrder=Descending", nil).want(t, 200)
		}
		e.scim("PATCH", "G1", "/Users/"+ids["alice"], `{"Operations":[{"op":"replace","path":"displayName","value":"A"}]}`).want(t, 200)
		for order, want := range map[string]string{"ascending": "alice,bob", "descending": "bob,alice"} {
			l := e.scim("GET", "G1", "/Users?sortBy=displayName&sortOrder="+order, nil).want(t, 200)
			if got := strings.Join(l.names(), ","); got != want {
				t.Errorf("sortBy displayName %s: %s, want %s", order, got, want)
			}
		}
		for _, op := range []string{
			`{"op":"replace","path":"urn:meibo:params:scim:schemas:extension:meibo:2.0:User:bogus","value":true}`,
			`{"op":"replace","value":{"urn:meibo:params:scim:schemas:extension:meibo:2.0:User:bogus":true}}`,
			`{"op":"replace","value":{"urn:meibo:params:scim:schemas:extension:meibo:2.0:User":{"bogus":true}}}`,
		} {
			if b := e.scim("PATCH", "G1", "/Users/"+ids["bob"], `{"Operations":[`+op+`]}`).want(t, 400); b.str("scimType") != "invalidPath" ||
				!strings.Contains(b.str("detail"), `"bogus"`) {
				t.Errorf("%s: %s", op, b.raw)
			}
		}
		e.scim("PATCH", "G1", "/Users/"+ids["bob"], `{"Operations":[{"op":"replace","path":"urn:meibo:params:scim:schemas:extension:meibo:2.0:User:Admin","value":true}]}`).want(t, 200)
		e.scim("PATCH", "G1", "/Users/"+ids["bob"], `{"Operations":[{"op":"replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department","value":"Sales"}]}`).want(t, 200)
		for _, c := range []struct{ method, path, allow string }{
			{"DELETE", "/ServiceProviderConfig", "GET"},
			{"POST", "/Schemas", "GET"},
			{"PUT", "/ResourceTypes/User", "GET"},
			{"PUT", "/Users", "POST"},
		} {
			a := e.scim(c.method, "G1", c.path, nil).want(t, 405)
			if !strings.Contains(a.header.Get("Allow"), c.allow) || a.str("status") != "405" || !strings.Contains(a.str("detail"), c.method) {
				t.Errorf("%s %s: %v %s", c.method, c.path, a.header, a.raw)
			}
		}
		e.scim("GET", "G1", "/Nothing", nil).want(t, 404)
		for _, c := range []struct{ given, family, want string }{
			{"太郎", "山田", "山田 太郎"},
			{"Taro", "山田", "山田 Taro"},
			{"Jane", "Doe", "Jane Doe"},
			{"", "Doe", "Doe"},
		} {
			a := e.scim("PATCH", "G1", "/Users/"+ids["bob"], map[string]any{"Operations": []any{map[string]any{"op": "replace", "path": "name",
				"value": map[string]any{"givenName": c.given, "familyName": c.family, "formatted": "ignored"}}}}).want(t, 200)
			if got := a.str("name.formatted"); got != c.want {
				t.Errorf("%q %q: formatted %q, want %q", c.given, c.family, got, c.want)
			}
		}
	})
}
