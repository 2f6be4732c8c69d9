package main

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestImportConfirmInBrowser uploads a file as a dry run, as an
// administrator does (format, group, "dry run" ticked, the file dropped),
// and imports it with "Import now" on the dry run's page; a file with
// passwords is chosen again there. The banners follow the outcome, and the
// history page filters the jobs.
func TestImportConfirmInBrowser(t *testing.T) {
	path := requireChromium(t)
	t.Parallel()
	s := startBrowserServer(t)
	b := newTab(t, startChromium(t, path), s.base)
	b.signIn("admin", consolePassword)

	dryRun := func(name, content string) string {
		t.Helper()
		b.open("/console/imports")
		b.click(`input[name=format][value=users]`)
		b.do(chromedp.SetValue(chromedp.ID("imp-group"), "G002"))
		b.click(`input[name=dryRun]`)
		b.drop("[data-dropzone]", name, content)
		b.waitFor(`document.getElementById("imp-file").files.length === 1`, 5*time.Second)
		b.submit(`form[data-import-form] button[type=submit]`)
		job := jobOf(t, b.location())
		b.waitJob(job)
		return job
	}

	// A dry run of a file without passwords: the outcome, "Import now".
	plain := "name,password,email\r\nconf1,,conf1@example.com\r\nconf2,,conf2@example.com\r\n"
	dry := dryRun("confirm-plain.csv", plain)
	b.wantText("The dry run found no errors", "2 created", "Import now")
	if strings.Contains(b.mainText(), "runs in the background") {
		t.Errorf("the finished dry run still says it runs in the background:\n%s", b.mainText())
	}
	if s.userID(t, "G002", "conf1") != 0 {
		t.Fatal("the dry run wrote conf1")
	}
	if !secondsShown(b.text(".imp-details")) {
		t.Errorf("times are not shown to the second:\n%s", b.text(".imp-details"))
	}
	b.screenshot("import-dryrun-confirm-en-desktop")
	if st := b.submit("#imp-confirm"); st != http.StatusOK {
		t.Fatalf("Import now: status %d\n%s", st, b.mainText())
	}
	real := jobOf(t, b.location())
	if real == dry {
		t.Fatal("Import now did not make a new job")
	}
	b.waitJob(real)
	b.wantText("The import succeeded", "2 created")
	if s.userID(t, "G002", "conf1") == 0 || s.userID(t, "G002", "conf2") == 0 {
		t.Error("Import now did not create conf1 and conf2")
	}
	if b.exists("#imp-confirm") {
		t.Error("a real run offers Import now")
	}
	// The import names its dry run, which names the import and is not
	// imported twice.
	b.wantText("Imported from the dry run", "#"+dry)
	if st := b.submit("#imp-confirms"); st != http.StatusOK || jobOf(t, b.location()) != dry {
		t.Fatalf("the link to the dry run: %d, %s", st, b.location())
	}
	b.wantText("This dry run has been imported: #" + real)
	if b.exists("#imp-confirm") {
		t.Error("an imported dry run offers Import now again")
	}
	if st := b.submit("#imp-imported-as a"); st != http.StatusOK || jobOf(t, b.location()) != real {
		t.Fatalf("the link to the import: %d, %s", st, b.location())
	}

	// Two administrators with the dry run's page open: the second's
	// "Import now" is refused, and the page says where the import is.
	again := dryRun("confirm-again.csv", "name,password,email\r\nconf5,,conf5@example.com\r\n")
	id, _ := strconv.ParseInt(again, 10, 64)
	other, err := s.m.Service.ConfirmImport(s.sys, id, nil)
	if err != nil {
		t.Fatal(err)
	}
	if st := b.submit("#imp-confirm"); st != http.StatusConflict {
		t.Fatalf("Import now of a dry run imported meanwhile: status %d\n%s", st, b.mainText())
	}
	b.wantText(fmt.Sprintf("This dry run was imported already, as import #%d", other.ID))
	if !strings.Contains(b.location(), "/imports/"+again+"/") || b.exists("#imp-confirm") {
		t.Errorf("after the refusal, %s offers Import now: %v", b.location(), b.exists("#imp-confirm"))
	}

	// With passwords, which are not kept: the same file is chosen again.
	withPw := "name,password,email\r\nconf3,Quiet-harbour-31,conf3@example.com\r\n"
	dry2 := dryRun("confirm-pw.csv", withPw)
	if !b.exists("#imp-confirm-file") {
		t.Fatalf("the dry run of a file with passwords does not ask for it again:\n%s", b.mainText())
	}
	file := filepath.Join(t.TempDir(), "confirm-pw.csv")
	if err := os.WriteFile(file, []byte(withPw), 0o600); err != nil {
		t.Fatal(err)
	}
	b.do(chromedp.SetUploadFiles(chromedp.CSS("#imp-confirm-file"), []string{file}))
	if st := b.submit("#imp-confirm"); st != http.StatusOK {
		t.Fatalf("Import now with the file: status %d\n%s", st, b.mainText())
	}
	real2 := jobOf(t, b.location())
	if real2 == dry2 {
		t.Fatal("Import now did not make a new job")
	}
	b.waitJob(real2)
	b.wantText("The import succeeded", "1 created")
	if s.userID(t, "G002", "conf3") == 0 {
		t.Error("Import now did not create conf3")
	}

	// A file with one error says "1 error"; the banner says it failed.
	dryRun("confirm-bad.csv", "name,password,email\r\nconf4,short,conf4@example.com\r\n")
	b.wantText("The import failed", "1 error;")
	if strings.Contains(b.mainText(), "runs in the background") || strings.Contains(b.mainText(), "1 errors") {
		t.Errorf("the failed job's page:\n%s", b.mainText())
	}

	// In Japanese: the outcome, and the count with its counter.
	bad := jobOf(t, b.location())
	b.open("/console/imports/" + bad + "?lang=ja")
	b.wantText("インポートに失敗しました", "エラー 1件")
	b.screenshot("import-failed-ja-desktop")
	b.open("/console/imports/" + dry + "?lang=ja")
	b.wantText("ドライランでエラーは見つかりませんでした", "このドライランはインポート済みです: #"+real)
	b.open("/console/imports?lang=en")

	// The history, filtered by group and status, in the form.
	b.open("/console/imports")
	b.submit("#imp-history-link")
	b.do(chromedp.SetValue(chromedp.ID("f-group"), "G002"), chromedp.SetValue(chromedp.ID("f-status"), "FAILED"))
	b.submit("#imp-filter-submit")
	rows := evalJS[int](b, `document.querySelectorAll("table.imp-table tbody tr[data-import-id]").length`)
	if rows != 1 || !strings.Contains(b.text("table.imp-table"), "confirm-bad.csv") {
		t.Errorf("failed jobs of G002: %d rows\n%s", rows, b.text("table.imp-table"))
	}
	if u, _ := url.Parse(b.location()); u.Query().Get("group") != "G002" || u.Query().Get("status") != "FAILED" {
		t.Errorf("the filter is not kept in the address: %s", b.location())
	}
	b.screenshot("import-history-filtered-en-desktop")
}

// jobOf reads the job ID of a job page's address.
func jobOf(t *testing.T, loc string) string {
	t.Helper()
	u, err := url.Parse(loc)
	if err != nil || !strings.HasPrefix(u.Path, "/console/imports/") {
		t.Fatalf("not a job page: %s", loc)
	}
	return strings.TrimPrefix(u.Path, "/console/imports/")
}

// secondsShown reports whether text holds a time to the second.
func secondsShown(text string) bool {
	for _, f := range strings.Fields(text) {
		if len(f) == 8 && f[2] == ':' && f[5] == ':' {
			return true
		}
	}
	return false
}
