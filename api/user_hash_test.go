package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/meibo/meibo/store/storetest"
)

// TestUserPasswordHash: the JSON API's user create and update take
// passwordHash; a malformed or weak one is refused on that field.
func TestUserPasswordHash(t *testing.T) {
	const sha256crypt = `$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5` // "Hello world!"
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newAPIEnv(t, engine)
		r := e.do("POST", "/api/v1/groups/G1/users", "manager", `{"name":"moved","passwordHash":"`+sha256crypt+`"}`, nil)
		if r.status != http.StatusCreated && r.status != http.StatusOK {
			t.Fatalf("create: %s", r)
		}
		if strings.Contains(r.body, "saltstring") {
			t.Errorf("the answer shows the hash: %s", r)
		}
		r = e.do("POST", "/api/v1/groups/G1/users", "manager", `{"name":"broken","passwordHash":"$5$salt$short"}`, nil)
		if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "passwordHash") || !strings.Contains(r.body, "SHA-crypt") {
			t.Errorf("malformed: %s", r)
		}
		r = e.do("PATCH", "/api/v1/users/"+e.ids["u1"], "manager", `{"passwordHash":"{SSHA}BYvR4bETSVq1m1qdhZDJylYzRixzYWx0MTIzNA=="}`, nil)
		if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "weak") {
			t.Errorf("weak: %s", r)
		}
		r = e.do("PATCH", "/api/v1/users/"+e.ids["u1"], "manager", `{"passwordHash":"`+sha256crypt+`"}`, nil)
		if r.status != http.StatusOK {
			t.Errorf("update: %s", r)
		}
	})
}
