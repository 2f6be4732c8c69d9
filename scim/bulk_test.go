package scim_test

import (
	"strings"
	"testing"

	"github.com/meibo/meibo/store/storetest"
)

// bulkStatuses returns the status of each operation of a BulkResponse.
func bulkStatuses(t *testing.T, a answer) string {
	t.Helper()
	ops, ok := a.body["Operations"].([]any)
	if !ok {
		t.Fatalf("not a BulkResponse: %s", a.raw)
	}
	var out []string
	for _, o := range ops {
		out = append(out, o.(map[string]any)["status"].(string))
	}
	return strings.Join(out, ",")
}

// Without failOnErrors, an operation the service provider refuses (a value
// it cannot read, a version that is not the user's) is answered in its
// place and the operations after it are still made (RFC 7644 §3.7.3).
func TestBulkGoesOnAfterARefusal(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		ids := createUsers(t, e, "alice")
		b := e.scim("POST", "G1", "/Bulk", `{"Operations":[
			{"method":"POST","bulkId":"c1","path":"/Users","data":{"userName":"bulkc1"}},
			{"method":"PATCH","path":"/Users/`+ids["alice"]+`","data":{"Operations":[{"op":"replace","path":"active","value":"yes"}]}},
			{"method":"PATCH","path":"/Users/`+ids["alice"]+`","version":"W/\"stale\"","data":{"Operations":[{"op":"replace","path":"displayName","value":"A"}]}},
			{"method":"POST","bulkId":"c3","path":"/Users","data":{"userName":"bulkc3"}}]}`).want(t, 200)
		if got := bulkStatuses(t, b); got != "201,400,412,201" {
			t.Errorf("statuses %s: %s", got, b.raw)
		}
		if !strings.Contains(b.raw, "active must be true or false") {
			t.Errorf("the refusal is not told: %s", b.raw)
		}
		for _, n := range []string{"bulkc1", "bulkc3"} {
			if _, err := e.svc.UserByName(e.sys, "G1", n); err != nil {
				t.Errorf("%s: %v", n, err)
			}
		}

		// failOnErrors 2 stops after the second refusal.
		b = e.scim("POST", "G1", "/Bulk", `{"failOnErrors":2,"Operations":[
			{"method":"PATCH","path":"/Users/`+ids["alice"]+`","data":{"Operations":[{"op":"replace","path":"active","value":"yes"}]}},
			{"method":"PATCH","path":"/Users/`+ids["alice"]+`","data":{"Operations":[{"op":"replace","path":"active","value":"no"}]}},
			{"method":"POST","path":"/Users","data":{"userName":"bulkc4"}}]}`).want(t, 200)
		if got := bulkStatuses(t, b); got != "400,400" {
			t.Errorf("statuses %s: %s", got, b.raw)
		}
		if _, err := e.svc.UserByName(e.sys, "G1", "bulkc4"); err == nil {
			t.Error("bulkc4 made after failOnErrors was reached")
		}
	})
}
