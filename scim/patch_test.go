package scim_test

import (
	"strconv"
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
