package console

import (
	"net/http"
	"strings"
	"testing"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/service"
)

// TestUsersWeakHashes: an import that allowed weak password hashes says
// how many users still have one, and the users list shows just them.
func TestUsersWeakHashes(t *testing.T) {
	e := newEnv(t)
	data := []byte("name,passwordHash,email\r\nldap1,{SSHA}BYvR4bETSVq1m1qdhZDJylYzRixzYWx0MTIzNA==,\r\nbob,,\r\n")
	job, err := e.svc.SubmitAndRun(e.sys, service.ImportRequest{Format: meibo.FormatUsers, GroupID: "G1", AllowWeakHashes: true}, data, nil)
	if err != nil || job.Status != meibo.ImportSuccess {
		t.Fatalf("import: %v %+v", err, job)
	}
	c := e.admin(meibo.BuiltinAdmin)
	r := c.get("/console/groups/G1/users?weak=1")
	if r.status != http.StatusOK || !strings.Contains(r.body, "ldap1") || strings.Contains(r.body, ">bob<") || !strings.Contains(r.body, `name="weak" value="1" checked`) {
		t.Errorf("weak filter: %d\n%s", r.status, r.body)
	}
	r = c.get("/console/groups/G1/users")
	if !strings.Contains(r.body, ">bob<") || !strings.Contains(r.body, "ldap1") {
		t.Errorf("all users: %d", r.status)
	}
}
