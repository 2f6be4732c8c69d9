package scim_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/meibo/meibo/scim"
)

// Locations and member references name meibo under its public URL when one
// is set, whatever Host the request carries; without one, as the request
// reached meibo.
func TestLocationsUnderPublicURL(t *testing.T) {
	e := newEnv(t, "sqlite")
	id := e.scim("POST", "G1", "/Users", map[string]any{"userName": "alice"}).want(t, 201).str("id")
	for _, tc := range []struct{ public, want string }{
		{"https://meibo.example.org/", "https://meibo.example.org/scim/v2/G1/Users/" + id},
		{"", "http://evil.example/scim/v2/G1/Users/" + id},
	} {
		h := scim.New(e.svc, scim.Options{PublicURL: tc.public})
		r := httptest.NewRequest("GET", "http://evil.example/scim/v2/G1/Users/"+id, nil)
		r.Header.Set("Authorization", "Bearer "+e.token["G1"])
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			t.Fatalf("%q: %d %s", tc.public, w.Code, w.Body)
		}
		var res struct {
			Meta struct{ Location string }
		}
		if err := json.Unmarshal(w.Body.Bytes(), &res); err != nil {
			t.Fatal(err)
		}
		if res.Meta.Location != tc.want {
			t.Errorf("public URL %q: location %q, want %q", tc.public, res.Meta.Location, tc.want)
		}
		if tc.public != "" && strings.Contains(w.Body.String(), "evil.example") {
			t.Errorf("public URL %q: the answer names the request's host: %s", tc.public, w.Body)
		}
	}
}
