package console

import (
	"net/http"
	"testing"

	"github.com/meibo/meibo"
)

// TestBImportsAtOnce: with three imports of a group waiting, the console
// answers the fourth upload 429 on the form, with the message that names
// the limit and its flag, and queues nothing.
func TestBImportsAtOnce(t *testing.T) {
	e := newBEnv(t) // no worker: uploads stay QUEUED
	c := e.signIn("importer")
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
