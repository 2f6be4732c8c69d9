package scim_test

import (
	"net/url"
	"testing"

	"github.com/meibo/meibo/store/storetest"
)

// A userName sent decomposed (NFD) is stored composed (NFC); a filter on
// it finds the user, as a create of it conflicts.
func TestUserNameFilterNormalized(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		for _, nfd := range []string{"Cafe\u0301", "か\u3099くと"} {
			e.scim("POST", "G1", "/Users", map[string]any{"userName": nfd}).want(t, 201)
			e.scim("POST", "G1", "/Users", map[string]any{"userName": nfd}).want(t, 409)
			for _, f := range []string{`userName eq "` + nfd + `"`, `userName sw "` + nfd + `"`, `not (userName ne "` + nfd + `")`} {
				l := e.scim("GET", "G1", "/Users?filter="+url.QueryEscape(f), nil).want(t, 200)
				if l.str("totalResults") != "1" {
					t.Errorf("%s: %s", f, l.raw)
				}
			}
			l := e.scim("POST", "G1", "/Users/.search", map[string]any{"filter": `userName eq "` + nfd + `"`}).want(t, 200)
			if l.str("totalResults") != "1" {
				t.Errorf(".search %q: %s", nfd, l.raw)
			}
		}
	})
}
