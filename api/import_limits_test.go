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
		// No wait to name: a job ends when it ends (not "Retry-After: G1").
		if ra := r.header.Get("Retry-After"); ra != "" {
			t.Errorf("the limit of imports answers Retry-After: %q", ra)
		}
		r = e.do("POST", "/api/v1/imports", "manager", "", usersUpload("G2", file))
		if r.status != http.StatusTooManyRequests || !strings.Contains(r.body, "You have 3 imports waiting or running already") ||
			!strings.Contains(r.body, "--import-max-per-admin") {
			t.Errorf("fourth upload of one administrator: %s", r)
		}
		if after := e.do("GET", "/api/v1/imports?limit=100", "admin", "", nil); after.body != before.body {
			t.Errorf("a refused upload changed the job list")
		}
	})
}
