package main

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/service"
)

// waitJobDone waits for a job submitted through the service to end, as the
// server's worker runs it.
func waitJobDone(t *testing.T, s *browserServer, job *meibo.ImportJob) *meibo.ImportJob {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for job.Status == meibo.ImportQueued || job.Status == meibo.ImportRunning {
		if time.Now().After(deadline) {
			t.Fatalf("job %d still runs: %+v", job.ID, job)
		}
		time.Sleep(50 * time.Millisecond)
		var err error
		if job, err = s.m.Service.ImportJob(s.sys, job.ID); err != nil {
			t.Fatal(err)
		}
	}
	return job
}

// TestJapanesePagesInBrowser reads the console in Japanese where English
// was left: the changes of an import, the sign-in method of a session, the
// severity of errors.csv, the built-in backup administrator, the name of a
// dry run, and the page of a bulk action.
func TestJapanesePagesInBrowser(t *testing.T) {
	t.Parallel()
	chromium := requireChromium(t)
	s := startBrowserServer(t)
	b := newTab(t, startChromium(t, chromium), s.base)
	b.signIn("admin", consolePassword)

	submit := func(req service.ImportRequest, csv string) string {
		t.Helper()
		job, err := s.m.Service.SubmitImport(s.sys, req, []byte(csv))
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprint(waitJobDone(t, s, job).ID)
	}

	t.Run("the changes of an import", func(t *testing.T) {
		b := b.with(t)
		id := submit(service.ImportRequest{Format: meibo.FormatUsers, GroupID: "G001", FileName: "changes.csv", UpdateExisting: true},
			"name,password,email\r\nalice,Brand-new-pass-42,alice@example.jp\r\nsaburo,,saburo@example.jp\r\n")
		if st := b.open("/console/imports/" + id + "?lang=ja"); st != http.StatusOK {
			t.Fatalf("job page: %d", st)
		}
		b.wantText("インポート #"+id, "メールアドレス:alice@example.com → alice@example.jp", "パスワード:変更", "プロファイル:default")
		for _, en := range []string{"email:", "password:", "profile:", "changed"} {
			if strings.Contains(b.mainText(), en) {
				t.Errorf("the Japanese job page says %q:\n%s", en, b.mainText())
			}
		}
	})

	t.Run("errors.csv", func(t *testing.T) {
		b := b.with(t)
		id := submit(service.ImportRequest{Format: meibo.FormatUsers, GroupID: "G001", FileName: "bad.csv"},
			"name,password,email\r\nbad,,not-an-address\r\n")
		if st := b.open("/console/imports/" + id + "?lang=ja"); st != http.StatusOK {
			t.Fatalf("job page: %d", st)
		}
		csv := evalJS[string](b, `fetch(document.querySelector('a[href$="/errors.csv"]').href).then(r => r.text())`)
		lines := strings.Split(strings.TrimSpace(csv), "\r\n")
		if len(lines) < 2 || !strings.HasPrefix(lines[1], "2,email,エラー,") {
			t.Errorf("errors.csv in Japanese:\n%s", csv)
		}
	})

	t.Run("the sign-in method of a session", func(t *testing.T) {
		b := b.with(t)
		if st := b.open("/console/account/security?lang=ja"); st != http.StatusOK {
			t.Fatalf("security page: %d", st)
		}
		if got := b.text("#session-list tbody"); !strings.Contains(got, "パスワード") || strings.Contains(got, "password") {
			t.Errorf("the sessions say %q, want パスワード", got)
		}
	})

	t.Run("the built-in backup administrator", func(t *testing.T) {
		b := b.with(t)
		if st := b.open("/console/admins?lang=ja"); st != http.StatusOK {
			t.Fatalf("administrators page: %d", st)
		}
		if got := b.text("#admin-AUTOBACKUPUSER"); !strings.Contains(got, "自動バックアップ用ユーザー") || strings.Contains(got, "Automatic Backup User") {
			t.Errorf("the backup administrator's row: %q", got)
		}
		b.open("/console/admins?lang=en")
		if got := b.text("#admin-AUTOBACKUPUSER"); !strings.Contains(got, "Automatic Backup User") {
			t.Errorf("the backup administrator's row in English: %q", got)
		}
	})

	t.Run("one word for a dry run", func(t *testing.T) {
		b := b.with(t)
		b.open("/console/imports?lang=ja")
		b.wantText("検証のみ(ドライラン)")
		id := submit(service.ImportRequest{Format: meibo.FormatUsers, GroupID: "G002", FileName: "dry.csv", DryRun: true},
			"name,password,email\r\nshiro,,shiro@example.jp\r\n")
		if st := b.open("/console/imports/" + id + "?lang=ja"); st != http.StatusOK {
			t.Fatalf("job page: %d", st)
		}
		b.wantText("ドライラン")
		if strings.Contains(b.mainText(), "テスト実行") {
			t.Errorf("the dry run's page calls it テスト実行:\n%s", b.mainText())
		}
	})

	t.Run("a bulk action's page", func(t *testing.T) {
		b := b.with(t)
		job, err := s.m.Service.SubmitBulk(s.sys, service.BulkRequest{Action: service.BulkDisable, GroupID: "G002", IDs: []int64{s.userID(t, "G002", "dave")}})
		if err != nil {
			t.Fatal(err)
		}
		id := fmt.Sprint(waitJobDone(t, s, job).ID)
		if st := b.open("/console/imports/" + id + "?lang=ja"); st != http.StatusOK {
			t.Fatalf("job page: %d", st)
		}
		if got := b.text("main h1"); got != "一括操作 #"+id {
			t.Errorf("the bulk job's heading: %q", got)
		}
		if title := evalJS[string](b, "document.title"); !strings.Contains(title, "一括操作") {
			t.Errorf("the bulk job's title: %q", title)
		}
		if strings.Contains(b.text(".head"), "インポート") {
			t.Errorf("the bulk job's page is headed as an import: %q", b.text(".head"))
		}
	})
}

