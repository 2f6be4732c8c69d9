package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/meibo/meibo/store/storetest"
)

// TestImportsAtOnceAPI: with three imports of a group waiting, the fourth
// upload is answered 429 with the message that names the limit and its
// flag, and leaves no job; so is an administrator's fourth in any group.
func TestImportsAtOnceAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newAPIEnv(t, engine) // no worker: uploads stay QUEUED
		file := "name,password,email\r\ncarol,,\r\n"
		for range 3 {
			if r := e.do("POST", "/api/v1/imports", "manager", "", usersUpload("G1", file)); r.status != http.StatusAccepted {
				t.Fatalf("upload: %s", r)
			}
		}
		before := e.do("GET", "/api/v1/imports?limit=100", "admin", "", nil)
		r := e.do("POST", "/api/v1/imports", "noexport", "", usersUpload("G1", file))
		if r.status != http.StatusTooManyRequests || !strings.Contains(r.body, `"code":"rate_limited"`) ||
			!strings.Contains(r.body, "The group G1 has 3 imports waiting or running already, the limit; nothing was submitted.") ||
			!strings.Contains(r.body, "--import-max-per-group") {
			t.Errorf("fourth upload of G1: %s", r)
		}
		// A job ends when it ends: the time after which asking again is
		// worth it (not "Retry-After: G1", the message's first argument).
		if ra := r.header.Get("Retry-After"); ra != "10" {
			t.Errorf("the limit of imports answers Retry-After: %q, want 10", ra)
		}
		r = e.do("POST", "/api/v1/imports", "manager", "", usersUpload("G2", file))
		if r.status != http.StatusTooManyRequests || !strings.Contains(r.body, "You have 3 imports waiting or running already") ||
			!strings.Contains(r.body, "--import-max-per-admin") || r.header.Get("Retry-After") != "10" {
			t.Errorf("fourth upload of one administrator: %s (Retry-After %q)", r, r.header.Get("Retry-After"))
		}
		// A bulk action waits in the same queue, with the same answer.
		r = e.do("POST", "/api/v1/groups/G1/users/bulk", "manager", `{"action":"disable","ids":[`+e.ids["u1"]+`]}`, nil)
		if r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") != "10" {
			t.Errorf("a bulk action over the limit: %s (Retry-After %q)", r, r.header.Get("Retry-After"))
		}
		if after := e.do("GET", "/api/v1/imports?limit=100", "admin", "", nil); after.body != before.body {
			t.Errorf("a refused upload changed the job list")
		}
	})
}
