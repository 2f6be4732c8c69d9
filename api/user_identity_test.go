package api_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/service"
	"github.com/meibo/meibo/store/storetest"
)

// TestUserIdentityAPI: what an identity provider told of a user through
// SCIM (externalId, displayName, givenName, familyName) is in every answer
// with a user, "" when none was told, and only SCIM changes it.
func TestUserIdentityAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newAPIEnv(t, engine)
		id, _ := strconv.ParseInt(e.ids["u1"], 10, 64)
		ident := meibo.UserIdentity{ExternalID: "0f8fad5b-d9cb-469f-a165-70867728950e", DisplayName: "Alice Liddell", GivenName: "Alice", FamilyName: "Liddell"}
		res, err := e.svc.Provision(e.sys, "G1", []service.ProvisionOp{{UserID: id, Apply: func(cur *service.ProvisionedUser) (*service.ProvisionState, error) {
			st := service.StateOf(cur)
			st.Identity = ident
			return &st, nil
		}}}, false, 0)
		if err != nil || len(res) != 1 || res[0].Err != nil {
			t.Fatalf("provision: %v %v", res, err)
		}
		want := []string{`"externalId":"0f8fad5b-d9cb-469f-a165-70867728950e"`, `"displayName":"Alice Liddell"`, `"givenName":"Alice"`, `"familyName":"Liddell"`}
		has := func(what string, r response, want []string) {
			t.Helper()
			for _, s := range want {
				if !strings.Contains(r.body, s) {
					t.Errorf("%s: the answer lacks %s: %s", what, s, r)
				}
			}
		}
		none := []string{`"externalId":""`, `"displayName":""`, `"givenName":""`, `"familyName":""`}

		has("GET user", e.do("GET", "/api/v1/users/{u1}", "manager", "", nil), want)
		list := e.do("GET", "/api/v1/groups/G1/users", "manager", "", nil)
		has("GET users", list, want)
		has("GET users, bob", list, []string{`"name":"bob","email":"","profileId"`, `"externalId":""`})
		has("PATCH user", e.do("PATCH", "/api/v1/users/{u1}", "manager", `{"email":"alice@example.net"}`, nil), want)
		has("POST user", e.do("POST", "/api/v1/groups/G1/users", "manager", `{"name":"carol"}`, nil), none)
		has("duplicate", e.do("POST", "/api/v1/users/{u1}/duplicate", "manager", `{"name":"alice2"}`, nil), none)

		// Read-only: the identity provider changes it, through SCIM.
		if r := e.do("PATCH", "/api/v1/users/{u1}", "manager", `{"externalId":"mine"}`, nil); r.status != http.StatusBadRequest {
			t.Errorf("PATCH externalId: %s", r)
		}
		has("GET user after", e.do("GET", "/api/v1/users/{u1}", "manager", "", nil), want)
	})
}
