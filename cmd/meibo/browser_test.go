package main

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/service"
)

// The browser tests drive the real console, served by Main on port 0 with a
// fresh SQLite file, in one headless Chromium for the whole package (each
// test in tabs of its own, with cookies of their own); having a server of
// their own each, they run in parallel (t.Parallel). Without
// Chromium they are skipped with a loud message, unless
// MEIBO_REQUIRE_BROWSER=1 (as CI sets it), which makes them fail instead.
// They leave screenshots of the main pages, in both languages, on a laptop
// and a phone viewport, in screenshots/ at the root of the repository.

// consolePassword is the built-in admin's password in the browser tests.
const consolePassword = "Console-test-pw1"

// chromiumPath finds Chromium: $MEIBO_CHROMIUM, else Debian's chromium.
func chromiumPath() string {
	for _, p := range []string{os.Getenv("MEIBO_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if p == "" {
			continue
		}
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	return ""
}

// requireChromium returns Chromium's path, or skips the test loudly (fails
// when MEIBO_REQUIRE_BROWSER=1).
func requireChromium(t *testing.T) string {
	t.Helper()
	required := os.Getenv("MEIBO_REQUIRE_BROWSER") == "1"
	path := chromiumPath()
	switch {
	case path == "" && required:
		t.Fatal("Chromium was not found but MEIBO_REQUIRE_BROWSER=1: the browser tests must run (apt-get install chromium, or set MEIBO_CHROMIUM)")
	case path == "":
		t.Skip("!!! Chromium not found: browser tests SKIPPED (apt-get install chromium, or set MEIBO_CHROMIUM to its path)")
	case testing.Short() && !required:
		t.Skip("!!! -short: browser tests SKIPPED")
	}
	return path
}

// browserServer is the server of the browser tests, with its data.
type browserServer struct {
	m      *Main
	base   string
	sys    context.Context // acts as the system
	groups []string
}

// startBrowserServer starts Main on 127.0.0.1:0 with a temporary SQLite file
// and three groups: G001 with a few users, G002 and G003.
func startBrowserServer(t *testing.T) *browserServer {
	t.Helper()
	cfg := testConfig(migratedDB(t), io.Discard)
	cfg.AdminPassword = consolePassword
	m := NewMain(cfg)
	if err := m.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	s := &browserServer{m: m, base: m.URL(), sys: meibo.WithActor(context.Background(), meibo.System("browser-test"))}
	for _, g := range []meibo.Group{{ID: "G001", Name: "Sales"}, {ID: "G002", Name: "Support"}, {ID: "G003", Name: "Research"}} {
		if _, err := m.Service.CreateGroup(s.sys, g); err != nil {
			t.Fatal(err)
		}
		s.groups = append(s.groups, g.ID)
	}
	users := []struct {
		group string
		in    service.UserInput
	}{
		{"G001", service.UserInput{Name: "alice", Email: "alice@example.com", Password: "Sunny-day-123"}},
		{"G001", service.UserInput{Name: "bob", Email: "bob@example.com", Admin: true}},
		{"G001", service.UserInput{Name: "carol", Email: "carol@example.co.jp", SendInvitation: true}},
		{"G001", service.UserInput{Name: "山田太郎", Email: "yamada@example.jp", Password: "Mountain-river-7"}},
		{"G002", service.UserInput{Name: "dave", Email: "dave@example.com"}},
		{"G003", service.UserInput{Name: "erin-secret", Email: "erin@example.com"}},
	}
	for _, u := range users {
		if _, err := m.Service.CreateUser(s.sys, u.group, u.in); err != nil {
			t.Fatalf("create user %s: %v", u.in.Name, err)
		}
	}
	return s
}

// userID returns the ID of a user, or 0 when there is none.
func (s *browserServer) userID(t *testing.T, group, name string) int64 {
	t.Helper()
	u, err := s.m.Service.UserByName(s.sys, group, name)
	if meibo.ErrorCode(err) == meibo.CodeNotFound {
		return 0
	} else if err != nil {
		t.Fatal(err)
	}
	return u.ID
}

// adminID returns the ID of an administrator, or 0 when there is none.
func (s *browserServer) adminID(t *testing.T, loginID string) int64 {
	t.Helper()
	a, err := s.m.Service.AdminByLoginID(s.sys, loginID)
	if meibo.ErrorCode(err) == meibo.CodeNotFound {
		return 0
	} else if err != nil {
		t.Fatal(err)
	}
	return a.ID
}

// sharedChromium is the one headless Chromium of the package's tests,
// started by the first test that asks for it and stopped by TestMain.
var sharedChromium struct {
	once sync.Once
	ctx  context.Context // the browser's first tab
	err  error
	stop func()
}

// TestMain stops the package's Chromium after the tests and removes the
// binary of the end-to-end tests. After a whole run that passed with the
// browser tests, it fails when a form of the templates was never sent by
// Chromium (forms_coverage_test.go). The garbage collector runs at a quarter of
// its usual rate: the tests start some fifty servers (each parsing every
// template) and read every screenshot through Chromium's protocol, and
// collecting took a third of the test binary's time. (In the test binary
// only: GOGC would reach the meibo processes the tests start, one of which
// has its memory measured.)
func TestMain(m *testing.M) {
	debug.SetGCPercent(400)
	code := m.Run()
	if code == 0 && sharedChromium.ctx != nil && wholeRun() {
		code = checkFormsSent()
	}
	if sharedChromium.stop != nil {
		sharedChromium.stop()
	}
	if e2eBinary.dir != "" {
		os.RemoveAll(e2eBinary.dir)
	}
	os.Exit(code)
}

// startChromium returns the context of the first tab of the package's one
// headless Chromium, starting it at the first call. Tests open their own
// tabs in it with newTab, each with cookies of its own.
func startChromium(t *testing.T, path string) context.Context {
	t.Helper()
	sharedChromium.once.Do(func() {
		dir, err := os.MkdirTemp("", "meibo-chromium-")
		if err != nil {
			sharedChromium.err = err
			return
		}
		opts := []chromedp.ExecAllocatorOption{
			chromedp.ExecPath(path),
			chromedp.Headless,
			chromedp.NoSandbox,
			chromedp.DisableGPU,
			chromedp.NoFirstRun,
			chromedp.NoDefaultBrowserCheck,
			chromedp.UserDataDir(dir),
			chromedp.WindowSize(1280, 800),
			chromedp.Flag("disable-background-networking", true),
			chromedp.Flag("disable-dev-shm-usage", true),
			chromedp.Flag("disable-sync", true),
			chromedp.Flag("disable-component-update", true),
			chromedp.Flag("disable-extensions", true),
			chromedp.Flag("disable-default-apps", true),
			chromedp.Flag("disable-features", "Translate,MediaRouter,OptimizationHints"),
			chromedp.Flag("hide-scrollbars", true),
			chromedp.Flag("mute-audio", true),
			chromedp.Flag("lang", "en-US"),
			chromedp.Flag("password-store", "basic"),
			// The https tests serve a certificate made in the test.
			chromedp.Flag("ignore-certificate-errors", true),
		}
		alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
		ctx, cancel := chromedp.NewContext(alloc)
		sharedChromium.stop = func() {
			chromedp.Cancel(ctx)
			cancel()
			cancelAlloc()
			os.RemoveAll(dir)
		}
		// The first run starts the browser; it has no timeout, since a
		// timeout would end the browser with it.
		if err := chromedp.Do(ctx); err != nil {
			sharedChromium.err = fmt.Errorf("start Chromium (%s): %w", path, err)
			return
		}
		sharedChromium.ctx = ctx
	})
	if sharedChromium.err != nil {
		t.Fatal(sharedChromium.err)
	}
	return sharedChromium.ctx
}

// browserTab is a browserTab of the browser with cookies of its own.
type browserTab struct {
	t    *testing.T
	ctx  context.Context
	base string
}

// newTab opens a tab in a new browser context: its own cookies, signed out.
func newTab(t *testing.T, browser context.Context, base string) *browserTab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("open a tab: %v", err)
	}
	if err := recordPosts(ctx); err != nil {
		t.Fatalf("listen to the tab: %v", err)
	}
	return &browserTab{t: t, ctx: ctx, base: base}
}

