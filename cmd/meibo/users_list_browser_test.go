package main

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/service"
)

// TestUsersListInBrowser sorts a group's users by e-mail descending by
// pressing the column's header, changes the page size in the filter form,
// goes to the last page and back to the first, and reads the total on the
// page at each step.
func TestUsersListInBrowser(t *testing.T) {
	path := requireChromium(t)
	t.Parallel()
	s := startBrowserServer(t)
	for i := range 120 {
		in := service.UserInput{Name: fmt.Sprintf("member%03d", i), Email: fmt.Sprintf("m%03d@example.org", (i*7)%120)}
		if _, err := s.m.Service.CreateUser(s.sys, "G002", in); err != nil {
			t.Fatal(err)
		}
	}
	b := newTab(t, startChromium(t, path), s.base)
	b.signIn("admin", consolePassword)
	if st := b.open("/console/groups/G002/users"); st != http.StatusOK {
		t.Fatalf("users page: %d", st)
	}
	// dave and the 120 members.
	total := func() string { return b.text("#users-total") }
	if got := total(); got != "121 users" {
		t.Errorf("total %q, want 121 users", got)
	}
	// The e-mail addresses of the rows, in order.
	emailRe := regexp.MustCompile(`[a-z0-9]+@example\.(org|com)`)
	emails := func() []string {
		var out []string
		for _, row := range evalJS[[]string](b, `[...document.querySelectorAll("table.list tbody tr")].map(r => r.textContent)`) {
			out = append(out, emailRe.FindString(row))
		}
		return out
	}
	header := `table.list thead a.sort[data-sort="email"]`
	if st := b.submit(header); st != http.StatusOK {
		t.Fatalf("sort by e-mail: %d", st)
	}
	if st := b.submit(header); st != http.StatusOK {
		t.Fatalf("sort by e-mail again: %d", st)
	}
	if got := evalJS[string](b, `document.querySelector("table.list thead th[aria-sort]").getAttribute("aria-sort")`); got != "descending" {
		t.Errorf("aria-sort %q after two presses, want descending", got)
	}
	e := emails()
	if len(e) != 50 || e[0] != "m119@example.org" || e[49] != "m070@example.org" {
		t.Fatalf("first page by e-mail descending: %d rows, %q … %q", len(e), e[0], e[len(e)-1])
	}
	b.screenshot("users-sorted-email-desc-en-desktop")

	// 100 a page, in the same order.
	b.set("#size", "100")
	if st := b.submit(`form.filters button[type=submit]`); st != http.StatusOK {
		t.Fatalf("page size: %d", st)
	}
	if loc := b.location(); !strings.Contains(loc, "size=100") || !strings.Contains(loc, "sort=email") || !strings.Contains(loc, "order=desc") {
		t.Errorf("the address does not keep the order and size: %s", loc)
	}
	if e = emails(); len(e) != 100 || e[0] != "m119@example.org" || e[99] != "m020@example.org" {
		t.Fatalf("100 a page: %d rows, %q … %q", len(e), e[0], e[len(e)-1])
	}
	if got := total(); got != "121 users" {
		t.Errorf("total %q on 100 a page", got)
	}

	// The last page: the last 100 of the order, ending with dave's.
	if st := b.submit(`nav.pager a[data-page="last"]`); st != http.StatusOK {
		t.Fatalf("last page: %d", st)
	}
	if e = emails(); len(e) != 100 || e[0] != "m098@example.org" || e[98] != "m000@example.org" || e[99] != "dave@example.com" {
		t.Fatalf("last page: %d rows, %q … %q", len(e), e[0], e[len(e)-1])
	}
	if b.exists(`nav.pager a[data-page="next"]`) || b.exists(`nav.pager a[data-page="last"]`) {
		t.Error("the last page offers a next page")
	}
	if got := total(); got != "121 users" {
		t.Errorf("total %q on the last page", got)
	}
	b.screenshot("users-last-page-en-desktop")

	// Back to the first page.
	if st := b.submit(`nav.pager a[data-page="first"]`); st != http.StatusOK {
		t.Fatalf("first page: %d", st)
	}
	if e = emails(); len(e) != 100 || e[0] != "m119@example.org" {
		t.Fatalf("first page again: %d rows, %q", len(e), e[0])
	}
	if b.exists(`nav.pager a[data-page="prev"]`) {
		t.Error("the first page offers a previous page")
	}

	// In Japanese at phone width: the total, and the last page by the
	// pager's button.
	b.do(chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulatePortrait))
	if st := b.open("/console/groups/G002/users?sort=email&order=desc&lang=ja"); st != http.StatusOK {
		t.Fatalf("users page in Japanese: %d", st)
	}
	if got := total(); got != "121人" {
		t.Errorf("Japanese total %q, want 121人", got)
	}
	if st := b.submit(`nav.pager a[data-page="last"]`); st != http.StatusOK {
		t.Fatalf("last page in Japanese: %d", st)
	}
	if e = emails(); len(e) == 0 || e[len(e)-1] != "dave@example.com" {
		t.Errorf("Japanese last page ends with %q", e)
	}
	b.screenshot("users-last-page-ja-phone")
	b.do(chromedp.EmulateViewport(1280, 800))
}

