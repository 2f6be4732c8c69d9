package scim_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/service"
	"github.com/meibo/meibo/store/storetest"
)

func TestTokensAndDiscovery(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		// A token of G1 opens G1's endpoint only, and never the JSON API.
		e.scim("GET", "G1", "/Users", nil).want(t, 200)
		e.do("GET", "/scim/v2/G2/Users", e.token["G1"], nil).want(t, 401)
		e.do("GET", "/api/v1/groups", e.token["G1"], nil).want(t, 401)
		e.do("GET", "/scim/v2/G1/Users", "", nil).want(t, 401)
		e.do("GET", "/scim/v2/G1/Users", e.admin, nil).want(t, 401)

		// None in a group: an empty list (not null).
		if _, err := e.svc.CreateGroup(e.sys, meibo.Group{ID: "G3"}); err != nil {
			t.Fatal(err)
		}
		if l := e.do("GET", "/api/v1/groups/G3/scim-tokens", e.admin, nil).want(t, 200); !strings.Contains(l.raw, `"tokens":[]`) {
			t.Errorf("a group without tokens: %s", l.raw)
		}
		// Made, listed and revoked through the API.
		c := e.do("POST", "/api/v1/groups/G1/scim-tokens", e.admin, map[string]any{"name": "okta", "ttlHours": 24}).want(t, 201)
		tok := c.str("token")
		if !strings.HasPrefix(tok, service.SCIMTokenPrefix) || c.str("path") != "/scim/v2/G1" {
			t.Fatalf("create: %s", c.raw)
		}
		e.do("GET", "/scim/v2/G1/ServiceProviderConfig", tok, nil).want(t, 200)
		l := e.do("GET", "/api/v1/groups/G1/scim-tokens", e.admin, nil).want(t, 200)
		if strings.Contains(l.raw, tok) || !strings.Contains(l.raw, `"lastUsedAt":"`) || !strings.Contains(l.raw, `"name":"okta"`) {
			t.Errorf("list: %s", l.raw)
		}
		id := fmt.Sprint(l.body["tokens"].([]any)[0].(map[string]any)["id"])
		e.do("DELETE", "/api/v1/groups/G1/scim-tokens/"+id, e.admin, nil).want(t, 204)
		e.do("GET", "/scim/v2/G1/ServiceProviderConfig", tok, nil).want(t, 401)

		// A department administrator of G1 makes tokens for G1 only.
		if _, err := e.svc.CreateAdmin(e.sys, service.AdminInput{LoginID: "dept", Authorities: meibo.NewAuthorities(meibo.AuthConsole,
			meibo.AuthDepartment), Groups: []string{"G1"}, Password: "Velvet-summit-88"}); err != nil {
			t.Fatal(err)
		}
		dtok, _, _ := e.svc.CreateToken(e.sys, "dept", "t", 3600e9)
		e.do("POST", "/api/v1/groups/G2/scim-tokens", dtok, map[string]any{"name": "x"}).want(t, 404)
		e.do("POST", "/api/v1/groups/G1/scim-tokens", dtok, map[string]any{"name": "x"}).want(t, 201)

		// A token acts as its maker is now: disabled, it is refused.
		dscim, _, err := e.svc.CreateSCIMToken(meibo.WithActor(e.sys, deptActor(t, e)), "G1", "dept-idp", 0)
		if err != nil {
			t.Fatal(err)
		}
		e.do("GET", "/scim/v2/G1/Users", dscim, nil).want(t, 200)
		dept, _ := e.svc.AdminByLoginID(e.sys, "dept")
		if _, err := e.svc.UpdateAdmin(e.sys, dept.ID, meibo.AdminUpdate{Disabled: some(true)}); err != nil {
			t.Fatal(err)
		}
		e.do("GET", "/scim/v2/G1/Users", dscim, nil).want(t, 401)
		// Expired tokens are refused.
		e.clock.Add(2 * time.Hour)
		e.scim("GET", "G1", "/Users", nil).want(t, 401)
		e.clock.Add(-2 * time.Hour)

		spc := e.scim("GET", "G1", "/ServiceProviderConfig", nil).want(t, 200)
		if spc.str("bulk.maxOperations") != "1000" || spc.str("patch.supported") != "true" || spc.str("etag.supported") != "true" {
			t.Errorf("ServiceProviderConfig: %s", spc.raw)
		}
		rt := e.scim("GET", "G1", "/ResourceTypes", nil).want(t, 200)
		if rt.str("totalResults") != "2" {
			t.Errorf("ResourceTypes: %s", rt.raw)
		}
		e.scim("GET", "G1", "/ResourceTypes/User", nil).want(t, 200)
		sc := e.scim("GET", "G1", "/Schemas/urn:ietf:params:scim:schemas:core:2.0:User", nil).want(t, 200)
		if !strings.Contains(sc.raw, `"name":"password"`) || !strings.Contains(sc.raw, `"writeOnly"`) {
			t.Errorf("Schemas: %s", sc.raw)
		}
		e.scim("GET", "G1", "/Schemas/"+"urn:meibo:params:scim:schemas:extension:meibo:2.0:User", nil).want(t, 200)
		e.scim("GET", "G1", "/Nothing", nil).want(t, 404)
	})
}