// with returns the tab for another (sub)test.
func (b *browserTab) with(t *testing.T) *browserTab {
	return &browserTab{t: t, ctx: b.ctx, base: b.base}
}

// timed is the tab's context with a time limit for one step.
func (b *browserTab) timed() (context.Context, context.CancelFunc) {
	return context.WithTimeout(b.ctx, 20*time.Second)
}

// do runs steps, failing the test on an error.
func (b *browserTab) do(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := b.timed()
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.t.Fatalf("browser: %v (at %s)", err, b.location())
	}
}

// location is the address of the tab, for messages.
func (b *browserTab) location() string {
	ctx, cancel := context.WithTimeout(b.ctx, 2*time.Second)
	defer cancel()
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	return loc
}

// open loads a page of the server and returns its HTTP status.
func (b *browserTab) open(path string) int64 {
	b.t.Helper()
	ctx, cancel := b.timed()
	defer cancel()
	res, err := chromedp.Run(ctx, chromedp.NavigateResponse(b.base+path))
	if err != nil {
		b.t.Fatalf("open %s: %v", path, err)
	}
	return res.Status
}

// submit clicks what sel selects (a submit button or a link), waits for the
// next page and returns its HTTP status.
func (b *browserTab) submit(sel string) int64 {
	b.t.Helper()
	ctx, cancel := b.timed()
	defer cancel()
	b.centre(sel)
	res, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("click %s: %v (at %s)", sel, err, b.location())
	}
	return res.Status
}

