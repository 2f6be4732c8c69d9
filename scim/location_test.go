package scim_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/scim"
	"github.com/meibo/meibo/store/storetest"
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

// Locations name the group by its ID as stored, whatever the case the
// request wrote it in.
func TestLocationsNameTheStoredGroupID(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		a := e.do("POST", "/scim/v2/g1/Users", e.token["G1"], map[string]any{"userName": "alice"}).want(t, 201)
		id := a.str("id")
		want := e.srv.URL + "/scim/v2/G1/Users/" + id
		if a.header.Get("Location") != want || a.str("meta.location") != want {
			t.Errorf("Location %q, meta.location %q, want %q", a.header.Get("Location"), a.str("meta.location"), want)
		}
		p, err := e.svc.CreateProfile(e.sys, "G1", meibo.Profile{Name: "sales"})
		if err != nil {
			t.Fatal(err)
		}
		e.do("PATCH", fmt.Sprintf("/scim/v2/g1/Groups/%d", p.ID), e.token["G1"],
			`{"Operations":[{"op":"add","path":"members","value":[{"value":"`+id+`"}]}]}`).want(t, 204)
		for _, path := range []string{"/Users/" + id, fmt.Sprintf("/Groups/%d", p.ID), "/Users", "/Groups", "/ServiceProviderConfig", "/ResourceTypes", "/Schemas"} {
			a := e.do("GET", "/scim/v2/g1"+path, e.token["G1"], nil).want(t, 200)
			if strings.Contains(a.raw, "/g1/") || !strings.Contains(a.raw, "/G1/") {
				t.Errorf("%s: %s", path, a.raw)
			}
		}
	})
}
