package api_test

import (
	"io"
	"strings"
	"testing"
	"time"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/service"
)

// TestJSONOverLimit: the API on its own (without the server's body
// bounds in front) answers a JSON body over 1 MiB with 413 and an error
// that names the limit, and reads one just under it.
func TestJSONOverLimit(t *testing.T) {
	e := newAPIEnv(t, "sqlite")
	big := `{"loginId":"admin","password":"` + strings.Repeat("x", 1<<20) + `"}`
	r := e.do("POST", "/api/v1/login", "", big, nil)
	if r.status != 413 || !strings.Contains(r.body, `"code":"too_large"`) || !strings.Contains(r.body, "1 MiB") {
		t.Errorf("over 1 MiB: %s", r)
	}
	small := `{"loginId":"admin","password":"` + strings.Repeat("x", 1<<19) + `"}`
	if r := e.do("POST", "/api/v1/login", "", small, nil); r.status != 401 {
		t.Errorf("under 1 MiB: %s", r)
	}
}

// TestJSONSentAsForm: curl -d sends JSON with the form's content type, and
// it is read as JSON; a body that is a form indeed is told to be JSON.
func TestJSONSentAsForm(t *testing.T) {
	e := newAPIEnv(t, "sqlite")
	post := func(body string) (int, string) {
		t.Helper()
		res, err := e.srv.Client().Post(e.srv.URL+"/api/v1/login", "application/x-www-form-urlencoded", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	if st, body := post(`{"loginId":"admin","password":"Wrong-pass-phrase-1"}`); st != 401 {
		t.Errorf("JSON sent as a form (curl -d): %d %s", st, body)
	}
	if st, body := post(`loginId=admin&password=x`); st != 400 || !strings.Contains(body, "the body must be JSON, not a form") {
		t.Errorf("a form: %d %s", st, body)
	}
	if st, body := post(`{"loginId":`); st != 400 || !strings.Contains(body, "malformed JSON") {
		t.Errorf("broken JSON sent as a form: %d %s", st, body)
	}
}

// TestAuditCSV: the audit log as the console's CSV file, for Log Viewer
// with "save CSV file" (22) only.
func TestAuditCSV(t *testing.T) {
	e := newAPIEnv(t, "sqlite")
	if _, err := e.svc.CreateAdmin(e.sys, service.AdminInput{LoginID: "saver", Password: "Quiet-ledger-pass-1",
		Authorities: meibo.NewAuthorities(meibo.AuthLogViewer, meibo.AuthLogSaveCSV)}); err != nil {
		t.Fatal(err)
	}
	tok, _, err := e.svc.CreateToken(e.sys, "saver", "csv", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	e.tokens["saver"] = tok
	if r := e.do("GET", "/api/v1/audit.csv", "viewer", "", nil); r.status != 403 {
		t.Errorf("without 22: %s", r)
	}
	r := e.do("GET", "/api/v1/audit.csv?action=user.create", "saver", "", nil)
	if r.status != 200 || !strings.HasPrefix(r.body, "\uFEFFid,time,actor_kind,actor,address,action,category,object_kind,object_id,group,details\r\n") ||
		!strings.Contains(r.body, ",user.create,") || strings.Contains(r.body, ",group.create,") || !strings.HasPrefix(r.header.Get("Content-Type"), "text/csv") {
		t.Errorf("the CSV file: %s", r)
	}
}
