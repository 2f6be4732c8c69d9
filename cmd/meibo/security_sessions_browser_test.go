package main

import (
	"net/http"
	"strings"
	"testing"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/service"
)

// TestEndOtherSessionsInBrowser: an administrator who sees sessions on
// their Sign-in security page that they do not recognise ends them all but
// their own with one button; the page then shows their own alone.
func TestEndOtherSessionsInBrowser(t *testing.T) {
	t.Parallel()
	chromium := requireChromium(t)
	s := startBrowserServer(t)
	const pw = "Sam-sessions-pw4"
	if _, err := s.m.Service.CreateAdmin(s.sys, service.AdminInput{LoginID: "sam", Name: "Sam", Password: pw,
		Authorities: meibo.NewAuthorities(meibo.AuthConsole)}); err != nil {
		t.Fatal(err)
	}
	b := newTab(t, startChromium(t, chromium), s.base)
	b.signIn("sam", pw)
	b.open("/console/account/security")
	if b.exists("#sessions-end") {
		t.Error("one session, and a button to end the others")
	}
	// Two sessions elsewhere (another browser, a machine left signed in).
	var others []string
	for _, addr := range []string{"198.51.100.7", "203.0.113.9"} {
		secret, _, err := s.m.Service.SignIn(s.sys, "sam", pw, addr, "elsewhere", meibo.English)
		if err != nil {
			t.Fatal(err)
		}
		others = append(others, secret)
	}
	b.open("/console/account/security")
	b.wantText("198.51.100.7", "203.0.113.9", "Sign out everywhere else")
	if st := b.submit("#sessions-end"); st != http.StatusOK {
		t.Fatalf("sign out everywhere else: status %d", st)
	}
	b.wantText("Your other sessions were ended")
	if text := b.text("#session-list"); strings.Contains(text, "198.51.100.7") || strings.Contains(text, "203.0.113.9") {
		t.Errorf("the sessions ended are still listed:\n%s", text)
	}
	for _, secret := range others {
		if _, _, err := s.m.Service.ConsoleActor(s.sys, secret, ""); meibo.ErrorCode(err) != meibo.CodeUnauthorized {
			t.Errorf("a session elsewhere outlived it: %v", err)
		}
	}
	// This one goes on.
	if st := b.open("/console/account"); st != http.StatusOK {
		t.Errorf("this session after ending the others: %d", st)
	}
}
