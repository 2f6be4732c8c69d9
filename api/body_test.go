package api_test

import (
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