func some[T any](v T) *T { return &v }

// deptActor is the department administrator "dept" as the API sees it.
func deptActor(t *testing.T, e *env) *meibo.Actor {
	t.Helper()
	a, err := e.svc.AdminByLoginID(e.sys, "dept")
	if err != nil {
		t.Fatal(err)
	}
	return &meibo.Actor{Kind: meibo.ActorAdmin, ID: a.ID, Name: a.LoginID, Authorities: a.Authorities, Groups: a.Groups}
}

func createUsers(t *testing.T, e *env, names ...string) map[string]string {
	t.Helper()
	ids := map[string]string{}
	for _, n := range names {
		a := e.scim("POST", "G1", "/Users", map[string]any{"userName": n, "emails": []any{map[string]any{"value": n + "@example.org"}},
			"name": map[string]any{"givenName": strings.ToUpper(n[:1]) + n[1:]}, "externalId": "ext-" + n}).want(t, 201)
		ids[n] = a.str("id")
	}
	return ids
}

func TestUsersQuery(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		ids := createUsers(t, e, "alice", "albert", "bob", "carol", "dave")
		e.scim("PATCH", "G1", "/Users/"+ids["bob"], `{"Operations":[{"op":"replace","path":"active","value":false}]}`).want(t, 200)
		e.scim("PATCH", "G1", "/Users/"+ids["carol"], `{"Operations":[{"op":"add","path":"urn:meibo:params:scim:schemas:extension:meibo:2.0:User:admin","value":true}]}`).want(t, 200)
		for filter, want := range map[string]string{
			`userName eq "alice"`:     "alice",
			`userName ne "alice"`:     "albert,bob,carol,dave",
			`userName sw "al"`:        "albert,alice",
			`userName co "li"`:        "alice",
			`userName co "ro"`:        "carol",
			`userName ew "ve"`:        "dave",
			`userName co "v"`:         "dave",
			`userName ew "e"`:         "alice,dave",
			`emails.value co "bert@"`: "albert",
			`emails[value ew "example.org"] and userName sw "d"`: "dave",
			`externalId eq "ext-bob"`:                            "bob",
			`active eq false`:                                    "bob",
			`not (active eq true)`:                               "bob",
			`userName eq "bob" or userName eq "dave"`:            "bob,dave",
			`name.givenName sw "Ca"`:                             "carol",
			`urn:meibo:params:scim:schemas:extension:meibo:2.0:User:admin eq true`: "carol",
			`displayName pr`:                              "",
			`externalId pr and userName sw "a"`:           "albert,alice",
			`meta.created gt "2000-01-01T00:00:00Z"`:      "albert,alice,bob,carol,dave",
			`meta.lastModified lt "2000-01-01T00:00:00Z"`: "",
			`id eq "` + ids["dave"] + `"`:                 "dave",
			`userName sw "al" and active eq true`:         "albert,alice",
			`userName sw "b" and active eq "True"`:        "",
			`emails.value eq "ALICE@example.org"`:         "alice",
			`emails.value sw "AL"`:                        "albert,alice",
			`emails sw "d" and userName ew "e"`:           "dave",
			`userName sw "A"`:                             "",
		} {
			a := e.scim("GET", "G1", "/Users?filter="+url.QueryEscape(filter), nil).want(t, 200)
			if got := strings.Join(a.names(), ","); got != want {
				t.Errorf("filter %s: %q, want %q", filter, got, want)
			}
		}
		// Paging, sorting, attribute selection, POST .search.
		a := e.scim("GET", "G1", "/Users?sortBy=userName&sortOrder=descending&startIndex=2&count=2", nil).want(t, 200)
		if strings.Join(a.names(), ",") != "carol,bob" || a.str("totalResults") != "5" || a.str("startIndex") != "2" || a.str("itemsPerPage") != "2" {
			t.Errorf("paging: %s", a.raw)
		}
		a = e.scim("GET", "G1", "/Users?startIndex=2&count=2", nil).want(t, 200)
		if strings.Join(a.names(), ",") != "alice,bob" || a.str("totalResults") != "5" {
			t.Errorf("a page without filter: %s", a.raw)
		}
		a = e.scim("GET", "G1", "/Users?startIndex=5&count=10&filter="+url.QueryEscape(`userName pr`), nil).want(t, 200)
		if strings.Join(a.names(), ",") != "dave" || a.str("totalResults") != "5" {
			t.Errorf("the last page of a filter: %s", a.raw)
		}
		a = e.scim("GET", "G1", "/Users?startIndex=2&count=1&filter="+url.QueryEscape(`userName sw "a"`), nil).want(t, 200)
		if strings.Join(a.names(), ",") != "alice" || a.str("totalResults") != "2" {
			t.Errorf("a page of userName sw: %s", a.raw)
		}
		a = e.scim("GET", "G1", "/Users?count=0&filter="+url.QueryEscape(`active eq true`), nil).want(t, 200)
		if len(a.names()) != 0 || a.str("totalResults") != "4" {
			t.Errorf("count=0 of active users: %s", a.raw)
		}
		a = e.scim("GET", "G1", "/Users?startIndex=9", nil).want(t, 200)
		if len(a.names()) != 0 || a.str("totalResults") != "5" {
			t.Errorf("past the end: %s", a.raw)
		}
		// Every window of the list, with and without a filter that the
		// indexes answer: a page past the middle is read from the end of
		// the name order, and holds the same users in the same order.
		all := []string{"albert", "alice", "bob", "carol", "dave"}
		for _, filter := range []string{"", "&filter=" + url.QueryEscape(`userName pr`)} {
			for start := 1; start <= 7; start++ {
				for count := 1; count <= 3; count++ {
					a := e.scim("GET", "G1", fmt.Sprintf("/Users?startIndex=%d&count=%d%s", start, count, filter), nil).want(t, 200)
					want := all[min(start-1, len(all)):min(start-1+count, len(all))]
					if got := a.names(); !slices.Equal(got, want) || a.str("totalResults") != "5" {
						t.Errorf("startIndex=%d count=%d%s: %q, want %q (%s)", start, count, filter, got, want, a.raw)
					}
				}
			}
		}
		a = e.scim("GET", "G1", "/Users?count=0", nil).want(t, 200)
		if a.str("totalResults") != "5" || a.str("itemsPerPage") != "0" {
			t.Errorf("count=0: %s", a.raw)
		}
		a = e.scim("GET", "G1", "/Users?attributes=userName&filter="+url.QueryEscape(`userName eq "alice"`), nil).want(t, 200)
		if r := a.body["Resources"].([]any)[0].(map[string]any); r["emails"] != nil || r["id"] == nil || r["userName"] != "alice" {
			t.Errorf("attributes: %s", a.raw)
		}
		g := e.scim("GET", "G1", "/Users/"+ids["alice"]+"?excludedAttributes=emails,name.givenName", nil).want(t, 200)
		if g.str("emails") != "" || g.str("name.givenName") != "" || g.str("userName") != "alice" {
			t.Errorf("excludedAttributes: %s", g.raw)
		}
		s := e.scim("POST", "G1", "/Users/.search", map[string]any{"filter": `userName sw "a"`, "attributes": []string{"userName"}, "sortBy": "userName"}).want(t, 200)
		if strings.Join(s.names(), ",") != "albert,alice" {
			t.Errorf(".search: %s", s.raw)
		}
		// Errors.
		if b := e.scim("GET", "G1", "/Users?filter="+url.QueryEscape(`userName eq`), nil).want(t, 400); b.str("scimType") != "invalidFilter" {
			t.Errorf("bad filter: %s", b.raw)
		}
		// A filter refused says what is wrong in the filter's terms, not
		// in the parser's.
		for f, want := range map[string]string{
			`userName eq`:             "an attribute, an operator",
			`userName eq "a`:          "double quotes do not pair",
			`userName eq 'a'`:         "double quotes, not single ones",
			`(userName eq "a"`:        "parentheses do not pair",
			`emails[type eq "work"`:   "square brackets do not pair",
			`userName equals "alice"`: "(eq, ne, co, sw, ew, gt, ge, lt, le, or pr without a value)",
		} {
			b := e.scim("GET", "G1", "/Users?filter="+url.QueryEscape(f), nil).want(t, 400)
			if d := b.str("detail"); !strings.Contains(d, want) || !strings.Contains(d, fmt.Sprintf("%q", f)) || strings.Contains(d, "op.Or") || strings.Contains(d, "func") {
				t.Errorf("filter %s: %s", f, d)
			}
		}
		if b := e.scim("POST", "G1", "/Users", map[string]any{"userName": "weak", "password": "short"}).want(t, 400); b.str("scimType") != "invalidValue" {
			t.Errorf("weak password: %s", b.raw)
		}
		e.scim("POST", "G1", "/Users", `{"userName":`).want(t, 400)
		e.scim("GET", "G1", "/Users/999999", nil).want(t, 404)
		e.scim("GET", "G2", "/Users/"+ids["alice"], nil).want(t, 404)
		// ETag and If-Match.
		cur := e.scim("GET", "G1", "/Users/"+ids["dave"], nil).want(t, 200)
		etag := cur.header.Get("ETag")
		e.scim("GET", "G1", "/Users/"+ids["dave"], nil, "If-None-Match", etag).want(t, 304)
		e.scim("PATCH", "G1", "/Users/"+ids["dave"], `{"Operations":[{"op":"replace","path":"displayName","value":"D"}]}`, "If-Match", `W/"old"`).want(t, 412)
		p := e.scim("PATCH", "G1", "/Users/"+ids["dave"], `{"Operations":[{"op":"replace","path":"displayName","value":"D"}]}`, "If-Match", etag).want(t, 200)
		if p.header.Get("ETag") == etag {
			t.Errorf("version unchanged after a change")
		}
		e.scim("DELETE", "G1", "/Users/"+ids["dave"], nil, "If-Match", etag).want(t, 412)
		// Remove and the extension's profile.
		r := e.scim("PATCH", "G1", "/Users/"+ids["alice"], `{"Operations":[{"op":"remove","path":"name.givenName"},{"op":"remove","path":"emails"}]}`).want(t, 200)
		if r.str("name") != "" || r.str("emails") != "" {
			t.Errorf("remove: %s", r.raw)
		}
		e.scim("PATCH", "G1", "/Users/"+ids["alice"], `{"Operations":[{"op":"replace","path":"urn:meibo:params:scim:schemas:extension:meibo:2.0:User:profile","value":"nope"}]}`).want(t, 400)
		// A new primary address replaces the old one as the user's e-mail.
		r = e.scim("PATCH", "G1", "/Users/"+ids["bob"], `{"Operations":[{"op":"add","path":"emails","value":[{"value":"bob@new.example","type":"work","primary":true}]}]}`).want(t, 200)
		if u, _ := e.svc.UserByName(e.sys, "G1", "bob"); u.Email != "bob@new.example" {
			t.Errorf("new primary e-mail: %q: %s", u.Email, r.raw)
		}
		// API access needs a profile that allows it (the default does).
		r = e.scim("PATCH", "G1", "/Users/"+ids["alice"], `{"Operations":[{"op":"replace","value":{"urn:meibo:params:scim:schemas:extension:meibo:2.0:User:apiAccess":true}}]}`).want(t, 200)
		if !strings.Contains(r.raw, `"apiAccess":true`) {
			t.Errorf("apiAccess: %s", r.raw)
		}
	})
}

