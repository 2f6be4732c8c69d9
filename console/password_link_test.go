package console

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/service"
)

var issuedLink = regexp.MustCompile(`value="https://meibo\.example/password/(mbl_[A-Za-z0-9_-]{43})"`)

// TestPasswordLink: without an SMTP server, an administrator who may
// manage a user issues a link from the user's page: shown on that answer
// only, single-use, audited; refused without the authority, and not found
// outside a department administrator's groups.
func TestPasswordLink(t *testing.T) {
	e := newEnv(t)
	amy, err := e.svc.CreateUser(e.sys, "G1", service.UserInput{Name: "amy", Email: "amy@example.org"})
	if err != nil {
		t.Fatal(err)
	}
	zed, err := e.svc.CreateUser(e.sys, "G2", service.UserInput{Name: "zed", Email: "zed@example.org"})
	if err != nil {
		t.Fatal(err)
	}
	page := "/console/users/" + strconv.FormatInt(amy.ID, 10)

	c := e.admin("deptops")
	c.get(page).want(t, "user page", http.StatusOK, []string{"Issue an invitation link", "Issue a password reset link",
		`action="` + page + `/password-link"`}, "mbl_")
	r := c.post(page+"/password-link", url.Values{"kind": {"reset"}})
	r.want(t, "issued", http.StatusOK, []string{"Password link issued", "amy"})
	m := issuedLink.FindStringSubmatch(r.body)
	if m == nil {
		t.Fatalf("no link in:\n%s", r.body)
	}
	secret := m[1]
	if r.header.Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control %q", r.header.Get("Cache-Control"))
	}
	// Shown once: not on the user's page, nor in the outbox or the audit log.
	c.get(page).want(t, "user page after", http.StatusOK, nil, secret)
	a := e.admin("auditor")
	a.get("/console/mail").want(t, "outbox", http.StatusOK, nil, secret, "mbl_")
	a.get("/console/audit?action=user.link.issued").want(t, "audit", http.StatusOK,
		[]string{"amy", "password link issued to an administrator"}, secret)

	// It works once.
	if _, err := e.svc.SetPasswordByLink(context.Background(), secret, "Amber-canyon-17", "192.0.2.1"); err != nil {
		t.Fatalf("the issued link: %v", err)
	}
	if _, err := e.svc.SetPasswordByLink(context.Background(), secret, "Other-pass-phrase-3", "192.0.2.1"); meibo.ErrorCode(err) != meibo.CodeNotFound {
		t.Errorf("the issued link twice: %v", err)
	}

	// Another department's user is not found; without the authority,
	// forbidden; a kind that is neither, refused.
	c.post("/console/users/"+strconv.FormatInt(zed.ID, 10)+"/password-link", url.Values{"kind": {"reset"}}).
		want(t, "other department", http.StatusNotFound, nil, "mbl_")
	e.admin("viewer").post(page+"/password-link", url.Values{"kind": {"reset"}}).want(t, "viewer", http.StatusForbidden, nil, "mbl_")
	if r := c.post(page+"/password-link", url.Values{"kind": {"bogus"}}); r.status == http.StatusOK || strings.Contains(r.body, "mbl_") {
		t.Errorf("kind bogus: %d", r.status)
	}
}
