package main

import (
	"bytes"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
	"golang.org/x/text/encoding/japanese"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/csvio"
)

// TestImportTemplateInBrowser presses the Shift_JIS template link of the
// users format on the import page, as an administrator does, and reads the
// file the browser saved: Shift_JIS bytes that decode to the users header
// and the example row, under the name meibo-users-template.csv.
func TestImportTemplateInBrowser(t *testing.T) {
	path := requireChromium(t)
	t.Parallel()
	s := startBrowserServer(t)
	b := newTab(t, startChromium(t, path), s.base)
	b.signIn("admin", consolePassword)
	if st := b.open("/console/imports"); st != http.StatusOK {
		t.Fatalf("import page: %d", st)
	}
	b.wantText("Templates", "docs/CSV.md")
	b.screenshot("imports-templates-en-desktop")

	dir := t.TempDir()
	ctx, cancel := b.timed()
	defer cancel()
	begin := chromedp.Events(ctx, browser.DownloadWillBegin)
	progress := chromedp.Events(ctx, browser.DownloadProgress)
	events := true
	if _, err := chromedp.Call(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior:         browser.SetDownloadBehaviorBehaviorAllowAndName,
		BrowserContextID: chromedp.FromContext(b.ctx).BrowserContextID,
		DownloadPath:     dir,
		EventsEnabled:    &events,
	}); err != nil {
		t.Fatalf("set the download folder: %v", err)
	}
	b.click(`a[data-template="users-cp932"]`)

	var guid string
	for ev, err := range begin {
		if err != nil {
			t.Fatalf("waiting for the download: %v", err)
		}
		if ev.SuggestedFilename != "meibo-users-template.csv" {
			t.Errorf("downloaded as %q, want meibo-users-template.csv", ev.SuggestedFilename)
		}
		guid = ev.GUID
		break
	}
	for ev, err := range progress {
		if err != nil {
			t.Fatalf("waiting for the download to finish: %v", err)
		}
		if ev.GUID != guid || ev.State == browser.DownloadProgressStateInProgress {
			continue
		}
		if ev.State != browser.DownloadProgressStateCompleted {
			t.Fatalf("download %s", ev.State)
		}
		break
	}
	got, err := os.ReadFile(filepath.Join(dir, guid))
	if err != nil {
		t.Fatal(err)
	}
	text, err := japanese.ShiftJIS.NewDecoder().Bytes(got)
	if err != nil {
		t.Fatalf("the template is not Shift_JIS: %v", err)
	}
	lines := strings.Split(string(text), "\r\n")
	if lines[0] != "name,password,email,admin,apiAccess,disabled,profile" || len(lines) != 3 || lines[2] != "" {
		t.Errorf("the template does not decode to the users header and one row:\n%q", text)
	}
	var want bytes.Buffer
	if err := csvio.WriteTemplate(&want, meibo.FormatUsers, csvio.CP932, false); err != nil {
		t.Fatal(err)
	}
	if mask := []byte("PASSWORD"); !bytes.Equal(csvio.TemplatePassword.ReplaceAll(got, mask), csvio.TemplatePassword.ReplaceAll(want.Bytes(), mask)) {
		t.Errorf("downloaded %q, want csvio's template %q", got, want.Bytes())
	}
}