func TestLicenceAndBulk(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		createUsers(t, e, "alice")
		if _, err := e.svc.UpdateSettings(e.sys, map[string]string{meibo.SettingLicenceLimit: "2"}); err != nil {
			t.Fatal(err)
		}
		createUsers(t, e, "bob")
		e.scim("POST", "G1", "/Users", map[string]any{"userName": "carol"}).want(t, 409)
		if _, err := e.svc.UpdateSettings(e.sys, map[string]string{meibo.SettingLicenceLimit: "0"}); err != nil {
			t.Fatal(err)
		}

		// failOnErrors 1: the last operation fails, nothing is written.
		b := e.scim("POST", "G1", "/Bulk", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"failOnErrors":1,"Operations":[
			{"method":"POST","bulkId":"u1","path":"/Users","data":{"userName":"dan"}},
			{"method":"PATCH","path":"/Users/bulkId:u1","data":{"Operations":[{"op":"replace","path":"displayName","value":"Dan"}]}},
			{"method":"POST","path":"/Users","data":{"userName":"alice"}}]}`).want(t, 200)
		ops := b.body["Operations"].([]any)
		if len(ops) != 1 || ops[0].(map[string]any)["status"] != "409" {
			t.Errorf("atomic bulk answer: %s", b.raw)
		}
		if _, err := e.svc.UserByName(e.sys, "G1", "dan"); meibo.ErrorCode(err) != meibo.CodeNotFound {
			t.Errorf("dan written by a failed atomic bulk: %v", err)
		}
		// Without failOnErrors each is made alone; bulkId references work.
		b = e.scim("POST", "G1", "/Bulk", `{"Operations":[
			{"method":"POST","bulkId":"u1","path":"/Users","data":{"userName":"dan"}},
			{"method":"PATCH","path":"/Users/bulkId:u1","data":{"Operations":[{"op":"replace","path":"displayName","value":"Dan"}]}},
			{"method":"POST","path":"/Users","data":{"userName":"alice"}},
			{"method":"DELETE","path":"/Users/bulkId:u1"}]}`).want(t, 200)
		var statuses []string
		for _, o := range b.body["Operations"].([]any) {
			statuses = append(statuses, o.(map[string]any)["status"].(string))
		}
		if strings.Join(statuses, ",") != "201,200,409,204" {
			t.Errorf("bulk statuses %v: %s", statuses, b.raw)
		}
		// Bounds.
		var many []string
		for i := 0; i <= 1000; i++ {
			many = append(many, `{"method":"DELETE","path":"/Users/1"}`)
		}
		e.scim("POST", "G1", "/Bulk", `{"Operations":[`+strings.Join(many, ",")+`]}`).want(t, 413)
	})
}

func TestGroups(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		ids := createUsers(t, e, "alice", "bob")
		p, err := e.svc.CreateProfile(e.sys, "G1", meibo.Profile{Name: "sales", Actions: []meibo.Action{meibo.ActionLock}})
		if err != nil {
			t.Fatal(err)
		}
		pid := fmt.Sprint(p.ID)
		l := e.scim("GET", "G1", "/Groups?filter="+url.QueryEscape(`displayName eq "sales"`), nil).want(t, 200)
		if strings.Join(l.names(), ",") != "sales" {
			t.Fatalf("groups: %s", l.raw)
		}
		empty := e.scim("GET", "G1", "/Groups/"+pid, nil).want(t, 200)
		e.scim("GET", "G1", "/Groups/"+pid, nil, "If-None-Match", empty.header.Get("ETag")).want(t, 304)
		e.clock.Add(time.Minute)
		e.scim("PATCH", "G1", "/Groups/"+pid, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Add","path":"members","value":[{"value":"`+ids["alice"]+`"}]}]}`).want(t, 204)
		g := e.scim("GET", "G1", "/Groups/"+pid, nil).want(t, 200)
		if !strings.Contains(g.raw, `"display":"alice"`) || strings.Contains(g.raw, `"display":"bob"`) {
			t.Errorf("members after add: %s", g.raw)
		}
		// A member added is a change of the group: its version, its ETag
		// and its lastModified move, and the ETag of before is stale.
		groupMeta := func(a answer) (version, modified string) {
			var r struct {
				Meta struct{ Version, LastModified string }
			}
			if err := json.Unmarshal([]byte(a.raw), &r); err != nil {
				t.Fatal(err)
			}
			if et := a.header.Get("ETag"); et != r.Meta.Version {
				t.Errorf("ETag %s, meta.version %s", et, r.Meta.Version)
			}
			return r.Meta.Version, r.Meta.LastModified
		}
		v0, m0 := groupMeta(empty)
		v1, m1 := groupMeta(g)
		if v1 == v0 || m1 <= m0 {
			t.Errorf("a member added: version %s → %s, lastModified %s → %s", v0, v1, m0, m1)
		}
		e.scim("GET", "G1", "/Groups/"+pid, nil, "If-None-Match", v0).want(t, 200)
		e.scim("GET", "G1", "/Groups/"+pid, nil, "If-None-Match", v1).want(t, 304)
		// Compared weakly, in a list, or "*".
		for _, inm := range []string{strings.TrimPrefix(v1, "W/"), `"other", ` + v1, "*"} {
			e.scim("GET", "G1", "/Groups/"+pid, nil, "If-None-Match", inm).want(t, 304)
		}
		// A change sent against the version of before is refused (412),
		// against the current one it applies.
		addBob := `{"Operations":[{"op":"add","path":"members","value":[{"value":"` + ids["bob"] + `"}]}]}`
		e.scim("PATCH", "G1", "/Groups/"+pid, addBob, "If-Match", v0).want(t, 412)
		e.scim("PUT", "G1", "/Groups/"+pid, `{"displayName":"sales","members":[]}`, "If-Match", v0).want(t, 412)
		if u, _ := e.svc.UserByName(e.sys, "G1", "bob"); u.ProfileName == "sales" {
			t.Fatal("a change against a stale version applied")
		}
		e.scim("PATCH", "G1", "/Groups/"+pid, `{"Operations":[{"op":"add","path":"members","value":[{"value":"`+ids["alice"]+`"}]}]}`, "If-Match", v1).want(t, 204)
		rename := func(name string) {
			e.scim("PATCH", "G1", "/Users/"+ids["alice"], `{"Operations":[{"op":"replace","path":"userName","value":"`+name+`"}]}`).want(t, 200)
		}
		rename("alice2")
		if v, _ := groupMeta(e.scim("GET", "G1", "/Groups/"+pid, nil).want(t, 200)); v == v1 {
			t.Errorf("a member renamed: the version stayed %s", v)
		}
		rename("alice")
		if u, _ := e.svc.UserByName(e.sys, "G1", "alice"); u.ProfileName != "sales" {
			t.Errorf("alice's profile: %s", u.ProfileName)
		}
		before := e.scim("GET", "G1", "/Groups/"+pid, nil).want(t, 200).header.Get("ETag")
		e.scim("PATCH", "G1", "/Groups/"+pid, `{"Operations":[{"op":"Remove","path":"members[value eq \"`+ids["alice"]+`\"]"}]}`).want(t, 204)
		e.scim("GET", "G1", "/Groups/"+pid, nil, "If-None-Match", before).want(t, 200)
		if u, _ := e.svc.UserByName(e.sys, "G1", "alice"); u.ProfileName == "sales" {
			t.Errorf("alice still in sales")
		}
		e.scim("PUT", "G1", "/Groups/"+pid, `{"displayName":"sales","members":[{"value":"`+ids["bob"]+`"}]}`).want(t, 200)
		if u, _ := e.svc.UserByName(e.sys, "G1", "bob"); u.ProfileName != "sales" {
			t.Errorf("bob's profile after PUT: %s", u.ProfileName)
		}
		// A new name without a path is refused as with one; the same name
		// beside the members, as identity providers send it, is no change.
		if b := e.scim("PATCH", "G1", "/Groups/"+pid, `{"Operations":[{"op":"replace","value":{"displayName":"Totally New"}}]}`).want(t, 400); b.str("scimType") != "mutability" {
			t.Errorf("a path-less rename: %s", b.raw)
		}
		if ps, _ := e.svc.Profiles(e.sys, "G1"); !slices.ContainsFunc(ps, func(p *meibo.Profile) bool { return p.Name == "sales" }) {
			t.Errorf("the profile was renamed: %+v", ps)
		}
		e.scim("PATCH", "G1", "/Groups/"+pid, `{"Operations":[{"op":"replace","value":{"displayName":"sales","members":[{"value":"`+ids["bob"]+`"}]}}]}`).want(t, 204)
		e.scim("GET", "G1", "/Me", nil).want(t, 501)
		// Read-only attributes are refused with a new value; the id the
		// user has, as a whole resource carries it, is no change.
		for _, op := range []string{`{"op":"replace","path":"id","value":"5"}`, `{"op":"replace","path":"meta.created","value":"2020-01-01T00:00:00Z"}`,
			`{"op":"replace","value":{"id":"5"}}`} {
			if b := e.scim("PATCH", "G1", "/Users/"+ids["bob"], `{"Operations":[`+op+`]}`).want(t, 400); b.str("scimType") != "mutability" {
				t.Errorf("%s: %s", op, b.raw)
			}
		}
		e.scim("PATCH", "G1", "/Users/"+ids["bob"], `{"Operations":[{"op":"replace","path":"id","value":"`+ids["bob"]+`"}]}`).want(t, 200)
		// A member who is no user of the group is a bad value (400), not
		// a group that is gone (404).
		for _, m := range []string{"999999", "abc"} {
			b := e.scim("PATCH", "G1", "/Groups/"+pid, `{"Operations":[{"op":"add","path":"members","value":[{"value":"`+m+`"}]}]}`).want(t, 400)
			if b.str("scimType") != "invalidValue" || !strings.Contains(b.raw, m) {
				t.Errorf("member %s: %s", m, b.raw)
			}
		}
		// The same members again change nothing: no event, the same
		// version and lastModified.
		updates := func() int {
			evs, err := e.svc.AuditEvents(e.sys, meibo.AuditFilter{Action: "user.update", Limit: 1000})
			if err != nil {
				t.Fatal(err)
			}
			return len(evs)
		}
		sameV, sameM := groupMeta(e.scim("GET", "G1", "/Groups/"+pid, nil).want(t, 200))
		n := updates()
		e.clock.Add(time.Minute)
		e.scim("PUT", "G1", "/Groups/"+pid, `{"displayName":"sales","members":[{"value":"`+ids["bob"]+`"}]}`).want(t, 200)
		if v, m := groupMeta(e.scim("GET", "G1", "/Groups/"+pid, nil).want(t, 200)); v != sameV || m != sameM || updates() != n {
			t.Errorf("a PUT of the same members: version %s → %s, lastModified %s → %s, %d events → %d", sameV, v, sameM, m, n, updates())
		}
		e.scim("PATCH", "G1", "/Groups/"+pid, `{"Operations":[{"op":"remove","path":"members"}]}`).want(t, 204)
		if u, _ := e.svc.UserByName(e.sys, "G1", "bob"); u.ProfileName == "sales" {
			t.Errorf("bob still in sales after removing every member")
		}
		// A user created in a bulk request joins a group by its bulkId.
		b := e.scim("POST", "G1", "/Bulk", `{"failOnErrors":1,"Operations":[
			{"method":"POST","bulkId":"c","path":"/Users","data":{"userName":"carol"}},
			{"method":"PATCH","path":"/Groups/`+pid+`","data":{"Operations":[{"op":"add","path":"members","value":[{"value":"bulkId:c"}]}]}}]}`).want(t, 200)
		if u, err := e.svc.UserByName(e.sys, "G1", "carol"); err != nil || u.ProfileName != "sales" {
			t.Errorf("carol: %+v, %v: %s", u, err, b.raw)
		}
		l = e.scim("GET", "G1", "/Groups?excludedAttributes=members", nil).want(t, 200)
		if strings.Contains(l.raw, `"members"`) {
			t.Errorf("excludedAttributes=members: %s", l.raw)
		}
		e.scim("GET", "G1", "/Groups/999", nil).want(t, 404)
		e.scim("POST", "G1", "/Groups", `{"displayName":"new"}`).want(t, 501)
		e.scim("DELETE", "G1", "/Groups/"+pid, nil).want(t, 501)
	})
}