// TestJobBackLinkInBrowser: the link back from a job's page goes where the
// administrator may go. A department administrator without the import
// authority disables a user of their group and, from the bulk action's
// page, goes back to the users, not to the import history that refuses
// them; a log viewer, who may see the job but not the users, goes back to
// the import history.
func TestJobBackLinkInBrowser(t *testing.T) {
	t.Parallel()
	chromium := requireChromium(t)
	s := startBrowserServer(t)
	browser := startChromium(t, chromium)
	for _, in := range []service.AdminInput{
		{LoginID: "dept", Name: "Department", Password: consolePassword, Authorities: meibo.NewAuthorities(meibo.AuthConsole, meibo.AuthDepartment), Groups: []string{"G001"}},
		{LoginID: "auditor", Name: "Auditor", Password: consolePassword, Authorities: meibo.NewAuthorities(meibo.AuthLogViewer, meibo.AuthLogAttachments)},
	} {
		if _, err := s.m.Service.CreateAdmin(s.sys, in); err != nil {
			t.Fatal(err)
		}
	}
	// followBack follows every link of the page's head and wants it to
	// open; it returns the addresses.
	followBack := func(b *browserTab, job string) []string {
		b.t.Helper()
		open := func() {
			if st := b.open("/console/imports/" + job + "?lang=ja"); st != http.StatusOK {
				b.t.Fatalf("job page: %d", st)
			}
		}
		open()
		hrefs := evalJS[[]string](b, `[...document.querySelectorAll("main .head a")].map(a => a.getAttribute("href"))`)
		for i := range hrefs {
			open()
			if st := b.submit(fmt.Sprintf(`main .head a:nth-of-type(%d)`, i+1)); st != http.StatusOK {
				b.t.Errorf("the job page's link %q answers %d:\n%s", hrefs[i], st, b.mainText())
			}
		}
		return hrefs
	}

	dept := newTab(t, browser, s.base)
	dept.signIn("dept", consolePassword)
	if st := dept.open("/console/groups/G001/users?lang=ja"); st != http.StatusOK {
		t.Fatalf("users page: %d", st)
	}
	dept.click(fmt.Sprintf(`input[data-bulk-row][value="%d"]`, s.userID(t, "G001", "alice")))
	dept.choose("#bulk-action", service.BulkDisable)
	if st := dept.submit(`#bulk button[type=submit]`); st != http.StatusOK {
		t.Fatalf("continue: %d\n%s", st, dept.mainText())
	}
	if st := dept.submit(`button[name=go][value=run]`); st != http.StatusOK {
		t.Fatalf("disable: %d\n%s", st, dept.mainText())
	}
	job := jobOnPage(t, dept)
	dept.waitJob(job)
	if st := dept.open("/console/imports?lang=ja"); st != http.StatusForbidden {
		t.Fatalf("the import history for a department administrator without the import authority: %d", st)
	}
	if hrefs := followBack(dept, job); len(hrefs) != 1 || hrefs[0] != "/console/groups/G001/users" {
		t.Errorf("the department administrator's links back: %q", hrefs)
	}

	auditor := newTab(t, browser, s.base)
	auditor.signIn("auditor", consolePassword)
	if st := auditor.open("/console/imports/" + job + "?lang=ja"); st != http.StatusOK {
		t.Fatalf("the log viewer's job page: %d", st)
	}
	if hrefs := followBack(auditor, job); len(hrefs) != 1 || hrefs[0] != "/console/imports" {
		t.Errorf("the log viewer's links back: %q", hrefs)
	}
}

