package console

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/service"
)

var jobPath = regexp.MustCompile(`^/console/imports/(\d+)\?done=imp\.submitted$`)

// submitted returns the job ID of an upload that was taken.
func (c *client) submitted(r resp) string {
	c.e.t.Helper()
	m := jobPath.FindStringSubmatch(r.header.Get("Location"))
	if r.status != http.StatusSeeOther || m == nil {
		c.e.t.Fatalf("upload: %d %q\n%s", r.status, r.header.Get("Location"), clip(r.body))
	}
	return m[1]
}

// status reads a job's status endpoint.
func (c *client) status(id string) importStatus {
	c.e.t.Helper()
	r := c.get("/console/imports/" + id + "/status")
	if r.status != http.StatusOK || !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
		c.e.t.Fatalf("status of %s: %d %s %s", id, r.status, r.header.Get("Content-Type"), r.body)
	}
	var s importStatus
	if err := json.Unmarshal([]byte(r.body), &s); err != nil {
		c.e.t.Fatalf("status of %s: %v: %s", id, err, r.body)
	}
	return s
}

// await polls a job's status, as the page does, until it is done.
func (c *client) await(id string) importStatus {
	c.e.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		s := c.status(id)
		if s.Done {
			return s
		}
		if time.Now().After(deadline) {
			c.e.t.Fatalf("import %s did not finish: %+v", id, s)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestImportFailsThenSucceeds(t *testing.T) {
	e := newEnv(t)
	c := e.admin("importer")

	r := c.get("/console/imports")
	r.want(t, "import page", http.StatusOK, []string{`enctype="multipart/form-data"`, `type="file"`, `id="imp-file"`,
		`<label for="imp-file"`, "data-dropzone", "drag and drop", "Import History", `value="G1"`, `value="G2"`,
		`value="admins"`, `value="cp932"`, `name="dryRun"`, `name="updateExisting"`, `name="sendInvitations"`, "/static/console-imports."})

	// A file with errors, queued before any worker runs.
	bad := "name,password,email\r\nbob,short,\r\nann,Lantern-orbit-51,not-an-address\r\n"
	id := c.submitted(c.upload(map[string]string{"format": "users", "group": "G1", "encoding": "auto"}, "bad.csv", []byte(bad), false))
	s := c.status(id)
	if s.Status != meibo.ImportQueued || s.Done || s.Progress != 0 || s.Label != "QUEUED" {
		t.Errorf("queued status: %+v", s)
	}
	r = c.get("/console/imports")
	r.want(t, "history with a waiting job", http.StatusOK, []string{`data-import-poll="/console/imports/` + id + `/status"`,
		"<progress", ">Refresh</a>", "bad.csv", "importer"})
	r = c.get("/console/imports/" + id + "?done=imp.submitted")
	r.want(t, "waiting job page", http.StatusOK, []string{"The file was uploaded", "data-import-reload", "QUEUED"}, "errors.csv")

	e.startWorker()
	s = c.await(id)
	if s.Status != meibo.ImportFailed || s.Errors < 2 || s.Created != 0 || s.Percent != 100 ||
		!strings.Contains(s.Summary, "nothing was written") {
		t.Errorf("failed status: %+v", s)
	}
	if users := e.users("G1"); len(users) != 1 { // alice, of the harness
		t.Errorf("a failed import wrote %d users", len(users)-1)
	}
	r = c.get("/console/imports/" + id)
	r.want(t, "failed job page", http.StatusOK, []string{"FAILED", "bad.csv", "SHA-256", "The password is too short",
		"This is not a valid e-mail address", `<td data-label="Row" class="num">2</td>`, `<td data-label="Row" class="num">3</td>`,
		"<code>password</code>", "<code>email</code>", "/console/imports/" + id + "/errors.csv", "UTF-8"},
		"data-import-poll", "/file\"") // the importer lacks authority 21: no file link
	c.lang = "ja"
	r = c.get("/console/imports/" + id)
	r.want(t, "failed job page in Japanese", http.StatusOK, []string{"パスワードが短すぎます", "FAILED(失敗)", "エラーと警告"},
		"The password is too short")
	csv := c.get("/console/imports/" + id + "/errors.csv")
	csv.want(t, "errors CSV in Japanese", http.StatusOK, []string{"\uFEFFrow,column,severity,message\r\n", "2,password,エラー,パスワードが短すぎます"})
	c.lang = ""
	csv = c.get("/console/imports/" + id + "/errors.csv")
	csv.want(t, "errors CSV", http.StatusOK, []string{"2,password,error,The password is too short", "3,email,error,"})
	for k, v := range map[string]string{"Content-Type": "text/csv; charset=utf-8",
		"Content-Disposition": `attachment; filename=import-` + id + `-errors.csv`, "Cache-Control": "no-store",
		"X-Content-Type-Options": "nosniff", "Content-Length": strconv.Itoa(len(csv.body))} {
		if got := csv.header.Get(k); got != v {
			t.Errorf("errors CSV: %s = %q, want %q", k, got, v)
		}
	}

	// A good file, sent as a script sends it (token in the header).
	good := "name,password,email\r\nbob,Lantern-orbit-51,bob@example.org\r\nann,Lantern-orbit-51,\r\n"
	id2 := c.submitted(c.upload(map[string]string{"format": "users", "group": "G1", "encoding": "utf-8"}, "名簿.csv", []byte(good), true))
	s = c.await(id2)
	if s.Status != meibo.ImportSuccess || s.Created != 2 || s.Errors != 0 || s.Progress != 1 || s.Rows != 2 || !s.Done {
		t.Errorf("success status: %+v", s)
	}
	raw := c.get("/console/imports/" + id2 + "/status")
	raw.want(t, "status JSON", http.StatusOK, []string{`"status":"SUCCESS"`, `"done":true`, `"progress":1`, `"percent":100`,
		`"created":2`, `"rows":2`, `"errors":0`, `"summary":"2 created, 0 updated, 0 deleted, 0 unchanged."`})
	if users := e.users("G1"); len(users) != 3 { // with alice
		t.Errorf("after the import G1 has %d users", len(users))
	}
	r = c.get("/console/imports/" + id2)
	r.want(t, "succeeded job page", http.StatusOK, []string{"SUCCESS", "名簿.csv", "No errors or warnings."}, "data-import-poll")
	r = c.get("/console/imports")
	if i, j := strings.Index(r.body, `data-import-id="`+id2+`"`), strings.Index(r.body, `data-import-id="`+id+`"`); i < 0 || j < 0 || i > j {
		t.Errorf("history not newest first: %d %d", i, j)
	}
	r.want(t, "history", http.StatusOK, []string{"SUCCESS", "FAILED", "名簿.csv"}, "data-import-poll", ">Refresh</a>")

	// A dry run writes nothing and says so.
	id3 := c.submitted(c.upload(map[string]string{"format": "users", "group": "G2", "dryRun": "1"}, "dry.csv", []byte(good), false))
	if s := c.await(id3); s.Status != meibo.ImportSuccess || s.Created != 2 {
		t.Errorf("dry run: %+v", s)
	}
	if users := e.users("G2"); len(users) != 0 {
		t.Errorf("a dry run wrote %d users", len(users))
	}
	c.get("/console/imports/"+id3).want(t, "dry run page", http.StatusOK, []string{"This was a dry run", "dry run"})

	// A file with its header alone: nothing imported, one warning, counted
	// in the singular.
	id4 := c.submitted(c.upload(map[string]string{"format": "users", "group": "G2"}, "empty.csv", []byte("name,password,email\r\n"), false))
	if s := c.await(id4); s.Status != meibo.ImportSuccess || s.Warnings != 1 {
		t.Errorf("header only: %+v", s)
	}
	c.get("/console/imports/"+id4).want(t, "header-only job page", http.StatusOK, []string{"there was nothing to import"})
	hist := c.get("/console/imports")
	hist.want(t, "history", http.StatusOK, []string{`<span data-field="warnings">1</span> warning)`}, "1</span> warnings)")

	// A file refused at its header is not kept (its passwords could not
	// be found to remove them): its page says so and offers no download.
	id5 := c.submitted(c.upload(map[string]string{"format": "users", "group": "G2"}, "header.csv", []byte("名前,パスワード,メール\r\nbob,Lantern-orbit-51,\r\n"), false))
	if s := c.await(id5); s.Status != meibo.ImportFailed {
		t.Errorf("a wrong header: %+v", s)
	}
	root := e.admin(meibo.BuiltinAdmin) // may download files
	root.get("/console/imports/"+id5).want(t, "job of a file not kept", http.StatusOK,
		[]string{"could not be read as a file of this format"}, `/imports/`+id5+`/file"`)
	root.get("/console/imports/"+id2).want(t, "job of a kept file", http.StatusOK, []string{`/imports/` + id2 + `/file"`})
}

func TestImportRefusals(t *testing.T) {
	e := newEnv(t)
	e.startWorker()
	root := e.admin(meibo.BuiltinAdmin)
	good := []byte("name,password,email\r\nbob,Lantern-orbit-51,\r\n")
	g2 := root.submitted(root.upload(map[string]string{"format": "users", "group": "G2"}, "g2.csv", good, false))
	root.await(g2)

	importer := e.admin("importer")
	// Too large: a clear message, whichever way the form comes.
	big := []byte("name,password,email\r\n" + strings.Repeat("x", maxUpload))
	for _, inHeader := range []bool{false, true} {
		r := importer.upload(map[string]string{"format": "users", "group": "G1"}, "big.csv", big, inHeader)
		r.want(t, "too large", http.StatusRequestEntityTooLarge, []string{"The upload is larger than the limit of 16 KiB.",
			`id="imp-file-error"`, "Choose the file again", `value="G1" selected`})
	}
	// No file chosen.
	r := importer.upload(map[string]string{"format": "users", "group": "G1"}, "", nil, false)
	r.want(t, "no file", http.StatusUnprocessableEntity, []string{"This is required."})
	// An unknown group, a bad encoding.
	r = importer.upload(map[string]string{"format": "users", "group": "G9"}, "x.csv", good, false)
	r.want(t, "unknown group", http.StatusUnprocessableEntity, []string{"There is no group with the ID G9."})
	r = importer.upload(map[string]string{"format": "users", "group": "G1", "encoding": "latin1"}, "x.csv", good, false)
	r.want(t, "unknown encoding", http.StatusUnprocessableEntity, []string{"Unknown encoding", `id="imp-encoding-error"`})
	// Without the form's token.
	importer.csrf = "forged"
	importer.upload(map[string]string{"format": "users", "group": "G1"}, "x.csv", good, false).want(t, "no CSRF", http.StatusForbidden, nil)
	importer.upload(map[string]string{"format": "users", "group": "G1"}, "x.csv", good, true).want(t, "no CSRF header", http.StatusForbidden, nil)

	// Without authority 21, no uploaded file; with it, the file as kept.
	importer = e.admin("importer")
	importer.get("/console/imports/"+g2+"/file").want(t, "file without 21", http.StatusForbidden, nil, "Lantern")
	auditor := e.admin("auditor")
	r = auditor.get("/console/imports")
	r.want(t, "history for a Log Viewer with 21", http.StatusOK, []string{"g2.csv"}, `type="file"`)
	r = auditor.get("/console/imports/" + g2)
	r.want(t, "job page with 21", http.StatusOK, []string{"/console/imports/" + g2 + "/file", "Audit trail"})
	f := auditor.get("/console/imports/" + g2 + "/file")
	f.want(t, "file with 21", http.StatusOK, []string{"name,password,email"}, "Lantern-orbit-51")
	if cd := f.header.Get("Content-Disposition"); cd != "attachment; filename=g2.csv" || f.header.Get("Content-Type") != "application/octet-stream" ||
		f.header.Get("Cache-Control") != "no-store" {
		t.Errorf("file headers: %v", f.header)
	}

	// Without authority 31 no upload, however it is sent.
	exporter := e.admin("exporter")
	exporter.upload(map[string]string{"format": "users", "group": "G1"}, "x.csv", good, false).want(t, "upload without 31", http.StatusForbidden, nil)
	exporter.get("/console/imports").want(t, "import page without 31", http.StatusForbidden, nil)
	viewer := e.admin("viewer")
	viewer.get("/console/imports/"+g2).want(t, "job without 31 or 21", http.StatusNotFound, nil, "g2.csv")
	viewer.get("/console/imports/"+g2+"/status").want(t, "status without 31 or 21", http.StatusNotFound, []string{`"error"`})

	// A department administrator: their groups only, no administrators.
	dept := e.admin("deptops")
	r = dept.get("/console/imports")
	r.want(t, "department import page", http.StatusOK, []string{`value="G1"`}, `value="G2"`, `value="admins"`, "g2.csv")
	dept.get("/console/imports/"+g2).want(t, "job of another group", http.StatusNotFound, nil, "g2.csv")
	dept.get("/console/imports/"+g2+"/errors.csv").want(t, "errors of another group", http.StatusNotFound, nil)
	r = dept.upload(map[string]string{"format": "users", "group": "G2"}, "x.csv", good, false)
	r.want(t, "upload to another group", http.StatusUnprocessableEntity, []string{"There is no group with the ID G2."})
	dept.upload(map[string]string{"format": "admins"}, "x.csv", good, false).want(t, "administrators file", http.StatusForbidden, nil)

	// Bad IDs.
	root.get("/console/imports/x").want(t, "bad ID", http.StatusNotFound, nil)
	root.get("/console/imports/99999/status").want(t, "unknown job", http.StatusNotFound, nil)
	// Signed out, the status endpoint sends to the sign-in page.
	anon := &client{e: e, c: &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	if r := anon.get("/console/imports/" + g2 + "/status"); r.status != http.StatusSeeOther ||
		!strings.HasPrefix(r.header.Get("Location"), "/console/signin") {
		t.Errorf("signed out: %d %v", r.status, r.header)
	}
}

func TestImportDevicesFormat(t *testing.T) {
	e := newEnv(t)
	e.startWorker()
	auth := meibo.NewAuthorities(meibo.AuthConsole, meibo.AuthImport, meibo.AuthDevices, meibo.AuthDevicesOnly, meibo.AuthDepartment)
	if _, err := e.svc.CreateAdmin(e.sys, service.AdminInput{LoginID: "devimport", Name: "devimport", Authorities: auth, Password: adminPassword,
		Groups: []string{"G1"}}); err != nil {
		t.Fatal(err)
	}
	c := e.admin("devimport")
	r := c.get("/console/imports")
	r.want(t, "devices-only import page", http.StatusOK, []string{`value="devices" checked`, `value="G1"`},
		`value="users"`, `value="personal"`, `value="admins"`, `value="G2"`)
	c.upload(map[string]string{"format": "users", "group": "G1"}, "x.csv", []byte("name,password,email\r\n"), false).
		want(t, "users file by a devices-only administrator", http.StatusForbidden, nil)
	id := c.submitted(c.upload(map[string]string{"format": "devices", "group": "G1"}, "devices.csv", []byte("name,serial,user\r\nphone,SN1,bob\r\n"), false))
	if s := c.await(id); s.Status != meibo.ImportFailed || s.Errors == 0 {
		t.Errorf("devices file naming unknown devices: %+v", s)
	}
	c.get("/console/imports/"+id).want(t, "devices job", http.StatusOK, []string{"Devices", "devices.csv", "<code>"})
	e.admin("importer").get("/console/imports").want(t, "import page without 33", http.StatusOK, []string{`value="users"`}, `value="devices"`)
}

// TestUploadFarTooLarge sends a body far over the limit: the same clear
// message, whichever way the token comes.
func TestUploadFarTooLarge(t *testing.T) {
	e := newEnv(t)
	c := e.admin("importer")
	huge := make([]byte, maxUpload+200<<10)
	for _, inHeader := range []bool{false, true} {
		r := c.upload(map[string]string{"format": "users", "group": "G1"}, "huge.csv", huge, inHeader)
		r.want(t, "huge body", http.StatusRequestEntityTooLarge, []string{"The upload is larger than the limit of 16 KiB."})
	}
}

// TestBulkJobPageWords: a bulk action's page speaks of the action, not of
// a file: a refused one is "Refused: 1 problem", not "The file was
// refused".
func TestBulkJobPageWords(t *testing.T) {
	e := newEnv(t)
	if _, err := e.svc.CreateProfile(e.sys, "G1", meibo.Profile{Name: "noapi", Actions: []meibo.Action{meibo.ActionLock}}); err != nil {
		t.Fatal(err)
	}
	u, err := e.svc.CreateUser(e.sys, "G1", service.UserInput{Name: "apiuser", APIAccess: true})
	if err != nil {
		t.Fatal(err)
	}
	q, err := e.svc.SubmitBulk(e.sys, service.BulkRequest{Action: service.BulkProfile, GroupID: "G1", IDs: []int64{u.ID}, Profile: "noapi"})
	if err != nil {
		t.Fatal(err)
	}
	j, err := e.svc.RunImport(e.sys, q.ID, nil)
	if err != nil || j.Status != meibo.ImportFailed {
		t.Fatalf("the move: %+v, %v", j, err)
	}
	e.admin(meibo.BuiltinAdmin).get("/console/imports/"+strconv.FormatInt(j.ID, 10)).want(t, "a refused bulk action", http.StatusOK,
		[]string{"Refused: 1 problem; nothing was written."}, "The file was refused")
}
