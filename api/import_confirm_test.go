package api_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/store/storetest"
)

// TestImportConfirmAPI imports a dry run for real with POST
// /api/v1/imports/{id}/confirm (the file sent again when it held
// passwords), and lists what the job changed.
func TestImportConfirmAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newAPIEnv(t, engine)
		e.startWorker()
		file := "name,password,email\r\ncarol,Amber-canyon-17,carol@example.org\r\n"
		r := e.do("POST", "/api/v1/imports", "manager", "", &upload{
			fields: map[string]string{"format": "users", "group": "G1", "dryRun": "true"}, fileName: "carol.csv", file: []byte(file)})
		var dry meibo.ImportJob
		if err := json.Unmarshal([]byte(r.body), &dry); r.status != http.StatusAccepted || err != nil {
			t.Fatalf("dry run: %s", r)
		}
		if done := e.poll(itoa(dry.ID), "manager"); !strings.Contains(done.body, `"status":"SUCCESS"`) {
			t.Fatalf("dry run: %s", done)
		}
		// The kept file lost its password: without the file, refused.
		if r := e.do("POST", "/api/v1/imports/"+itoa(dry.ID)+"/confirm", "manager", "", nil); r.status != http.StatusUnprocessableEntity ||
			!strings.Contains(r.body, "choose the same file again") {
			t.Errorf("confirm without the file: %s", r)
		}
		r = e.do("POST", "/api/v1/imports/"+itoa(dry.ID)+"/confirm", "manager", "", &upload{fileName: "carol.csv", file: []byte(file)})
		var job meibo.ImportJob
		if err := json.Unmarshal([]byte(r.body), &job); r.status != http.StatusAccepted || err != nil || job.DryRun || job.ID == dry.ID {
			t.Fatalf("confirm: %s", r)
		}
		if done := e.poll(itoa(job.ID), "manager"); !strings.Contains(done.body, `"created":1`) {
			t.Fatalf("confirmed job: %s", done)
		}
		r = e.do("GET", "/api/v1/imports/"+itoa(job.ID)+"/changes", "manager", "", nil)
		if r.status != http.StatusOK || !strings.Contains(r.body, `"name":"carol"`) || !strings.Contains(r.body, `"action":"created"`) ||
			!strings.Contains(r.body, "password: changed") || strings.Contains(r.body, "Amber") {
			t.Errorf("changes: %s", r)
		}
		// Imported once: the dry run names the import, and a second
		// confirmation is refused.
		if r := e.do("GET", "/api/v1/imports/"+itoa(dry.ID), "manager", "", nil); !strings.Contains(r.body, `"importedAs":`+itoa(job.ID)) {
			t.Errorf("the dry run after its import: %s", r)
		}
		if r := e.do("POST", "/api/v1/imports/"+itoa(dry.ID)+"/confirm", "manager", "", &upload{fileName: "carol.csv", file: []byte(file)}); r.status != http.StatusConflict ||
			!strings.Contains(r.body, "imported already, as import #"+itoa(job.ID)) {
			t.Errorf("a second confirmation: %s", r)
		}
		// Without "import CSV file", refused.
		if r := e.do("POST", "/api/v1/imports/"+itoa(dry.ID)+"/confirm", "noimport", "", nil); r.status != http.StatusForbidden {
			t.Errorf("confirm without authority 31: %s", r)
		}
	})
}