// TestImportHistoryWidthsInBrowser reads the import history in Japanese on
// a 1366 px and a 1024 px laptop: a number, a date, a status or a word
// never breaks over lines (the table scrolls sideways instead), and
// screenshots show it.
func TestImportHistoryWidthsInBrowser(t *testing.T) {
	t.Parallel()
	chromium := requireChromium(t)
	s := startBrowserServer(t)
	addBigGroup(t, s, "LARGEGROUP", 300)
	for _, dry := range []bool{true, false} {
		job, err := s.m.Service.SubmitBulk(s.sys, service.BulkRequest{Action: service.BulkDisable, GroupID: "LARGEGROUP", Filter: &service.BulkFilter{}, DryRun: dry})
		if err != nil {
			t.Fatal(err)
		}
		waitJobDone(t, s, job)
	}
	job, err := s.m.Service.SubmitImport(s.sys, service.ImportRequest{Format: meibo.FormatUsers, GroupID: "G001", FileName: "社員名簿_2026年度_新入社員_最終版.csv"},
		[]byte("name,password,email\r\nbad,,not-an-address\r\n,,\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	waitJobDone(t, s, job)
	b := newTab(t, startChromium(t, chromium), s.base)
	b.signIn("admin", consolePassword)

	// lines counts the lines of text of each cell of a column of the
	// table (the distinct tops of its boxes), worst first.
	const lines = `(() => {
		const out = {};
		for (const td of document.querySelectorAll("table.imp-table tbody td[data-label]")) {
			const r = document.createRange();
			r.selectNodeContents(td);
			// A box that starts below the bottom of the line before
			// starts a line (bold digits beside their words share it).
			let n = 0, bottom = -Infinity;
			for (const x of [...r.getClientRects()].filter(x => x.width > 0).sort((a, b) => a.top - b.top)) {
				if (x.top >= bottom - 2) { n++; bottom = x.bottom; } else { bottom = Math.max(bottom, x.bottom); }
			}
			const k = td.getAttribute("data-label");
			out[k] = Math.max(out[k] || 0, n);
		}
		return out;
	})()`
	for _, width := range []int64{1366, 1024} {
		for _, page := range []string{"/console/imports/history", "/console/imports"} {
			b.do(chromedp.EmulateViewport(width, 800))
			if st := b.open(page + "?lang=ja"); st != http.StatusOK {
				t.Fatalf("%s: %d", page, st)
			}
			if n := evalJS[int](b, `document.querySelectorAll("table.imp-table tbody tr[data-import-id]").length`); n < 4 {
				t.Fatalf("%s lists %d jobs", page, n)
			}
			name := fmt.Sprintf("import-history-%s-ja-%d", strings.TrimPrefix(strings.ReplaceAll(page, "/", "-"), "-console-"), width)
			b.screenshot(name)
			got := evalJS[map[string]int](b, lines)
			for col, max := range map[string]int{"ジョブ": 1, "状態": 2, "形式": 1, "グループ": 1, "行数": 1, "エラー": 1, "実行者": 1, "日時": 1, "結果": 2} {
				if n, ok := got[col]; !ok {
					t.Errorf("%s at %dpx: no column %s in %v", page, width, col, got)
				} else if n > max {
					t.Errorf("%s at %dpx: column %s takes %d lines, at most %d (screenshots/%s.png)", page, width, col, n, max, name)
				}
			}
			if w := evalJS[float64](b, `document.documentElement.scrollWidth`); w > float64(width) {
				t.Errorf("%s at %dpx: the page is %vpx wide; the table should scroll in its card", page, width, w)
			}
		}
	}
}
