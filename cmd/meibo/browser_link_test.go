package main

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/meibo/meibo"
)

// TestPasswordLinkInBrowser: without an SMTP server, an administrator
// issues a password link with the button on a user's page; the link is on
// that page only (not in the outbox), and it sets the user's password once.
func TestPasswordLinkInBrowser(t *testing.T) {
	t.Parallel()
	chromium := requireChromium(t)
	s := startBrowserServer(t)
	browser := startChromium(t, chromium)
	admin := newTab(t, browser, s.base)
	admin.signIn("admin", consolePassword)
	page := "/console/users/" + strconv.FormatInt(s.userID(t, "G002", "dave"), 10)
	admin.open(page)
	if st := admin.submit(`button[name=kind][value=invitation]`); st != http.StatusOK {
		t.Fatalf("issue a link: status %d", st)
	}
	admin.wantText("Password link issued", "dave")
	link := evalJS[string](admin, `document.querySelector("#issued-link").value`)
	path, ok := strings.CutPrefix(link, s.base+"/password/mbl_")
	if !ok || len(path) != 43 {
		t.Fatalf("issued link %q", link)
	}
	path = "/password/mbl_" + path

	// Shown once: not on the user's page again, nor in the outbox.
	for _, p := range []string{page, "/console/mail"} {
		admin.open(p)
		if strings.Contains(evalJS[string](admin, "document.documentElement.outerHTML"), "mbl_") {
			t.Errorf("%s shows a link", p)
		}
	}
	admin.open("/console/audit?action=user.link.issued")
	admin.wantText("dave")

	// The user opens it, chooses a password, and can sign in; the link
	// does not open again.
	user := newTab(t, browser, s.base)
	if st := user.open(path); st != http.StatusOK {
		t.Fatalf("open the link: status %d", st)
	}
	const pw = "Harbour-lights-93"
	user.set("#password", pw)
	user.set("#password2", pw)
	if st := user.submit(`form button[type=submit]`); st != http.StatusOK {
		t.Fatalf("set the password: status %d", st)
	}
	user.wantText("Your password is set")
	if _, _, err := s.m.Service.PortalSignIn(context.Background(), "G002", "dave", pw, "192.0.2.1", "test", meibo.English); err != nil {
		t.Errorf("sign in with the password set by the link: %v", err)
	}
	if st := user.open(path); st != http.StatusNotFound {
		t.Errorf("the link a second time: status %d", st)
	}
}
