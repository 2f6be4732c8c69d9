package main

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/meibo/meibo"
)

// TestDuplicateWithChangesInBrowser duplicates a user on the duplicate
// screen with another profile, an option and an address chosen there, and
// sees the copy saved with them.
func TestDuplicateWithChangesInBrowser(t *testing.T) {
	path := requireChromium(t)
	t.Parallel()
	s := startBrowserServer(t)
	if _, err := s.m.Service.CreateProfile(s.sys, "G001", meibo.Profile{Name: "field", Actions: meibo.AllActions, APIAccess: true}); err != nil {
		t.Fatal(err)
	}
	b := newTab(t, startChromium(t, path), s.base)
	b.signIn("admin", consolePassword)
	alice := s.userID(t, "G001", "alice")
	if st := b.open(fmt.Sprintf("/console/users/%d", alice)); st != http.StatusOK {
		t.Fatalf("alice's page: %d", st)
	}
	b.submit(fmt.Sprintf(`a[href="/console/users/%d/duplicate"]`, alice))
	if got := evalJS[string](b, `document.getElementById("profile").value`); got == "field" || got == "" {
		t.Fatalf("the duplicate screen does not start from alice's profile: %q", got)
	}
	b.set("#name", "alice2")
	b.set("#email", "alice2@example.com")
	b.do(chromedp.SetValue(chromedp.ID("profile"), "field"))
	b.click(`input[name=apiAccess]`)
	b.click(`input[name=admin]`)
	b.screenshot("user-duplicate-changes-en-desktop")
	if st := b.submit(`form[action$="/duplicate"] button[type=submit]`); st != http.StatusOK {
		t.Fatalf("save the copy: %d\n%s", st, b.mainText())
	}
	u, err := s.m.Service.UserByName(s.sys, "G001", "alice2")
	if err != nil {
		t.Fatalf("the copy was not saved: %v\n%s", err, b.mainText())
	}
	if u.ProfileName != "field" || !u.APIAccess || !u.Admin || u.Email != "alice2@example.com" {
		t.Errorf("the copy: %+v", u)
	}
}

// TestDuplicateDisabledInBrowser: the copy of a disabled user starts
// without an invitation (a disabled user cannot use one), and asking for one
// anyway is refused with the reason, nothing saved and nothing queued.
func TestDuplicateDisabledInBrowser(t *testing.T) {
	path := requireChromium(t)
	t.Parallel()
	s := startBrowserServer(t)
	b := newTab(t, startChromium(t, path), s.base)
	b.signIn("admin", consolePassword)
	alice := s.userID(t, "G001", "alice")
	disabled := true
	if _, err := s.m.Service.UpdateUser(s.sys, alice, meibo.UserUpdate{Disabled: &disabled}); err != nil {
		t.Fatal(err)
	}
	b.open(fmt.Sprintf("/console/users/%d/duplicate", alice))
	if evalJS[bool](b, `document.querySelector("input[name=sendInvitation]").checked`) {
		t.Error("the copy of a disabled user starts with an invitation ticked")
	}
	b.set("#name", "alice3")
	b.set("#email", "alice3@example.com")
	b.click(`input[name=sendInvitation]`)
	if st := b.submit(`form[action$="/duplicate"] button[type=submit]`); st != http.StatusUnprocessableEntity {
		t.Fatalf("a disabled copy with an invitation: status %d", st)
	}
	b.wantText("The user is disabled; enable the user before sending an invitation.")
	if _, err := s.m.Service.UserByName(s.sys, "G001", "alice3"); meibo.ErrorCode(err) != meibo.CodeNotFound {
		t.Errorf("the refused copy was saved: %v", err)
	}
	b.click(`input[name=sendInvitation]`)
	if st := b.submit(`form[action$="/duplicate"] button[type=submit]`); st != http.StatusOK {
		t.Fatalf("a disabled copy without an invitation: status %d\n%s", st, b.mainText())
	}
	if u, err := s.m.Service.UserByName(s.sys, "G001", "alice3"); err != nil || !u.Disabled {
		t.Errorf("the copy: %+v, %v", u, err)
	}
}

// TestImportChangesInBrowser imports a file through the import form and
// reads on the job's page what it changed, a page at a time, and the CSV.
func TestImportChangesInBrowser(t *testing.T) {
	path := requireChromium(t)
	t.Parallel()
	s := startBrowserServer(t)
	b := newTab(t, startChromium(t, path), s.base)
	b.signIn("admin", consolePassword)

	var file strings.Builder
	file.WriteString("name,password,email\r\n")
	file.WriteString("alice,,alice-new@example.com\r\n") // updated
	for i := 1; i <= 104; i++ {
		fmt.Fprintf(&file, "chg%03d,,chg%03d@example.com\r\n", i, i)
	}
	b.open("/console/imports")
	b.click(`input[name=format][value=users]`)
	b.do(chromedp.SetValue(chromedp.ID("imp-group"), "G001"))
	b.click(`input[name=updateExisting]`)
	b.drop("[data-dropzone]", "changes.csv", file.String())
	b.waitFor(`document.getElementById("imp-file").files.length === 1`, 5*time.Second)
	b.submit(`form[data-import-form] button[type=submit]`)
	job := jobOf(t, b.location())
	b.waitJob(job)
	b.wantText("The import succeeded", "What this import changed")
	rows := evalJS[int](b, `document.querySelectorAll("table.imp-change-list tbody tr").length`)
	if rows != 100 {
		t.Errorf("%d changes on the first page, want 100", rows)
	}
	first := b.text("table.imp-change-list tbody tr")
	if !strings.Contains(first, "alice") || !strings.Contains(first, "email: alice@example.com → alice-new@example.com") || !strings.Contains(first, "Updated") {
		t.Errorf("the first change: %q", first)
	}
	b.screenshot("import-job-changes-en-desktop")
	if st := b.submit("#imp-changes-next"); st != http.StatusOK {
		t.Fatalf("next changes: %d", st)
	}
	if n := evalJS[int](b, `document.querySelectorAll("table.imp-change-list tbody tr").length`); n != 5 ||
		!strings.Contains(b.text("table.imp-change-list tbody"), "chg104") {
		t.Errorf("the second page: %d rows\n%s", n, b.text("table.imp-change-list"))
	}
	// The CSV, as its link downloads it.
	csv := evalJS[string](b, `fetch(document.getElementById("imp-changes-csv").href, {credentials: "same-origin"}).then(r => r.text())`)
	if !strings.Contains(csv, "row,kind,action,name,changes") || strings.Count(csv, "\n") != 106 || !strings.Contains(csv, "2,user,updated,alice,") {
		t.Errorf("changes CSV (%d lines):\n%.300s", strings.Count(csv, "\n"), csv)
	}
}