// TestUnknownUserIDs: every answer about a user that is not there names the
// ID it was asked for.
func TestUnknownUserIDs(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		for _, c := range []struct{ method, id, want string }{
			{"GET", "9999", "There is no user with the ID 9999 in this group."},
			{"PUT", "9999", "There is no user with the ID 9999 in this group."},
			{"DELETE", "9999", "There is no user with the ID 9999 in this group."},
			{"GET", "abc", `There is no user with the ID "abc" in this group.`},
		} {
			var body any
			if c.method == "PUT" {
				body = `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ghost"}`
			}
			a := e.scim(c.method, "G1", "/Users/"+c.id, body).want(t, 404)
			if got := a.str("detail"); got != c.want {
				t.Errorf("%s /Users/%s: %q, want %q", c.method, c.id, got, c.want)
			}
		}
	})
}

// TestPatchEmailsWithoutPath: Entra ID's path-less operations on the
// address take effect (a path as the value's key; an Add of emails), as
// their paths do, rather than answer 200 and change nothing.
func TestPatchEmailsWithoutPath(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		ids := createUsers(t, e, "dave")
		email := func() string {
			a := e.scim("GET", "G1", "/Users/"+ids["dave"], nil).want(t, 200)
			list, _ := a.body["emails"].([]any)
			if len(list) != 1 {
				t.Errorf("emails: %s", a.raw)
				return ""
			}
			m, _ := list[0].(map[string]any)
			v, _ := m["value"].(string)
			return v
		}
		for _, c := range []struct{ op, want string }{
			{`{"op":"Replace","value":{"emails[type eq \"work\"].value":"dave9@corp.example"}}`, "dave9@corp.example"},
			{`{"op":"Add","value":{"emails":[{"value":"dave3@corp.example","type":"work"}]}}`, "dave3@corp.example"},
			{`{"op":"add","path":"emails","value":[{"value":"dave4@corp.example","type":"work"}]}`, "dave4@corp.example"},
		} {
			e.scim("PATCH", "G1", "/Users/"+ids["dave"], `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[`+c.op+`]}`).want(t, 200)
			if got := email(); got != c.want {
				t.Errorf("after %s: %q, want %q", c.op, got, c.want)
			}
		}
	})
}