// text returns the visible text of the first element sel selects.
func (b *browserTab) text(sel string) string {
	b.t.Helper()
	ctx, cancel := b.timed()
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("text of %s: %v (at %s)", sel, err, b.location())
	}
	return s
}

// evalJS evaluates a JavaScript expression in the tab's page.
func evalJS[T any](b *browserTab, expr string) T {
	b.t.Helper()
	ctx, cancel := b.timed()
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v (at %s)", expr, err, b.location())
	}
	return v
}

// exists reports whether sel selects an element in the page.
func (b *browserTab) exists(sel string) bool {
	b.t.Helper()
	return evalJS[bool](b, fmt.Sprintf("document.querySelector(%s) !== null", strconv.Quote(sel)))
}

// set sets the value of a form field.
func (b *browserTab) set(sel, value string) {
	b.t.Helper()
	b.do(chromedp.SetValue(chromedp.CSS(sel), value))
}

// choose chooses value in the drop-down sel as a person does: the page
// hears the change.
func (b *browserTab) choose(sel, value string) {
	b.t.Helper()
	b.set(sel, value)
	evalJS[bool](b, fmt.Sprintf(`document.querySelector(%s).dispatchEvent(new Event("change", {bubbles: true}))`, strconv.Quote(sel)))
}

// click clicks what sel selects, as a person does, with the mouse.
func (b *browserTab) click(sel string) {
	b.t.Helper()
	b.centre(sel)
	b.do(chromedp.Click(chromedp.CSS(sel)))
}

// centre scrolls what sel selects to the middle of the window, as a person
// does before pressing it, so that a sticky header never covers it.
func (b *browserTab) centre(sel string) {
	b.t.Helper()
	ctx, cancel := b.timed()
	defer cancel()
	// The element may not be there yet: the click then waits for it.
	chromedp.Run(ctx, chromedp.Evaluate[bool](fmt.Sprintf(`(function(){ var e = document.querySelector(%s); if (e) { e.scrollIntoView({block: "center"}); } return true; })()`, strconv.Quote(sel))))
}

// checkbox reports whether the checkbox sel is ticked and whether it is
// disabled.
func (b *browserTab) checkbox(sel string) (checked, disabled bool) {
	b.t.Helper()
	v := evalJS[[]bool](b, fmt.Sprintf("(e => [e.checked, e.disabled])(document.querySelector(%s))", strconv.Quote(sel)))
	return v[0], v[1]
}

// mainText is the text of the page's main part.
func (b *browserTab) mainText() string { b.t.Helper(); return b.text("main") }

// wantText fails unless the page's main part holds every one of want.
func (b *browserTab) wantText(want ...string) {
	b.t.Helper()
	got := b.mainText()
	for _, w := range want {
		if !strings.Contains(got, w) {
			b.t.Errorf("%s: the page does not say %q:\n%s", b.location(), w, got)
		}
	}
}

// signIn signs in on the sign-in page.
func (b *browserTab) signIn(loginID, password string) {
	b.t.Helper()
	b.open("/console/signin")
	b.set("#loginId", loginID)
	b.set("#password", password)
	if st := b.submit(`form[action$="/signin"] button[type=submit]`); st != http.StatusOK {
		b.t.Fatalf("sign in as %s: status %d at %s", loginID, st, b.location())
	}
}

// cookie returns the value of the console's session cookie in the tab.
func (b *browserTab) cookie() string {
	b.t.Helper()
	ctx, cancel := b.timed()
	defer cancel()
	res, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{b.base + "/console/"}})
	if err != nil {
		b.t.Fatal(err)
	}
	for _, c := range res.Cookies {
		if c.Name == "meibo_console" {
			return c.Value
		}
	}
	return ""
}

// drop drops a file with name and content on the drop zone sel, as a person
// dragging it from the desktop does: dragenter, dragover and drop events
// carrying a DataTransfer that holds the file.
func (b *browserTab) drop(sel, name, content string) {
	b.t.Helper()
	js := fmt.Sprintf(`(() => {
		const zone = document.querySelector(%s);
		if (!zone) { throw new Error("no drop zone"); }
		const file = new File([Uint8Array.from(atob(%s), c => c.charCodeAt(0))], %s, {type: "text/csv"});
		const dt = new DataTransfer();
		dt.items.add(file);
		const r = zone.getBoundingClientRect();
		const at = {bubbles: true, cancelable: true, composed: true, dataTransfer: dt,
			clientX: r.left + r.width / 2, clientY: r.top + r.height / 2};
		zone.dispatchEvent(new DragEvent("dragenter", at));
		zone.dispatchEvent(new DragEvent("dragover", at));
		zone.dispatchEvent(new DragEvent("drop", at));
		return true;
	})()`, strconv.Quote(sel), strconv.Quote(base64.StdEncoding.EncodeToString([]byte(content))), strconv.Quote(name))
	evalJS[bool](b, js)
}

