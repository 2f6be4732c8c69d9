package scim_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/store/storetest"
)

// Changes of a group sent at once against the same version: one is made,
// the others are refused (412), as for users; none is made over another.
func TestGroupIfMatchAtOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		var names []string
		for i := range 10 {
			names = append(names, fmt.Sprintf("user%d", i))
		}
		ids := createUsers(t, e, names...)
		p, err := e.svc.CreateProfile(e.sys, "G1", meibo.Profile{Name: "sales"})
		if err != nil {
			t.Fatal(err)
		}
		pid := fmt.Sprint(p.ID)
		etag := e.scim("GET", "G1", "/Groups/"+pid, nil).want(t, 200).header.Get("ETag")
		statuses := make([]int, len(names))
		var wg sync.WaitGroup
		for i, n := range names {
			wg.Add(1)
			go func() {
				defer wg.Done()
				a := e.scim("PATCH", "G1", "/Groups/"+pid, `{"Operations":[{"op":"add","path":"members","value":[{"value":"`+ids[n]+`"}]}]}`,
					"If-Match", etag)
				statuses[i] = a.status
			}()
		}
		wg.Wait()
		made := 0
		for _, st := range statuses {
			switch st {
			case 204:
				made++
			case 412:
			default:
				t.Errorf("status %d", st)
			}
		}
		g := e.scim("GET", "G1", "/Groups/"+pid, nil).want(t, 200)
		members, _ := g.body["members"].([]any)
		if made != 1 || len(members) != 1 {
			t.Errorf("%d changes made, %d members: %v", made, len(members), statuses)
		}
	})
}

// A PATCH replace of members sets them, as a PUT does: those given move to
// the profile, the others to the default one (RFC 7644 §3.5.2.3).
func TestGroupPatchReplaceMembers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		ids := createUsers(t, e, "alice", "bob", "carol")
		p, err := e.svc.CreateProfile(e.sys, "G1", meibo.Profile{Name: "sales"})
		if err != nil {
			t.Fatal(err)
		}
		pid := fmt.Sprint(p.ID)
		members := func() string {
			t.Helper()
			g := e.scim("GET", "G1", "/Groups/"+pid, nil).want(t, 200)
			var out []string
			for _, m := range g.body["members"].([]any) {
				out = append(out, m.(map[string]any)["display"].(string))
			}
			return strings.Join(out, ",")
		}
		e.scim("PATCH", "G1", "/Groups/"+pid, `{"Operations":[{"op":"add","path":"members","value":[{"value":"`+ids["alice"]+`"},{"value":"`+ids["bob"]+`"}]}]}`).want(t, 204)
		e.scim("PATCH", "G1", "/Groups/"+pid, `{"Operations":[{"op":"replace","path":"members","value":[{"value":"`+ids["bob"]+`"},{"value":"`+ids["carol"]+`"}]}]}`).want(t, 204)
		if got := members(); got != "bob,carol" {
			t.Errorf("after replace: %s", got)
		}
		e.scim("PATCH", "G1", "/Groups/"+pid, `{"Operations":[{"op":"Replace","value":{"members":[{"value":"`+ids["alice"]+`"}]}}]}`).want(t, 204)
		if got := members(); got != "alice" {
			t.Errorf("after a path-less replace: %s", got)
		}
		if u, _ := e.svc.UserByName(e.sys, "G1", "carol"); u.ProfileName != "default" {
			t.Errorf("carol left in %s", u.ProfileName)
		}
	})
}