// A rename through SCIM is held to the licence as the users are before it:
// renaming a user whose name and address another group's user shares (one
// licence for both) takes a licence of its own, refused when none is free,
// by PATCH and PUT alike; a rename that frees the licence it takes passes.
func TestRenameHeldToTheLicence(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		ids := createUsers(t, e, "alice", "bob")
		e.scim("POST", "G2", "/Users", map[string]any{"userName": "alice", "emails": []any{map[string]any{"value": "alice@example.org"}}}).want(t, 201)
		used := func() int {
			t.Helper()
			l, err := e.svc.Licence(e.sys)
			if err != nil {
				t.Fatal(err)
			}
			return l.Used
		}
		if n := used(); n != 2 {
			t.Fatalf("%d licences used, want 2", n)
		}
		if _, err := e.svc.UpdateSettings(e.sys, map[string]string{meibo.SettingLicenceLimit: "2"}); err != nil {
			t.Fatal(err)
		}
		e.scim("PATCH", "G1", "/Users/"+ids["alice"], `{"Operations":[{"op":"Replace","path":"userName","value":"alice2"}]}`).want(t, 409)
		e.scim("PUT", "G1", "/Users/"+ids["alice"], map[string]any{"userName": "alice3",
			"emails": []any{map[string]any{"value": "alice@example.org"}}}).want(t, 409)
		if n := used(); n != 2 {
			t.Errorf("%d licences used after refused renames, limit 2", n)
		}
		if u, _ := e.svc.UserByName(e.sys, "G1", "alice"); u == nil {
			t.Errorf("alice renamed by a refused change")
		}
		// bob holds a licence alone: his new name takes it over.
		e.scim("PATCH", "G1", "/Users/"+ids["bob"], `{"Operations":[{"op":"Replace","path":"userName","value":"bobby"}]}`).want(t, 200)
		if n := used(); n != 2 {
			t.Errorf("%d licences used after a rename of a user alone, want 2", n)
		}
	})
}

