package main

import (
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/meibo/meibo"
)

// TestFirstRunInBrowser starts a new installation without a chosen admin
// password, signs in with the printed one, is held on the account page
// until a new password is chosen there, and then sees the overview's
// first steps, ticked as they get done.
func TestFirstRunInBrowser(t *testing.T) {
	path := requireChromium(t)
	t.Parallel()
	var out syncBuffer
	m := NewMain(testConfig(filepath.Join(t.TempDir(), "meibo.db"), &out))
	if err := m.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	match := printedPassword.FindStringSubmatch(out.String())
	if match == nil {
		t.Fatalf("no password printed:\n%s", out.String())
	}
	printed := match[1]

	b := newTab(t, startChromium(t, path), m.URL())
	b.signIn("admin", printed)
	if !strings.HasSuffix(b.location(), "/console/account") || !b.exists("#first-password") {
		t.Fatalf("after signing in with the printed password: at %s\n%s", b.location(), b.mainText())
	}
	b.screenshot("first-run-password-en-desktop")
	// Anything else leads back to the account page.
	b.open("/console/groups")
	if !strings.HasSuffix(b.location(), "/console/account") {
		t.Fatalf("the groups page opened before the password was changed: at %s", b.location())
	}
	// The printed password again is refused.
	b.set("#currentPassword", printed)
	b.set("#password", printed)
	b.set("#repeat", printed)
	if st := b.submit(`form[action$="/account/password"] button[type=submit]`); st != http.StatusUnprocessableEntity {
		t.Fatalf("the same password again: status %d\n%s", st, b.mainText())
	}
	b.wantText("other than the current one")
	b.set("#currentPassword", printed)
	b.set("#password", "First-run-new-pw-7")
	b.set("#repeat", "First-run-new-pw-7")
	if st := b.submit(`form[action$="/account/password"] button[type=submit]`); st != http.StatusOK {
		t.Fatalf("change the password: status %d\n%s", st, b.mainText())
	}
	if !strings.HasSuffix(strings.SplitN(b.location(), "?", 2)[0], "/console/") {
		t.Fatalf("after the change: at %s", b.location())
	}
	b.wantText("Your new password is set", "Getting started", "Create a group", "Create a profile", "Add users", "Enrol devices")
	if n := evalJS[int](b, `document.querySelectorAll("#firstrun .step.done").length`); n != 0 {
		t.Errorf("%d steps ticked on an empty installation", n)
	}
	b.screenshot("first-run-steps-en-desktop")

	// The groups page now opens; with a group (and the profile it comes
	// with), those steps are ticked and the next ones lead into it.
	if st := b.open("/console/groups"); st != http.StatusOK || !strings.HasSuffix(b.location(), "/console/groups") {
		t.Fatalf("groups page after the change: %d at %s", st, b.location())
	}
	sys := meibo.WithActor(context.Background(), meibo.System("browser-test"))
	if _, err := m.Service.CreateGroup(sys, meibo.Group{ID: "G001", Name: "Sales"}); err != nil {
		t.Fatal(err)
	}
	b.open("/console/")
	if !b.exists(`#firstrun .step.done[data-step="group"]`) || !b.exists(`#firstrun .step.done[data-step="profile"]`) ||
		!b.exists(`#firstrun .step.todo[data-step="users"] a[href="/console/groups/G001/users/new"]`) {
		t.Errorf("with a group:\n%s", b.text("#firstrun"))
	}

	// The API takes the new password.
	if _, _, err := m.Service.Login(context.Background(), "admin", "First-run-new-pw-7", "127.0.0.1"); err != nil {
		t.Errorf("API login with the new password: %v", err)
	}
}
