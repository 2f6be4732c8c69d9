package main

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/service"
)

// bulkCount writes n as the pages do: "30,000".
func bulkCount(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// addBigGroup adds group id with n users ("m00000"…, with an e-mail address,
// no password) through a users import, as an administrator would load them.
func addBigGroup(t *testing.T, s *browserServer, id string, n int) {
	t.Helper()
	if _, err := s.m.Service.CreateGroup(s.sys, meibo.Group{ID: id, Name: "Big " + id}); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString("name,password,email\r\n")
	for i := range n {
		fmt.Fprintf(&b, "m%05d,,m%05d@%s.example.com\r\n", i, i, strings.ToLower(id))
	}
	// The server's import worker runs the job, as it runs an upload.
	job, err := s.m.Service.SubmitImport(s.sys, service.ImportRequest{Format: meibo.FormatUsers, GroupID: id, FileName: "big.csv"}, []byte(b.String()))
	if err != nil {
		t.Fatalf("load %d users into %s: %v", n, id, err)
	}
	deadline := time.Now().Add(5 * time.Minute)
	for job.Status == meibo.ImportQueued || job.Status == meibo.ImportRunning {
		if time.Now().After(deadline) {
			t.Fatalf("load %d users into %s: the job still runs: %+v", n, id, job)
		}
		time.Sleep(50 * time.Millisecond)
		if job, err = s.m.Service.ImportJob(s.sys, job.ID); err != nil {
			t.Fatal(err)
		}
	}
	if job.Status != meibo.ImportSuccess || job.Created != n {
		t.Fatalf("load %d users into %s: %+v", n, id, job)
	}
}

// countUsers counts the users of group, the disabled ones apart.
func countUsers(t *testing.T, s *browserServer, group string) (all, disabled int) {
	t.Helper()
	tr := true
	all, err := s.m.Service.BulkCount(s.sys, group, service.BulkFilter{}, 1_000_000)
	if err != nil {
		t.Fatal(err)
	}
	disabled, err = s.m.Service.BulkCount(s.sys, group, service.BulkFilter{Disabled: &tr}, 1_000_000)
	if err != nil {
		t.Fatal(err)
	}
	return all, disabled
}

// jobOnPage returns the job's ID from the address of its page.
func jobOnPage(t *testing.T, b *browserTab) string {
	t.Helper()
	loc := b.location()
	_, id, ok := strings.Cut(loc, "/console/imports/")
	if !ok || id == "" {
		t.Fatalf("not on a job's page: %s\n%s", loc, b.mainText())
	}
	return id
}

// TestBulkInBrowser drives the bulk actions in Chromium: in a group of
// 30,000 users, tick the page, take "all 30,000 matching" of a filter,
// disable them through the confirmation (English, laptop); delete a profile
// in use by moving its users (Japanese, 390 px phone); delete the group of
// 30,000 users with its ID typed (Japanese, laptop).
func TestBulkInBrowser(t *testing.T) {
	t.Parallel()
	chromium := requireChromium(t)
	s := startBrowserServer(t)
	addBigGroup(t, s, "BIG", bulkUsers)
	b := newTab(t, startChromium(t, chromium), s.base)
	b.signIn("admin", consolePassword)
	n := bulkCount(bulkUsers)

	t.Run("disable all matching", func(t *testing.T) {
		b := b.with(t)
		b.do(chromedp.EmulateViewport(1280, 800))
		if st := b.open("/console/groups/BIG/users?lang=en"); st != http.StatusOK {
			t.Fatalf("users page: %d", st)
		}
		// Filter on the enabled users: all of them, the filter in the URL.
		b.set("#disabled", "false")
		if st := b.submit(`form[role=search] button[type=submit]`); st != http.StatusOK {
			t.Fatalf("filter: %d", st)
		}
		if !strings.Contains(b.location(), "disabled=false") {
			t.Errorf("the filter is not in the address: %s", b.location())
		}
		if n := evalJS[int](b, `document.querySelectorAll("input[data-bulk-row]").length`); n != 50 {
			t.Fatalf("%d rows to tick on the page, want 50", n)
		}
		// The banner shows once the page is ticked.
		if vis := evalJS[bool](b, `!document.querySelector("[data-bulk-banner]").hidden`); vis {
			t.Error("the banner shows before anything is ticked")
		}
		b.click("#bulk-page")
		b.waitFor(`!document.querySelector("[data-bulk-banner]").hidden`, 5*time.Second)
		b.wantText("All users on this page are selected.", "Select all "+n+" users matching")
		if n := evalJS[int](b, `document.querySelectorAll("input[data-bulk-row]:checked").length`); n != 50 {
			t.Errorf("%d rows ticked by the page box, want 50", n)
		}
		b.click("[data-bulk-all]")
		b.waitFor(`!document.querySelector("[data-bulk-all-on]").hidden`, 5*time.Second)
		b.wantText("All " + n + " users matching this filter are selected.")
		b.screenshot("bulk-select-all-en-desktop")
		b.set("#bulk-action", "users.disable")
		if st := b.submit(`#bulk button[type=submit]`); st != http.StatusOK {
			t.Fatalf("continue: %d\n%s", st, b.mainText())
		}
		b.wantText("This applies to all " + n + " users matching the filter of the list.")
		if sel := evalJS[string](b, `document.querySelector("#bulk-action").value`); sel != service.BulkDisable {
			t.Errorf("the confirmation's action is %q", sel)
		}
		// The form carries the filter, not 30,000 IDs.
		if n := evalJS[int](b, `document.querySelectorAll("form input[name=id]").length`); n != 0 {
			t.Errorf("the confirmation carries %d IDs", n)
		}
		b.screenshot("bulk-confirm-en-desktop")

		// A preview first: counts, nothing written.
		if st := b.submit(`button[name=go][value=preview]`); st != http.StatusOK {
			t.Fatalf("preview: %d\n%s", st, b.mainText())
		}
		preview := jobOnPage(t, b)
		b.waitJob(preview)
		if got := b.text(`[data-field=updated]`); got != fmt.Sprint(bulkUsers) {
			t.Errorf("the preview would change %s users, want %d\n%s", got, bulkUsers, b.mainText())
		}
		if _, disabled := countUsers(t, s, "BIG"); disabled != 0 {
			t.Fatalf("the preview disabled %d users", disabled)
		}
		// The preview speaks of the action, not of a file, and offers to
		// apply it as it is (see "a preview applied").
		b.wantText("The preview found no errors", "This was a preview: nothing was changed.", "Apply it now")
		if b.exists("#imp-confirm-file") {
			t.Errorf("the preview asks for a file:\n%s", b.mainText())
		}

		// Then for real.
		b.open("/console/groups/BIG/users?disabled=false")
		b.click("#bulk-page")
		b.click("[data-bulk-all]")
		b.set("#bulk-action", "users.disable")
		b.submit(`#bulk button[type=submit]`)
		start := time.Now()
		if st := b.submit(`button[name=go][value=run]`); st != http.StatusOK {
			t.Fatalf("apply: %d\n%s", st, b.mainText())
		}
		job := jobOnPage(t, b)
		b.waitJob(job)
		t.Logf("disabled %d users in %v (page to page)", bulkUsers, time.Since(start).Round(time.Millisecond))
		b.wantText("Bulk: disable users", "SUCCESS")
		// In its own words and with grouped digits: "30,000 changed", not
		// "0 created, 30000 updated".
		b.wantText("The action succeeded: " + n + " changed, 0 deleted, 0 unchanged.")
		if got := b.text(`[data-field=updated]`); got != fmt.Sprint(bulkUsers) {
			t.Errorf("the job changed %s users, want %d\n%s", got, bulkUsers, b.mainText())
		}
		b.screenshot("bulk-job-en-desktop")
		if all, disabled := countUsers(t, s, "BIG"); all != bulkUsers || disabled != bulkUsers {
			t.Errorf("after the job: %d users, %d disabled", all, disabled)
		}
		// The history and the audit log hold it.
		b.open("/console/imports")
		b.wantText("Bulk: disable users")
		evs, err := s.m.Service.AuditEvents(s.sys, meibo.AuditFilter{Action: "bulk.success", Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) != 2 || evs[0].Details["updated"] != float64(bulkUsers) || evs[0].ObjectID != job {
			t.Errorf("audit events %+v", evs)
		}
	})

	t.Run("the banner counts what the list counts", func(t *testing.T) {
		b := b.with(t)
		// "m0" is in every name up to m09999: all of them in a short
		// run, 10,000 in a long one; the list counts them exactly.
		want := bulkCount(min(bulkUsers, 10_000))
		b.open("/console/groups/BIG/users?q=m0&lang=en")
		b.wantText(want + " users")
		b.click("#bulk-page")
		b.waitFor(`!document.querySelector("[data-bulk-banner]").hidden`, 5*time.Second)
		b.wantText("Select all " + want + " users matching")
	})

	t.Run("delete every user, the group's ID typed", func(t *testing.T) {
		b := b.with(t)
		addBigGroup(t, s, "EVERY", 60)
		b.open("/console/groups/EVERY/users?lang=en")
		b.click("#bulk-page")
		b.waitFor(`!document.querySelector("[data-bulk-banner]").hidden`, 5*time.Second)
		b.click("[data-bulk-all]")
		b.waitFor(`!document.querySelector("[data-bulk-all-on]").hidden`, 5*time.Second)
		b.set("#bulk-action", "users.delete")
		if st := b.submit(`#bulk button[type=submit]`); st != http.StatusOK {
			t.Fatalf("continue: %d\n%s", st, b.mainText())
		}
		b.wantText("To delete every user of the group, type the group ID: EVERY")
		// The field is for deleting only; the target profile for moving.
		b.set("#bulk-action", "users.disable")
		if evalJS[bool](b, `document.querySelector("#bulk-confirm").closest(".field").hidden`) == false ||
			evalJS[bool](b, `document.querySelector("#bulk-target").closest(".field").hidden`) == false {
			t.Error("the confirmation of deleting everyone, or the target profile, shows for disabling")
		}
		b.set("#bulk-action", "users.delete")
		if st := b.submit(`button[name=go][value=run]`); st != http.StatusUnprocessableEntity {
			t.Fatalf("deleting everyone without the ID typed: %d\n%s", st, b.mainText())
		}
		b.wantText("This deletes every user of group EVERY: type the group ID to confirm.")
		if all, _ := countUsers(t, s, "EVERY"); all != 60 {
			t.Fatalf("%d users left after a refused deletion", all)
		}
		b.do(chromedp.SendKeys("#bulk-confirm", "every"))
		if st := b.submit(`button[name=go][value=run]`); st != http.StatusOK {
			t.Fatalf("deleting everyone: %d\n%s", st, b.mainText())
		}
		b.waitJob(jobOnPage(t, b))
		b.wantText("The action succeeded", "60 deleted")
		if all, _ := countUsers(t, s, "EVERY"); all != 0 {
			t.Errorf("%d users left", all)
		}
		if _, err := s.m.Service.Group(s.sys, "EVERY"); err != nil {
			t.Errorf("the group went with its users: %v", err)
		}
	})

	t.Run("a preview applied", func(t *testing.T) {
		b := b.with(t)
		dave := s.userID(t, "G002", "dave")
		if st := b.open("/console/groups/G002/users?lang=en"); st != http.StatusOK {
			t.Fatalf("users page: %d", st)
		}
		b.click(fmt.Sprintf(`input[data-bulk-row][value="%d"]`, dave))
		b.set("#bulk-action", "users.disable")
		if st := b.submit(`#bulk button[type=submit]`); st != http.StatusOK {
			t.Fatalf("continue: %d\n%s", st, b.mainText())
		}
		if st := b.submit(`button[name=go][value=preview]`); st != http.StatusOK {
			t.Fatalf("preview: %d\n%s", st, b.mainText())
		}
		b.waitJob(jobOnPage(t, b))
		if u, err := s.m.Service.User(s.sys, dave); err != nil || u.Disabled {
			t.Fatalf("the preview disabled dave: %+v %v", u, err)
		}
		if st := b.submit(`#imp-confirm`); st != http.StatusOK {
			t.Fatalf("apply now: %d\n%s", st, b.mainText())
		}
		b.wantText("The action of the preview has started.")
		b.waitJob(jobOnPage(t, b))
		b.wantText("The action succeeded", "Bulk: disable users")
		if strings.Contains(b.mainText(), "Nothing was changed") {
			t.Errorf("the applied job's page says nothing was changed:\n%s", b.mainText())
		}
		if u, err := s.m.Service.User(s.sys, dave); err != nil || !u.Disabled {
			t.Errorf("dave after the preview was applied: %+v %v", u, err)
		}
		if b.exists("#imp-confirm") {
			t.Errorf("the applied job offers to apply it again")
		}
	})

	t.Run("delete a profile in use by moving its users", func(t *testing.T) {
		b := b.with(t)
		b.do(chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulatePortrait))
		defer b.do(chromedp.EmulateViewport(1280, 800))
		old, err := s.m.Service.CreateProfile(s.sys, "G001", meibo.Profile{Name: "temporary", Actions: []meibo.Action{meibo.ActionLock}})
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"alice", "carol"} {
			if _, err := s.m.Service.UpdateUser(s.sys, s.userID(t, "G001", name), meibo.UserUpdate{Profile: &old.Name}); err != nil {
				t.Fatal(err)
			}
		}
		path := fmt.Sprintf("/console/groups/G001/profiles/%d/delete", old.ID)
		if st := b.open(path + "?lang=ja"); st != http.StatusOK {
			t.Fatalf("profile delete page: %d", st)
		}
		b.wantText("ユーザー 2 人を移動して削除")
		// Deleting it alone cannot work while it is in use: the page says
		// so and offers no such button.
		b.wantText("このプロファイルのユーザーが 2 人います")
		if b.exists(`form[action$="/delete"]`) {
			t.Errorf("the page offers to delete a profile in use:\n%s", b.mainText())
		}
		b.set("#target", "default")
		b.screenshot("bulk-profile-move-ja-phone")
		if w := evalJS[float64](b, `document.documentElement.scrollWidth`); w > 390 {
			t.Errorf("the page is %vpx wide on a 390px phone", w)
		}
		if st := b.submit(`form[action$="/move-users"] button[type=submit]`); st != http.StatusOK {
			t.Fatalf("move: %d\n%s", st, b.mainText())
		}
		job := jobOnPage(t, b)
		b.waitJob(job)
		b.wantText("一括:プロファイルを変更")
		if got := b.text(`[data-field=updated]`); got != "2" {
			t.Errorf("moved %s users, want 2", got)
		}
		b.screenshot("bulk-profile-job-ja-phone")
		if w := evalJS[float64](b, `document.documentElement.scrollWidth`); w > 390 {
			t.Errorf("the job page is %vpx wide on a 390px phone", w)
		}
		ps, err := s.m.Service.Profiles(s.sys, "G001")
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range ps {
			if p.Name == "temporary" {
				t.Error("the profile is still there")
			}
		}
		alice, err := s.m.Service.User(s.sys, s.userID(t, "G001", "alice"))
		if err != nil || alice.ProfileName != "default" {
			t.Errorf("alice after the move: %+v, %v", alice, err)
		}
	})

	t.Run("delete a group of 30,000 users", func(t *testing.T) {
		b := b.with(t)
		if st := b.open("/console/groups/BIG/delete?lang=ja"); st != http.StatusOK {
			t.Fatalf("group delete page: %d", st)
		}
		b.wantText("グループとユーザー " + n + " 人を削除")
		// A wrong ID is refused, nothing deleted.
		b.set("#confirm", "BIGG")
		if st := b.submit(`form[action$="/delete-with-users"] button[type=submit]`); st != http.StatusUnprocessableEntity {
			t.Fatalf("wrong confirmation: %d", st)
		}
		b.wantText("入力された文字はグループID BIG と一致しません。")
		if all, _ := countUsers(t, s, "BIG"); all != bulkUsers {
			t.Fatalf("a refused confirmation deleted users: %d left", all)
		}
		b.set("#confirm", "BIG")
		b.screenshot("bulk-group-delete-ja-desktop")
		start := time.Now()
		if st := b.submit(`form[action$="/delete-with-users"] button[type=submit]`); st != http.StatusOK {
			t.Fatalf("delete: %d\n%s", st, b.mainText())
		}
		job := jobOnPage(t, b)
		b.waitJob(job)
		t.Logf("deleted the group and its %d users in %v (page to page)", bulkUsers, time.Since(start).Round(time.Millisecond))
		b.wantText("一括:ユーザーを削除")
		if got := b.text(`[data-field=deleted]`); got != fmt.Sprint(bulkUsers) {
			t.Errorf("deleted %s users, want %d\n%s", got, bulkUsers, b.mainText())
		}
		b.screenshot("bulk-group-job-ja-desktop")
		if _, err := s.m.Service.Group(s.sys, "BIG"); meibo.ErrorCode(err) != meibo.CodeNotFound {
			t.Errorf("the group is still there: %v", err)
		}
		b.open("/console/groups")
		if strings.Contains(b.mainText(), "BIG") {
			t.Errorf("the groups list still shows BIG:\n%s", b.mainText())
		}
	})
}

