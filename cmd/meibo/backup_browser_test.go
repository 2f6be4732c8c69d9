package main

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/backup"
	"github.com/meibo/meibo/service"
)

// TestBackupInBrowser drives the Backup page in Chromium: the schedule is
// saved; the download button gives a complete backup; a restore refuses a
// wrong confirmation, then replaces the installation with the uploaded file,
// signs everyone out, and the backup log shows it.
func TestBackupInBrowser(t *testing.T) {
	t.Parallel()
	chromium := requireChromium(t)
	s := startBrowserServer(t)
	browser := startChromium(t, chromium)
	b := newTab(t, browser, s.base)
	b.t = t
	b.signIn("admin", consolePassword)

	if st := b.open("/console/backup"); st != http.StatusOK {
		t.Fatalf("backup page: %d", st)
	}
	b.wantText("Backup and restore", "signed out")
	dir := t.TempDir()
	b.set("#schedule", "daily 03:15")
	b.set("#dir", dir)
	b.set("#keep", "4")
	if st := b.submit("#schedule-save"); st != http.StatusOK {
		t.Fatalf("save the schedule: %d", st)
	}
	b.wantText("The automatic backups were saved.")
	if got := evalJS[string](b, `document.querySelector("#schedule").value`); got != "daily 03:15" {
		t.Errorf("schedule after saving: %q", got)
	}

	// The download button's form, sent as the browser sends it.
	got := evalJS[[]any](b, `(async () => {
		const f = document.querySelector('form[action$="/backup/download"]');
		const r = await fetch(f.action, {method: "POST", body: new URLSearchParams(new FormData(f))});
		const b = new Uint8Array(await r.arrayBuffer());
		return [r.status, r.headers.get("content-type"), r.headers.get("content-disposition"), b.length, b[0], b[1]];
	})()`)
	if len(got) != 6 || got[0] != float64(200) || got[1] != "application/gzip" || !strings.Contains(got[2].(string), ".mbk") || got[4] != float64(0x1f) || got[5] != float64(0x8b) {
		t.Fatalf("download: %v", got)
	}

	// A backup file to restore, then a change that the restore undoes.
	file := filepath.Join(t.TempDir(), "before.mbk")
	f, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.m.Service.Backup(s.sys, f, "before.mbk"); err != nil {
		t.Fatal(err)
	}
	f.Close()
	f, err = os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	_, err = backup.Verify(f, "")
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.m.Service.CreateUser(s.sys, "G002", service.UserInput{Name: "late"}); err != nil {
		t.Fatal(err)
	}

	b.open("/console/backup")
	b.do(chromedp.SetUploadFiles(chromedp.CSS("#restore-file"), []string{file}))
	b.set("#restore-confirm", "restore please")
	if st := b.submit("#restore-submit"); st != http.StatusUnprocessableEntity {
		t.Fatalf("restore with a wrong confirmation: %d", st)
	}
	b.wantText("Type RESTORE to confirm")
	if s.userID(t, "G002", "late") == 0 {
		t.Fatal("a refused restore changed the data")
	}
	b.do(chromedp.SetUploadFiles(chromedp.CSS("#restore-file"), []string{file}))
	b.set("#restore-confirm", "RESTORE")
	if st := b.submit("#restore-submit"); st != http.StatusOK {
		t.Fatalf("restore: %d", st)
	}
	if loc := b.location(); !strings.Contains(loc, "/console/signin") {
		t.Fatalf("after the restore: %s, want the sign-in page", loc)
	}
	b.wantText("restored from a backup")
	if s.userID(t, "G002", "late") != 0 {
		t.Error("a user made after the backup survived the restore")
	}
	if st := b.open("/console/backup"); !strings.Contains(b.location(), "/console/signin") {
		t.Errorf("the old session still opens the backup page: %d", st)
	}
	b.signIn("admin", consolePassword)
	b.open("/console/backup-log")
	b.wantText("Restore", "before.mbk", "Done")
	if _, err := s.m.Service.AdminByLoginID(s.sys, meibo.BuiltinBackup); err != nil {
		t.Errorf("AUTOBACKUPUSER after the restore: %v", err)
	}
}