// A group's SCIM tokens have names of their own (without regard to case),
// so that the audit's actor scim:NAME tells them apart; every event a
// token causes also names its ID.
func TestSCIMTokenNamesAndAudit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		for _, name := range []string{"idp-G1", "IDP-g1", " idp-G1 "} {
			b := e.do("POST", "/api/v1/groups/G1/scim-tokens", e.admin, map[string]any{"name": name}).want(t, 409)
			if !strings.Contains(b.raw, "already has a SCIM token named idp-G1") {
				t.Errorf("%q: %s", name, b.raw)
			}
		}
		if _, _, err := e.svc.CreateSCIMToken(e.sys, "G1", "IDP-G1", 0); meibo.ErrorCode(err) != meibo.CodeConflict {
			t.Errorf("the service: %v", err)
		}
		// Another group's name is no matter.
		e.do("POST", "/api/v1/groups/G2/scim-tokens", e.admin, map[string]any{"name": "idp-G1"}).want(t, 201)
		// Once revoked, its name is free.
		second := e.do("POST", "/api/v1/groups/G1/scim-tokens", e.admin, map[string]any{"name": "entra"}).want(t, 201)
		l := e.do("GET", "/api/v1/groups/G1/scim-tokens", e.admin, nil).want(t, 200)
		ids := map[string]string{}
		for _, k := range l.body["tokens"].([]any) {
			m := k.(map[string]any)
			ids[m["name"].(string)] = fmt.Sprint(m["id"])
		}
		e.do("DELETE", "/api/v1/groups/G1/scim-tokens/"+ids["entra"], e.admin, nil).want(t, 204)
		third := e.do("POST", "/api/v1/groups/G1/scim-tokens", e.admin, map[string]any{"name": "entra"}).want(t, 201)
		if second.str("token") == third.str("token") {
			t.Fatal("the same secret twice")
		}
		// Each change names the token's ID beside its name.
		e.scim("POST", "G1", "/Users", map[string]any{"userName": "alice"}).want(t, 201)
		e.do("POST", "/scim/v2/G1/Users", third.str("token"), map[string]any{"userName": "bob"}).want(t, 201)
		l = e.do("GET", "/api/v1/groups/G1/scim-tokens", e.admin, nil).want(t, 200)
		for _, k := range l.body["tokens"].([]any) {
			m := k.(map[string]any)
			ids[m["name"].(string)] = fmt.Sprint(m["id"])
		}
		evs, err := e.svc.AuditEvents(e.sys, meibo.AuditFilter{Action: "user.create", Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, ev := range evs {
			got[ev.ObjectID] = ev.ActorName + " " + fmt.Sprint(ev.Details["scimToken"])
		}
		if got["alice"] != "scim:idp-G1 "+ids["idp-G1"] || got["bob"] != "scim:entra "+ids["entra"] {
			t.Errorf("events %v, tokens %v", got, ids)
		}
	})
}