// TestBulkConfirmationInBrowser: the confirmation of a bulk action names the
// action on its button, and deleting users, however few and whatever the
// filter, takes the group's ID typed. In Japanese, delete chosen on the
// list; in English, disable chosen on the list and delete chosen on the
// confirmation, the page following at once; without script, the change of
// action shows the confirmation of the new one before anything runs.
func TestBulkConfirmationInBrowser(t *testing.T) {
	t.Parallel()
	chromium := requireChromium(t)
	s := startBrowserServer(t)
	addBigGroup(t, s, "FORTY", 40)
	browser := startChromium(t, chromium)
	b := newTab(t, browser, s.base)
	b.signIn("admin", consolePassword)

	// selectAll searches the list for "m000" (all 40 users, a filter),
	// ticks the page, takes all that match, chooses the action and goes
	// on to the confirmation.
	selectAll := func(b *browserTab, lang, action string, script bool) {
		b.t.Helper()
		if st := b.open("/console/groups/FORTY/users?lang=" + lang); st != http.StatusOK {
			b.t.Fatalf("users page: %d", st)
		}
		b.set("#q", "m000")
		if st := b.submit(`form[role=search] button[type=submit]`); st != http.StatusOK {
			b.t.Fatalf("search: %d", st)
		}
		if script {
			b.click("#bulk-page")
			b.waitFor(`!document.querySelector("[data-bulk-banner]").hidden`, 5*time.Second)
			b.click("[data-bulk-all]")
			b.waitFor(`!document.querySelector("[data-bulk-all-on]").hidden`, 5*time.Second)
		} else {
			b.click("[data-bulk-all-input]")
		}
		b.choose("#bulk-action", action)
		if st := b.submit(`#bulk button[type=submit]`); st != http.StatusOK {
			b.t.Fatalf("continue: %d\n%s", st, b.mainText())
		}
	}
	runLabel := func(b *browserTab) string {
		b.t.Helper()
		return strings.TrimSpace(b.text(`button[name=go][value=run]`))
	}
	confirmShown := func(b *browserTab) bool {
		b.t.Helper()
		return evalJS[bool](b, `(f => f !== null && !f.closest(".field").hidden && f.offsetParent !== null)(document.querySelector("#bulk-confirm"))`)
	}
	wantUsers := func(t *testing.T, all, disabled int) {
		t.Helper()
		if a, d := countUsers(t, s, "FORTY"); a != all || d != disabled {
			t.Fatalf("FORTY has %d users, %d disabled; want %d, %d", a, d, all, disabled)
		}
	}

	t.Run("delete chosen on the list, Japanese", func(t *testing.T) {
		b := b.with(t)
		selectAll(b, "ja", service.BulkDelete, true)
		if got := runLabel(b); got != "40 人を削除" {
			t.Errorf("the button says %q, want 「40 人を削除」", got)
		}
		if !confirmShown(b) {
			t.Fatalf("deleting 40 users asks for no group ID:\n%s", b.mainText())
		}
		b.wantText("これらのユーザーを削除するには、グループID FORTY を入力してください")
		b.screenshot("bulk-confirm-delete-ja-desktop")
		if st := b.submit(`button[name=go][value=run]`); st != http.StatusUnprocessableEntity {
			t.Fatalf("deleting without the ID typed: %d\n%s", st, b.mainText())
		}
		b.wantText("グループ FORTY のユーザーを削除します。確認のためグループIDを入力してください。")
		wantUsers(t, 40, 0)
		if got := runLabel(b); got != "40 人を削除" {
			t.Errorf("after the refusal the button says %q", got)
		}
	})

	t.Run("delete chosen on the confirmation, English", func(t *testing.T) {
		b := b.with(t)
		selectAll(b, "en", service.BulkDisable, true)
		if got := runLabel(b); got != "Disable 40 users" {
			t.Errorf("the button says %q, want \"Disable 40 users\"", got)
		}
		if confirmShown(b) {
			t.Error("disabling asks for the group ID")
		}
		b.choose("#bulk-action", service.BulkDelete)
		if got := runLabel(b); got != "Delete 40 users" {
			t.Errorf("delete chosen on the confirmation, the button says %q, want \"Delete 40 users\"", got)
		}
		if !confirmShown(b) {
			t.Fatal("delete chosen on the confirmation asks for no group ID")
		}
		if st := b.submit(`button[name=go][value=run]`); st != http.StatusUnprocessableEntity {
			t.Fatalf("one click after changing to delete: %d\n%s", st, b.mainText())
		}
		b.wantText("This deletes users of group FORTY: type the group ID to confirm.")
		wantUsers(t, 40, 0)
	})

	t.Run("the action changed without script", func(t *testing.T) {
		b := newTab(t, browser, s.base)
		ctx, cancel := b.timed()
		_, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		b.signIn("admin", consolePassword)
		selectAll(b, "ja", service.BulkDisable, false)
		b.wantText("一覧の条件に一致する 40 人すべてが対象です。")
		if got := runLabel(b); got != "40 人を無効にする" {
			t.Errorf("the button says %q, want 「40 人を無効にする」", got)
		}
		if confirmShown(b) {
			t.Error("disabling asks for the group ID")
		}
		b.set("#bulk-action", service.BulkDelete)
		if st := b.submit(`button[name=go][value=run]`); st != http.StatusOK {
			t.Fatalf("the action changed: %d\n%s", st, b.mainText())
		}
		wantUsers(t, 40, 0)
		b.wantText("操作を「削除」に変更しました", "まだ何も実行していません。")
		if got := runLabel(b); got != "40 人を削除" {
			t.Errorf("the action changed to delete, the button says %q", got)
		}
		if !confirmShown(b) {
			t.Fatalf("the action changed to delete asks for no group ID:\n%s", b.mainText())
		}
		b.screenshot("bulk-confirm-changed-ja-nojs")
		b.set("#bulk-confirm", "forty")
		if st := b.submit(`button[name=go][value=run]`); st != http.StatusOK {
			t.Fatalf("delete, the ID typed: %d\n%s", st, b.mainText())
		}
		b.waitJob(jobOnPage(t, b))
		wantUsers(t, 0, 0)
	})
}
