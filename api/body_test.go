package api_test

import (
	"io"
	"strings"
	"testing"
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