// waitFor waits until the JavaScript condition holds.
func (b *browserTab) waitFor(cond string, timeout time.Duration) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, timeout+5*time.Second)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](cond, chromedp.WithPollingTimeout(timeout),
		chromedp.WithPollingInterval(100*time.Millisecond))); err != nil {
		b.t.Fatalf("waiting for %s: %v (at %s)\n%s", cond, err, b.location(), b.mainText())
	}
}

// tryEvalJS evaluates a JavaScript expression, returning its error (the page
// may be reloading).
func tryEvalJS[T any](b *browserTab, expr string) (T, error) {
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	return chromedp.Run(ctx, chromedp.Evaluate[T](expr))
}

// waitJob waits on an import job's page until the job has ended: the page
// follows the job by itself; after a while the test reloads it. A page
// served while the job ran (data-import-reload) shows the end first and
// then reloads itself to list the errors: the wait ends on the page served
// after the end, so that nothing reads a page about to go away.
func (b *browserTab) waitJob(job string) {
	b.t.Helper()
	const done = `!!document.querySelector(".imp-summary .status.SUCCESS, .imp-summary .status.FAILED") &&
		!document.querySelector("[data-import-reload]") && document.readyState === "complete"`
	// Generous: under the race detector, on a busy machine, deleting the
	// 3,000 users of the bulk test has taken more than 30 s; a job that
	// stops moving still fails here.
	deadline := time.Now().Add(2 * time.Minute)
	for i := 0; ; i++ {
		if ok, err := tryEvalJS[bool](b, done); err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("import job %s did not end:\n%s", job, b.mainText())
		}
		time.Sleep(200 * time.Millisecond)
		if i > 50 && i%5 == 0 {
			b.open("/console/imports/" + job)
		}
	}
}

