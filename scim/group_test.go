package scim_test

import (
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

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

// A group has one version and one lastModified however it is read (with
// its members, without them, or with displayName alone): they move when a
// member joins, leaves, is renamed or deleted, never back, and a version
// read without the members holds for a change.
func TestGroupVersionWhateverTheProjection(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		ids := createUsers(t, e, "alice", "bob")
		p, err := e.svc.CreateProfile(e.sys, "G1", meibo.Profile{Name: "sales"})
		if err != nil {
			t.Fatal(err)
		}
		pid := fmt.Sprint(p.ID)
		// meta reads the group's version and lastModified in every
		// projection, in the list too, and checks that they agree.
		meta := func(step string) (version, modified string) {
			t.Helper()
			for i, q := range []string{"", "?excludedAttributes=members", "?attributes=displayName"} {
				a := e.scim("GET", "G1", "/Groups/"+pid+q, nil).want(t, 200)
				v, m := a.str("meta.version"), a.str("meta.lastModified")
				if a.header.Get("ETag") != v {
					t.Errorf("%s %s: ETag %s, meta.version %s", step, q, a.header.Get("ETag"), v)
				}
				if i == 0 {
					version, modified = v, m
				} else if v != version || m != modified {
					t.Errorf("%s: %s gives %s %s, with the members %s %s", step, q, v, m, version, modified)
				}
				sep := "?"
				if q != "" {
					sep = "&"
				}
				l := e.scim("GET", "G1", "/Groups"+q+sep+"filter="+url.QueryEscape(`displayName eq "sales"`), nil).want(t, 200)
				if r, _ := l.body["Resources"].([]any); len(r) != 1 || fmt.Sprint(r[0].(map[string]any)["meta"].(map[string]any)["version"]) != version {
					t.Errorf("%s: the list %s: %s", step, q, l.raw)
				}
			}
			return version, modified
		}
		v, m := meta("empty")
		moved := func(step string) {
			t.Helper()
			nv, nm := meta(step)
			if nv == v || nm <= m {
				t.Errorf("%s: version %s → %s, lastModified %s → %s", step, v, nv, m, nm)
			}
			v, m = nv, nm
		}
		members := func(ms ...string) string {
			var list []string
			for _, n := range ms {
				list = append(list, `{"value":"`+ids[n]+`"}`)
			}
			return `[` + strings.Join(list, ",") + `]`
		}
		e.clock.Add(time.Minute)
		// A version read without the members holds for a change.
		bare := e.scim("GET", "G1", "/Groups/"+pid+"?excludedAttributes=members", nil).want(t, 200).header.Get("ETag")
		e.scim("PATCH", "G1", "/Groups/"+pid, `{"Operations":[{"op":"add","path":"members","value":`+members("alice", "bob")+`}]}`,
			"If-Match", bare).want(t, 204)
		moved("two members added")
		e.clock.Add(time.Minute)
		e.scim("PATCH", "G1", "/Groups/"+pid, `{"Operations":[{"op":"remove","path":"members[value eq \"`+ids["alice"]+`\"]"}]}`,
			"If-Match", v).want(t, 204)
		moved("a member removed")
		// lastModified filters answer alike whatever the projection (alice
		// joined the default profile as she left sales).
		for _, q := range []string{"?", "?excludedAttributes=members&", "?attributes=displayName&"} {
			l := e.scim("GET", "G1", "/Groups"+q+"filter="+url.QueryEscape(`meta.lastModified ge "`+m+`"`), nil).want(t, 200)
			if got := strings.Join(l.names(), ","); got != "default,sales" {
				t.Errorf("lastModified ge %s, %s: %q", m, q, got)
			}
		}
		e.clock.Add(time.Minute)
		e.scim("DELETE", "G1", "/Users/"+ids["bob"], nil).want(t, 204)
		moved("a member deleted")
		// Changes within one tick of the clock still change the version.
		e.scim("PATCH", "G1", "/Groups/"+pid, `{"Operations":[{"op":"add","path":"members","value":`+members("alice")+`}]}`).want(t, 204)
		nv, _ := meta("a member added at the same time")
		if nv == v {
			t.Errorf("a member added at the same time: the version stayed %s", v)
		}
		v = nv
		e.scim("PATCH", "G1", "/Users/"+ids["alice"], `{"Operations":[{"op":"replace","path":"userName","value":"alice2"}]}`).want(t, 200)
		if nv, _ := meta("a member renamed"); nv == v {
			t.Errorf("a member renamed: the version stayed %s", v)
		}
		// A change of a member that the group does not show leaves it.
		v, m = meta("before")
		e.clock.Add(time.Minute)
		e.scim("PATCH", "G1", "/Users/"+ids["alice"], `{"Operations":[{"op":"replace","path":"displayName","value":"A"}]}`).want(t, 200)
		if nv, nm := meta("a member's displayName"); nv != v || nm != m {
			t.Errorf("a member's displayName: version %s → %s, lastModified %s → %s", v, nv, m, nm)
		}
	})
}

// A group's displayName (a profile's name) is what /Schemas says: case-exact.
// Profile names are unique with regard to case, so two may differ in it
// alone, and a filter tells them apart; so does one on a user's profile.
func TestGroupDisplayNameCaseExact(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		for _, n := range []string{"Sales", "sales"} {
			if _, err := e.svc.CreateProfile(e.sys, "G1", meibo.Profile{Name: n}); err != nil {
				t.Fatalf("profile %s: %v", n, err)
			}
		}
		e.scim("POST", "G1", "/Users", map[string]any{"userName": "alice", meiboSchema: map[string]any{"profile": "Sales"}}).want(t, 201)
		e.scim("POST", "G1", "/Users", map[string]any{"userName": "bob", meiboSchema: map[string]any{"profile": "sales"}}).want(t, 201)
		sc := e.scim("GET", "G1", "/Schemas/urn:ietf:params:scim:schemas:core:2.0:Group", nil).want(t, 200)
		for _, a := range sc.body["attributes"].([]any) {
			if m := a.(map[string]any); m["name"] == "displayName" && m["caseExact"] != true {
				t.Errorf("displayName declared %v", m)
			}
		}
		for f, want := range map[string]string{
			`displayName eq "sales"`:     "sales",
			`displayName eq "Sales"`:     "Sales",
			`displayName eq "SALES"`:     "",
			`displayName sw "S"`:         "Sales",
			`displayName ne "Sales"`:     "default,sales",
			`displayName co "ale"`:       "Sales,sales",
			`displayName eq "Default"`:   "",
			`not (displayName ew "les")`: "default",
		} {
			l := e.scim("GET", "G1", "/Groups?filter="+url.QueryEscape(f), nil).want(t, 200)
			if got := strings.Join(l.names(), ","); got != want {
				t.Errorf("%s: %q, want %q", f, got, want)
			}
		}
		l := e.scim("GET", "G1", "/Users?filter="+url.QueryEscape(meiboSchema+`:profile eq "sales"`), nil).want(t, 200)
		if got := strings.Join(l.names(), ","); got != "bob" {
			t.Errorf("profile eq sales: %q", got)
		}
	})
}

const meiboSchema = "urn:meibo:params:scim:schemas:extension:meibo:2.0:User"
