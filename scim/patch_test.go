package scim_test

import (
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
