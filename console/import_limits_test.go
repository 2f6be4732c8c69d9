package console

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/meibo/meibo"
)

// TestImportsAtOnce: with three imports of a group waiting, the console
// answers the fourth upload 429 on the form, with the message that names
// the limit and its flag, and queues nothing.
func TestImportsAtOnce(t *testing.T) {
	e := newEnv(t) // no worker: uploads stay QUEUED
	c := e.admin("importer")
	file := []byte("name,password,email\r\ncarol,,\r\n")
	for range 3 {
		c.submitted(c.upload(map[string]string{"format": "users", "group": "G1"}, "g1.csv", file, false))
	}
	r := c.upload(map[string]string{"format": "users", "group": "G1"}, "g1.csv", file, false)
	r.want(t, "fourth import", http.StatusTooManyRequests, []string{
		"The group G1 has 3 imports waiting or running already, the limit; nothing was submitted.",
		"--import-max-per-group", `value="G1" selected`})
	jobs, err := e.svc.ImportJobs(e.sys, meibo.ImportFilter{Limit: 100})
	if err != nil || len(jobs) != 3 {
		t.Errorf("%d jobs after a refused upload, want 3 (%v)", len(jobs), err)
	}
}

// TestImportMessagesKept: a job with more errors than it keeps says on its
// page how many of how many it shows.
func TestImportMessagesKept(t *testing.T) {
	e := newEnv(t)
	e.startWorker()
	c := e.admin("importer")
	var b strings.Builder
	b.WriteString("name,password,email\r\n")
	for i := range 1100 {
		fmt.Fprintf(&b, "u%d,,x\r\n", i) // an address that is not one: an error each
	}
	id := c.submitted(c.upload(map[string]string{"format": "users", "group": "G1"}, "bad.csv", []byte(b.String()), false))
	if st := c.await(id); st.Status != meibo.ImportFailed {
		t.Fatalf("job %s", st.Status)
	}
	r := c.get("/console/imports/" + id)
	r.want(t, "job page", http.StatusOK, []string{"Listed: the first 1,000 of 1,100 errors;", "--import-max-messages"},
		"more are not listed here")
	if n := strings.Count(r.body, "This is not a valid e-mail address."); n != 1000 {
		t.Errorf("the page lists %d errors, want 1,000", n)
	}
}
