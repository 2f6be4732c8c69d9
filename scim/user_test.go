package scim_test

import (
	"strings"
	"testing"

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