// TestLongNamesFitInBrowser: a user whose name and address are 64
// characters without a space does not widen the users list past the window,
// on a laptop or a phone: every column and the row's links stay in view.
func TestLongNamesFitInBrowser(t *testing.T) {
	path := requireChromium(t)
	t.Parallel()
	s := startBrowserServer(t)
	long := strings.Repeat("a", 64)
	if _, err := s.m.Service.CreateUser(s.sys, "G003", service.UserInput{Name: long, Email: strings.Repeat("b", 50) + "@example.com"}); err != nil {
		t.Fatal(err)
	}
	b := newTab(t, startChromium(t, path), s.base)
	b.signIn("admin", consolePassword)
	for _, w := range []int64{1280, 390} {
		if w == 390 {
			b.do(chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulatePortrait))
		}
		if st := b.open("/console/groups/G003/users?lang=en"); st != http.StatusOK {
			t.Fatalf("users page: %d", st)
		}
		b.wantText(long)
		if got := evalJS[float64](b, `document.documentElement.scrollWidth`); got > float64(w) {
			t.Errorf("at %dpx the users page is %vpx wide", w, got)
			b.screenshot(fmt.Sprintf("long-name-%d", w))
		}
	}
	// On the phone, the import history's and the audit log's rows stay
	// within the screen: no cell runs past its right edge (inside a
	// scrolling box, it would be cut off).
	if _, err := s.m.Service.SubmitAndRun(s.sys, service.ImportRequest{Format: meibo.FormatUsers, GroupID: "G003", UpdateExisting: true,
		FileName: "a-rather-long-file-name-of-an-import-2026-12-07.csv"}, []byte("name,password,email\r\n"+long+",,x@example.com\r\n"), nil); err != nil {
		t.Fatal(err)
	}
	for _, page := range []string{"/console/imports?lang=en", "/console/audit?lang=en"} {
		if st := b.open(page); st != http.StatusOK {
			t.Fatalf("%s: %d", page, st)
		}
		cut := evalJS[[]string](b, `[...document.querySelectorAll("table.list td")].filter(td => td.getBoundingClientRect().right > window.innerWidth + 1).map(td => td.textContent.trim().slice(0, 40))`)
		if len(cut) > 0 {
			t.Errorf("%s at 390px: cells past the screen's edge: %q", page, cut)
			b.screenshot("phone-cut-" + strings.Trim(strings.NewReplacer("/", "-", "?", "-", "=", "-").Replace(page), "-"))
		}
	}
}

// TestLangSwitchKeepsQueryInBrowser: the language switch of a filtered page
// changes the language only: the users list searched for 山田 among the
// enabled users, and the audit log filtered on an action, stay filtered.
func TestLangSwitchKeepsQueryInBrowser(t *testing.T) {
	path := requireChromium(t)
	t.Parallel()
	s := startBrowserServer(t)
	b := newTab(t, startChromium(t, path), s.base)
	b.signIn("admin", consolePassword)

	if st := b.open("/console/groups/G001/users?lang=ja"); st != http.StatusOK {
		t.Fatalf("users page: %d", st)
	}
	b.set("#q", "山田")
	b.set("#disabled", "false")
	if st := b.submit(`form[role=search] button[type=submit]`); st != http.StatusOK {
		t.Fatalf("search: %d", st)
	}
	if strings.Contains(b.mainText(), "alice") {
		t.Fatalf("the search for 山田 shows alice:\n%s", b.mainText())
	}
	if st := b.submit("header a.lang"); st != http.StatusOK {
		t.Fatalf("English: %d", st)
	}
	// query is the query of the tab's address.
	query := func() url.Values {
		u, err := url.Parse(b.location())
		if err != nil {
			t.Fatal(err)
		}
		return u.Query()
	}
	if q := query(); q.Get("q") != "山田" || q.Get("disabled") != "false" || q.Get("lang") != "en" || len(q["lang"]) != 1 {
		t.Errorf("the switch to English went to %s", b.location())
	}
	b.wantText("山田太郎")
	if strings.Contains(b.mainText(), "alice") {
		t.Errorf("in English the list lost its search:\n%s", b.mainText())
	}
	if st := b.submit("header a.lang"); st != http.StatusOK {
		t.Fatalf("back to Japanese: %d", st)
	}
	if q := query(); q.Get("q") != "山田" || q.Get("lang") != "ja" || len(q["lang"]) != 1 {
		t.Errorf("the switch back went to %s", b.location())
	}

	if st := b.open("/console/audit?action=user.create&lang=en"); st != http.StatusOK {
		t.Fatalf("audit log: %d", st)
	}
	if st := b.submit("header a.lang"); st != http.StatusOK {
		t.Fatalf("Japanese audit log: %d", st)
	}
	if q := query(); q.Get("action") != "user.create" || q.Get("lang") != "ja" {
		t.Errorf("the audit log's switch went to %s", b.location())
	}
	if got := evalJS[string](b, `document.querySelector("#audit-action") ? document.querySelector("#audit-action").value : ""`); got != "user.create" {
		t.Errorf("the audit log's filter after the switch: %q", got)
	}
}