// TestConsoleInBrowser drives the console in Chromium: sign-in, users
// (search, add, edit, duplicate, delete), imports by drag and drop (one that
// fails and writes nothing, one that succeeds), export, the authority matrix,
// a department administrator's limited view, administrators, sign-out; and
// takes the screenshots.
func TestConsoleInBrowser(t *testing.T) {
	t.Parallel()
	chromium := requireChromium(t)
	s := startBrowserServer(t)
	browser := startChromium(t, chromium)
	admin := newTab(t, browser, s.base)
	var failedJob string

	t.Run("sign in", func(t *testing.T) {
		b := admin.with(t)
		// A page of the console asks to sign in first, and comes back after.
		b.open("/console/groups/G001/users")
		if loc := b.location(); !strings.Contains(loc, "/console/signin") {
			t.Fatalf("signed out, the users page went to %s", loc)
		}
		b.set("#loginId", "admin")
		b.set("#password", "wrong-password")
		if st := b.submit(`form[action$="/signin"] button[type=submit]`); st != http.StatusUnauthorized {
			t.Errorf("a wrong password: status %d", st)
		}
		b.wantText(meibo.M("login.failed").In(meibo.English))
		b.set("#password", consolePassword)
		if st := b.submit(`form[action$="/signin"] button[type=submit]`); st != http.StatusOK {
			t.Fatalf("sign in: status %d", st)
		}
		if loc := b.location(); !strings.HasSuffix(loc, "/console/groups/G001/users") {
			t.Errorf("after signing in: %s, want the users page asked for first", loc)
		}
		b.open("/console/")
		b.wantText("Overview")
		for _, href := range []string{"/console/users", "/console/imports", "/console/exports", "/console/admins"} {
			if !b.exists(`nav.side a[href="` + href + `"]`) {
				t.Errorf("the navigation of admin has no %s", href)
			}
		}
	})

	t.Run("search", func(t *testing.T) {
		b := admin.with(t)
		b.open("/console/groups/G001/users")
		b.wantText("alice", "bob", "carol", "山田太郎")
		b.do(chromedp.SendKeys(chromedp.ID("q"), "ali"))
		b.submit(`form[role=search] button[type=submit]`)
		got := b.text("table.list tbody")
		if !strings.Contains(got, "alice") || strings.Contains(got, "bob") || strings.Contains(got, "carol") {
			t.Errorf("search for ali:\n%s", got)
		}
		b.set("#q", "example.co.jp")
		b.submit(`form[role=search] button[type=submit]`)
		if got := b.text("table.list tbody"); !strings.Contains(got, "carol") || strings.Contains(got, "alice") {
			t.Errorf("search for example.co.jp:\n%s", got)
		}
		b.set("#q", "nobody-like-this")
		b.submit(`form[role=search] button[type=submit]`)
		b.wantText("No user matches.")
	})

	t.Run("add, edit, duplicate and delete a user", func(t *testing.T) {
		b := admin.with(t)
		b.open("/console/groups/G001/users")
		b.submit(`.head a.btn[href$="/users/new"]`)
		b.set("#name", "frank")
		b.set("#email", "frank@example.com")
		b.set("#password", "short")
		if st := b.submit(`form.form button[type=submit]`); st != http.StatusUnprocessableEntity {
			t.Errorf("a short password: status %d", st)
		}
		if v := evalJS[string](b, `document.getElementById("name").value`); v != "frank" {
			t.Errorf("the form came back with the name %q", v)
		}
		if !b.exists("#password-error") {
			t.Error("no error next to the password")
		}
		b.set("#password", "Green-apple-42")
		b.click(`input[name=apiAccess]`)
		b.submit(`form.form button[type=submit]`)
		b.wantText("The user was added.", "frank@example.com")
		id := s.userID(t, "G001", "frank")
		if id == 0 {
			t.Fatal("frank was not created")
		}

		// Edit.
		b.submit(fmt.Sprintf(`table.list a[href="/console/users/%d"]`, id))
		if !evalJS[bool](b, `document.getElementById("name").readOnly`) {
			t.Error("the name of a user can be changed")
		}
		b.set("#email", "frank.new@example.com")
		b.submit(`form.form button[type=submit]`)
		b.wantText("The user was saved.")
		if v := evalJS[string](b, `document.getElementById("email").value`); v != "frank.new@example.com" {
			t.Errorf("after saving, the e-mail is %q", v)
		}

		// Duplicate.
		b.submit(fmt.Sprintf(`a[href="/console/users/%d/duplicate"]`, id))
		b.wantText("frank")
		b.set("#name", "frank2")
		b.set("#email", "frank2@example.com")
		b.submit(`form.form button[type=submit]`)
		b.wantText("The user was added.", "frank2")
		dup := s.userID(t, "G001", "frank2")
		if dup == 0 {
			t.Fatal("frank2 was not created")
		}
		if u, err := s.m.Service.User(s.sys, dup); err != nil || !u.APIAccess {
			t.Errorf("the duplicate did not copy the options: %+v %v", u, err)
		}

		// Delete, after a confirmation.
		b.open("/console/groups/G001/users")
		b.submit(fmt.Sprintf(`a[href="/console/users/%d/delete"]`, dup))
		b.wantText("frank2")
		b.submit(`form[action$="/delete"] button[type=submit]`)
		b.wantText("The user was deleted.")
		if got := b.text("table.list tbody"); strings.Contains(got, "frank2") {
			t.Errorf("frank2 is still listed:\n%s", got)
		}
		if s.userID(t, "G001", "frank2") != 0 {
			t.Error("frank2 was not deleted")
		}
	})

	t.Run("import by drag and drop", func(t *testing.T) {
		b := admin.with(t)
		if st := b.open("/console/imports"); st != http.StatusOK {
			t.Fatalf("the import page: status %d", st)
		}
		if !b.exists("[data-dropzone]") {
			t.Fatal("the import page has no drop zone")
		}
		importFile := func(name, content string) string {
			t.Helper()
			b.open("/console/imports")
			b.click(`input[name=format][value=users]`)
			b.do(chromedp.SetValue(chromedp.ID("imp-group"), "G001"))
			b.drop("[data-dropzone]", name, content)
			b.waitFor(`document.getElementById("imp-file").files.length === 1`, 5*time.Second)
			if got := evalJS[string](b, `document.getElementById("imp-file").files[0].name`); got != name {
				t.Errorf("the dropped file is %q in the form", got)
			}
			b.submit(`form[data-import-form] button[type=submit]`)
			loc := b.location()
			u, err := url.Parse(loc)
			if err != nil || !strings.HasPrefix(u.Path, "/console/imports/") {
				t.Fatalf("after the upload: %s\n%s", loc, b.mainText())
			}
			job := strings.TrimPrefix(u.Path, "/console/imports/")
			b.waitJob(job)
			return job
		}

		// A file with errors: the job fails, lists each error, writes nothing.
		bad := "name,password,email\r\nzed1,Quiet-lake-33,zed1@example.com\r\nzed2,short,not-an-e-mail\r\nalice,Windy-hill-44,alice@example.com\r\n"
		failedJob = importFile("bad-users.csv", bad)
		b.waitFor(`!!document.querySelector(".imp-summary .status.FAILED")`, 20*time.Second)
		if !b.exists("table.imp-msgs") {
			t.Fatalf("the failed job lists no errors:\n%s", b.mainText())
		}
		msgs := b.text("table.imp-msgs tbody")
		for _, row := range []string{"3", "4"} {
			if !strings.Contains(msgs, row) {
				t.Errorf("no error on row %s:\n%s", row, msgs)
			}
		}
		if s.userID(t, "G001", "zed1") != 0 {
			t.Error("a failed import wrote zed1")
		}

		// A good file: SUCCESS, the users are there, the history says so.
		good := "name,password,email\r\nimp1,Blue-ocean-11,imp1@example.com\r\nimp2,Red-forest-22,imp2@example.com\r\n"
		okJob := importFile("good-users.csv", good)
		b.waitFor(`!!document.querySelector(".imp-summary .status.SUCCESS")`, 20*time.Second)
		if s.userID(t, "G001", "imp1") == 0 || s.userID(t, "G001", "imp2") == 0 {
			t.Error("the successful import did not create imp1 and imp2")
		}
		b.open("/console/imports")
		for job, status := range map[string]string{failedJob: "FAILED", okJob: "SUCCESS"} {
			sel := fmt.Sprintf(`tr[data-import-id="%s"] .status.%s`, job, status)
			if !b.exists(sel) {
				t.Errorf("the history does not show job %s as %s:\n%s", job, status, b.text("table.imp-table"))
			}
		}
	})

	t.Run("export", func(t *testing.T) {
		b := admin.with(t)
		b.open("/console/exports")
		b.do(chromedp.SetValue(chromedp.ID("exp-group"), "G001"))
		type download struct {
			Status      int    `json:"status"`
			Disposition string `json:"disposition"`
			Type        string `json:"type"`
			Body        string `json:"body"`
		}
		// The form's own request, as its button sends it.
		d := evalJS[download](b, `(async () => {
			const f = document.querySelector('form[action$="/exports/users"]');
			const btn = f.querySelector('button[value="utf-8"]');
			const r = await fetch(f.action, {method: "POST", body: new URLSearchParams(new FormData(f, btn)), credentials: "same-origin"});
			return {status: r.status, disposition: r.headers.get("Content-Disposition") || "", type: r.headers.get("Content-Type") || "", body: await r.text()};
		})()`)
		if d.Status != http.StatusOK || !strings.HasPrefix(d.Disposition, "attachment") || !strings.Contains(d.Disposition, ".csv") {
			t.Errorf("export: %d %q %q", d.Status, d.Disposition, d.Type)
		}
		if !strings.HasPrefix(d.Body, "name,password,email,admin,apiAccess,disabled,profile") || !strings.Contains(d.Body, "alice,,alice@example.com") {
			t.Errorf("the exported file:\n%s", d.Body)
		}
		if strings.Contains(d.Body, "erin-secret") || strings.Contains(d.Body, "Alice-pw") {
			t.Errorf("the export holds what it must not:\n%s", d.Body)
		}
	})

	var deptID int64
	t.Run("authority matrix", func(t *testing.T) {
		b := admin.with(t)
		b.open("/console/admins")
		b.submit(`.head a.btn[href="/console/admins/new"]`)
		// A dependent cannot be ticked while its parent is not.
		if c, d := b.checkbox("#auth-logAttachments"); c || !d {
			t.Fatalf("21 without 5: checked %v, disabled %v", c, d)
		}
		b.click(`label[for="auth-logAttachments"]`)
		b.click("#auth-logAttachments")
		if c, _ := b.checkbox("#auth-logAttachments"); c {
			t.Error("21 could be ticked without 5")
		}
		if !evalJS[bool](b, `document.getElementById("dept-groups").hidden`) {
			t.Error("the department groups show without the department authority")
		}
		// Ticking the parent lets the dependents be ticked.
		b.click("#auth-logViewer")
		b.click("#auth-logAttachments")
		b.click(`label[for="auth-logMail"]`)
		for _, id := range []string{"#auth-logAttachments", "#auth-logMail"} {
			if c, d := b.checkbox(id); !c || d {
				t.Errorf("%s with 5: checked %v, disabled %v", id, c, d)
			}
		}
		// Unticking the parent unticks and disables its dependents.
		b.click("#auth-logViewer")
		for _, id := range []string{"#auth-logAttachments", "#auth-logMail", "#auth-logSaveCSV"} {
			if c, d := b.checkbox(id); c || !d {
				t.Errorf("%s after unticking 5: checked %v, disabled %v", id, c, d)
			}
		}
		// 34 needs 6, 8 and 33.
		b.click("#auth-console")
		b.click("#auth-devices")
		if _, d := b.checkbox("#auth-devicesOnly"); !d {
			t.Error("34 can be ticked without 8")
		}
		b.click("#auth-department")
		if evalJS[bool](b, `document.getElementById("dept-groups").hidden`) {
			t.Error("the department groups stay hidden with the department authority")
		}
		b.click("#auth-devicesOnly")
		if c, _ := b.checkbox("#auth-devicesOnly"); !c {
			t.Error("34 cannot be ticked with 6, 8 and 33")
		}
		b.click("#auth-devices")
		if c, d := b.checkbox("#auth-devicesOnly"); c || !d {
			t.Errorf("34 after unticking 33: checked %v, disabled %v", c, d)
		}
		b.click("#auth-console")
		for _, id := range []string{"#auth-import", "#auth-devices", "#auth-devicesOnly"} {
			if c, d := b.checkbox(id); c || !d {
				t.Errorf("%s after unticking 6: checked %v, disabled %v", id, c, d)
			}
		}

		// A department administrator of G001 and G002.
		b.click("#auth-console")
		b.click("#auth-import")
		b.click(`#dept-groups input[value="G001"]`)
		b.click(`#dept-groups input[value="G002"]`)
		b.set("#loginId", "dept1")
		b.set("#name", "Department One")
		b.set("#email", "dept1@example.com")
		b.set("#password", "Silver-moon-55")
		b.set("#notes", "担当:営業とサポート")
		if st := b.submit(`form.admin-form button[type=submit]`); st != http.StatusOK {
			t.Fatalf("add dept1: status %d\n%s", st, b.mainText())
		}
		b.wantText("The administrator was added.", "dept1", "Department One", "G001, G002")
		deptID = s.adminID(t, "dept1")
		ad, err := s.m.Service.Admin(s.sys, deptID)
		if err != nil {
			t.Fatal(err)
		}
		want := meibo.NewAuthorities(meibo.AuthConsole, meibo.AuthImport, meibo.AuthDepartment)
		if ad.Authorities != want || strings.Join(ad.Groups, ",") != "G001,G002" || ad.Notes != "担当:営業とサポート" {
			t.Errorf("dept1: %v %v %q", ad.Authorities.List(), ad.Groups, ad.Notes)
		}
	})

	t.Run("administrators", func(t *testing.T) {
		b := admin.with(t)
		// Edit: the form shows the matrix as saved; a blank password keeps it.
		b.open(fmt.Sprintf("/console/admins/%d", deptID))
		for id, want := range map[string]bool{"#auth-console": true, "#auth-import": true, "#auth-department": true,
			"#auth-logViewer": false, `#dept-groups input[value="G001"]`: true, `#dept-groups input[value="G003"]`: false} {
			if c, _ := b.checkbox(id); c != want {
				t.Errorf("the form of dept1: %s checked %v", id, c)
			}
		}
		b.set("#name", "Department 1")
		b.click("#auth-export")
		b.submit(`form.admin-form button[type=submit]`)
		b.wantText("The administrator was saved.", "Department 1")
		ad, _ := s.m.Service.Admin(s.sys, deptID)
		if ad == nil || !ad.Authorities.Has(meibo.AuthExport) || ad.PasswordHash == "" {
			t.Errorf("dept1 after the edit: %+v", ad)
		}

		// The server refuses what the script would have prevented (a form
		// sent without it): the rule is shown next to the authority.
		b.open(fmt.Sprintf("/console/admins/%d", deptID))
		evalJS[bool](b, `(() => { document.querySelectorAll("#matrix input").forEach(i => i.disabled = false);
			document.getElementById("auth-console").checked = false; return true; })()`)
		if st := b.submit(`form.admin-form button[type=submit]`); st != http.StatusUnprocessableEntity {
			t.Errorf("31 without 6: status %d", st)
		}
		if got := b.text("#auth-import-error"); !strings.Contains(got, "needs Management Console (column 6)") {
			t.Errorf("the rule next to 31: %q", got)
		}

		// Built-ins, oneself and the last manager are refused.
		adminID := s.adminID(t, "admin")
		b.open(fmt.Sprintf("/console/admins/%d/delete", adminID))
		b.wantText("You cannot delete your own account.")
		b.open(fmt.Sprintf("/console/admins/%d/delete", s.adminID(t, "AUTOBACKUPUSER")))
		b.wantText("The built-in administrator AUTOBACKUPUSER cannot be deleted.")
		b.open(fmt.Sprintf("/console/admins/%d", adminID))
		b.click("#auth-console")
		if st := b.submit(`form.admin-form button[type=submit]`); st != http.StatusConflict {
			t.Errorf("the last manager without 6: status %d", st)
		}
		b.wantText("This would leave no enabled administrator who can manage administrators.")

		// Delete, after a confirmation.
		if _, err := s.m.Service.CreateAdmin(s.sys, service.AdminInput{LoginID: "temp1", Name: "Temporary",
			Authorities: meibo.NewAuthorities(meibo.AuthLogViewer)}); err != nil {
			t.Fatal(err)
		}
		b.open("/console/admins")
		b.submit(fmt.Sprintf(`a[href="/console/admins/%d/delete"]`, s.adminID(t, "temp1")))
		b.wantText("temp1")
		b.submit(`form[action$="/delete"] button[type=submit]`)
		b.wantText("The administrator was deleted.")
		if s.adminID(t, "temp1") != 0 {
			t.Error("temp1 was not deleted")
		}
	})

	t.Run("department administrator", func(t *testing.T) {
		b := newTab(t, browser, s.base)
		b.signIn("dept1", "Silver-moon-55")
		if st := b.open("/console/groups/G003/users"); st != http.StatusNotFound {
			t.Errorf("the users of G003 for dept1: status %d", st)
		}
		b.wantText("There is no group with the ID G003.")
		if st := b.open("/console/groups/G001/users"); st != http.StatusOK {
			t.Fatalf("the users of G001 for dept1: status %d", st)
		}
		b.wantText("alice")
		got := evalJS[[]string](b, `Array.from(document.querySelectorAll("#group-pick option")).map(o => o.value)`)
		if strings.Join(got, ",") != "G001,G002" {
			t.Errorf("the group picker of dept1 offers %v", got)
		}
		b.set("#q", "erin")
		b.submit(`form[role=search] button[type=submit]`)
		b.wantText("No user matches.")
		if b.exists(`nav.side a[href="/console/admins"]`) {
			t.Error("dept1 is offered the administrators")
		}
		if st := b.open("/console/admins"); st != http.StatusForbidden {
			t.Errorf("the administrators for dept1: status %d", st)
		}
		b.wantText(meibo.M("forbidden.admins").In(meibo.English))
	})

	t.Run("screenshots", func(t *testing.T) {
		takeScreenshots(t, s, browser, admin.with(t), failedJob, deptID)
	})

	t.Run("sign out", func(t *testing.T) {
		b := admin.with(t)
		b.open("/console/")
		old := b.cookie()
		if old == "" {
			t.Fatal("no session cookie")
		}
		b.submit(`form[action$="/signout"] button[type=submit]`)
		if loc := b.location(); !strings.Contains(loc, "/console/signin") {
			t.Errorf("after signing out: %s", loc)
		}
		b.wantText("You are signed out.")
		b.open("/console/groups/G001/users")
		if loc := b.location(); !strings.Contains(loc, "/console/signin") {
			t.Errorf("signed out, the users page shows at %s", loc)
		}
		// The old cookie no longer works.
		req, _ := http.NewRequest("GET", s.base+"/console/groups/G001/users", nil)
		req.AddCookie(&http.Cookie{Name: "meibo_console", Value: old})
		client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusSeeOther || !strings.Contains(res.Header.Get("Location"), "/console/signin") {
			t.Errorf("the old cookie: %d %s", res.StatusCode, res.Header.Get("Location"))
		}
	})
}

// screenshotDir is screenshots/ at the root of the repository (not
// committed).
func screenshotDir(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's folder")
		}
		dir = parent
	}
	out := filepath.Join(dir, "screenshots")
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	return out
}

// screenshot saves the page as it is now as screenshots/<name>.png.
func (b *browserTab) screenshot(name string) {
	b.t.Helper()
	ctx, cancel := b.timed()
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(screenshotDir(b.t), name+".png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// takeScreenshots saves the main pages in English and Japanese, on a laptop
// (1280×800) and a phone (390×844), as screenshots/<page>-<lang>-<device>.png.
func takeScreenshots(t *testing.T, s *browserServer, browser context.Context, b *browserTab, failedJob string, deptID int64) {
	dir := screenshotDir(t)
	alice := s.userID(t, "G001", "alice")
	pages := []struct{ name, path string }{
		{"overview", "/console/"},
		{"users", "/console/groups/G001/users"},
		{"user-form", fmt.Sprintf("/console/users/%d", alice)},
		{"imports", "/console/imports"},
		{"import-job-errors", "/console/imports/" + failedJob},
		{"admins", "/console/admins"},
		{"admin-form", fmt.Sprintf("/console/admins/%d", deptID)},
		{"licence", "/console/licence"},
		{"audit", "/console/audit"},
		{"outbox", "/console/mail"},
	}
	signedOut := newTab(t, browser, s.base)
	devices := []struct {
		name string
		vp   chromedp.Action[chromedp.Void]
	}{
		{"desktop", chromedp.EmulateViewport(1280, 800)},
		{"phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulatePortrait)},
	}
	written := 0
	shoot := func(b *browserTab, name, path string) {
		t.Helper()
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		for _, lang := range []string{"en", "ja"} {
			for _, d := range devices {
				b.do(d.vp)
				if st := b.open(path + sep + "lang=" + lang); st != http.StatusOK {
					t.Errorf("screenshot of %s (%s): status %d", name, path, st)
				}
				ctx, cancel := b.timed()
				png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
				cancel()
				if err != nil {
					t.Fatalf("screenshot of %s: %v", name, err)
				}
				if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%s-%s-%s.png", name, lang, d.name)), png, 0o644); err != nil {
					t.Fatal(err)
				}
				written++
			}
		}
	}
	shoot(signedOut, "signin", "/console/signin")
	for _, p := range pages {
		shoot(b, p.name, p.path)
	}
	// Back to the laptop, in English.
	b.do(devices[0].vp)
	b.open("/console/?lang=en")
	t.Logf("%d screenshots of the console in %s", written, dir)
}
