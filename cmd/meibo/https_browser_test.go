package main

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/service"
)

// cookies returns the tab's cookies for the server, by name.
func (b *browserTab) cookies() map[string]*network.Cookie {
	b.t.Helper()
	ctx, cancel := b.timed()
	defer cancel()
	res, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{b.base + "/", b.base + "/console/"}})
	if err != nil {
		b.t.Fatal(err)
	}
	out := map[string]*network.Cookie{}
	for _, c := range res.Cookies {
		out[c.Name] = c
	}
	return out
}

// visit loads a page of another server.
func (b *browserTab) visit(url string) {
	b.t.Helper()
	b.do(chromedp.Navigate(url))
}

// wantHostCookie fails unless the tab holds cookie name with the __Host-
// prefix, Secure, for the whole site, and not under its plain name.
func (b *browserTab) wantHostCookie(name string) {
	b.t.Helper()
	cs := b.cookies()
	c := cs["__Host-"+name]
	if c == nil {
		b.t.Errorf("no cookie __Host-%s among %v", name, cs)
		return
	}
	if !c.Secure || c.Path != "/" || !c.HTTPOnly || strings.HasPrefix(c.Domain, ".") {
		b.t.Errorf("cookie %s: secure %v path %s httpOnly %v domain %s", c.Name, c.Secure, c.Path, c.HTTPOnly, c.Domain)
	}
	if cs[name] != nil {
		b.t.Errorf("a cookie %s without the prefix too", name)
	}
}

// attackerSite serves, on another origin, a page whose form posts to target
// with the given fields, sent by pressing its button.
func attackerSite(t *testing.T, target string, fields map[string]string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in strings.Builder
		for k, v := range fields {
			fmt.Fprintf(&in, `<input type="hidden" name="%s" value="%s">`, html.EscapeString(k), html.EscapeString(v))
		}
		fmt.Fprintf(w, `<!doctype html><html><body><h1>Win a prize</h1><form method="post" action="%s">%s<button id="go" type="submit">Claim</button></form></body></html>`,
			html.EscapeString(target), in.String())
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestHTTPSInBrowser: served over https, the console's and the portal's
// session cookies and the form cookie are __Host- and Secure, every page
// has HSTS, a form on another site that posts to the console or the portal
// (with a valid CSRF token, even) is refused, and meibo's own forms work.
func TestHTTPSInBrowser(t *testing.T) {
	t.Parallel()
	chromium := requireChromium(t)
	cert, key := testCert(t, t.TempDir(), 1)
	m, _ := startTransport(t, "sqlite", func(c *Config) { c.HTTP.TLSCert, c.HTTP.TLSKey = cert, key })
	sys := meibo.WithActor(context.Background(), meibo.System("https-test"))
	if _, err := m.Service.CreateGroup(sys, meibo.Group{ID: "G001", Name: "Sales"}); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Service.CreateUser(sys, "G001", service.UserInput{Name: "alice", Email: "alice@example.com", Password: "Sunny-day-123"}); err != nil {
		t.Fatal(err)
	}
	base := m.URL()
	if !strings.HasPrefix(base, "https://") {
		t.Fatalf("not https: %s", base)
	}
	browser := startChromium(t, chromium)

	t.Run("console", func(t *testing.T) {
		b := newTab(t, browser, base)
		ctx, cancel := b.timed()
		res, err := chromedp.Run(ctx, chromedp.NavigateResponse(base+"/console/signin?lang=en"))
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		hsts := ""
		for k, v := range res.Headers {
			if strings.EqualFold(k, "Strict-Transport-Security") {
				hsts, _ = v.(string)
			}
		}
		if !strings.HasPrefix(hsts, "max-age=") {
			t.Errorf("no HSTS on the sign-in page: %v", res.Headers)
		}
		b.wantHostCookie("meibo_form")
		b.set("#loginId", "admin")
		b.set("#password", transportPassword)
		if st := b.submit(`form[action$="/signin"] button[type=submit]`); st != http.StatusOK {
			t.Fatalf("sign in: status %d: %s", st, b.text("body"))
		}
		if !strings.HasSuffix(b.location(), "/console/") {
			t.Fatalf("after sign-in: %s", b.location())
		}
		b.wantHostCookie("meibo_console")

		// Another site's form, carrying even the session's own CSRF
		// token, is refused by the Origin check.
		csrf := evalJS[string](b, `document.querySelector('input[name=csrf]').value`)
		evil := attackerSite(t, base+"/console/signout", map[string]string{"csrf": csrf})
		b.visit(evil.URL)
		if st := b.submit("#go"); st != http.StatusForbidden {
			t.Errorf("cross-origin post: status %d", st)
		}
		if got := b.text("#refused"); !strings.Contains(got, "sent from another site") {
			t.Errorf("the refusal says %q", got)
		}
		ctx, cancel = b.timed()
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(screenshotDir(t), "https-cross-origin-refused-en-desktop.png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
		// Still signed in: the post changed nothing.
		if st := b.open("/console/"); st != http.StatusOK || strings.Contains(b.location(), "signin") {
			t.Fatalf("after the refused post: %d at %s", st, b.location())
		}
		// The console's own sign-out form works.
		if st := b.submit(`form[action$="/signout"] button[type=submit]`); st != http.StatusOK || !strings.Contains(b.location(), "/console/signin") {
			t.Errorf("sign out: %d at %s", st, b.location())
		}
		if b.cookies()["__Host-meibo_console"] != nil {
			t.Error("the session cookie is still there after signing out")
		}
	})

	t.Run("portal", func(t *testing.T) {
		b := newTab(t, browser, base)
		b.open("/?lang=en")
		b.wantHostCookie("meibo_form")
		b.set("#group", "G001")
		b.set("#user", "alice")
		b.set("#password", "Sunny-day-123")
		if st := b.submit(`form[action="/signin"] button[type=submit]`); st != http.StatusOK {
			t.Fatalf("portal sign-in: %d", st)
		}
		b.wantText("My devices")
		b.wantHostCookie("meibo_portal")
		b.wantHostCookie("meibo_lang")

		csrf := evalJS[string](b, `document.querySelector('input[name=csrf]').value`)
		evil := attackerSite(t, base+"/signout", map[string]string{"csrf": csrf})
		b.visit(evil.URL)
		if st := b.submit("#go"); st != http.StatusForbidden {
			t.Errorf("cross-origin post to the portal: status %d", st)
		}
		if got := b.text("#refused"); !strings.Contains(got, "sent from another site") {
			t.Errorf("the refusal says %q", got)
		}
		b.open("/")
		b.wantText("My devices")
		if st := b.submit(`form[action="/signout"] button[type=submit]`); st != http.StatusOK {
			t.Errorf("portal sign-out: %d", st)
		}
		if b.cookies()["__Host-meibo_portal"] != nil {
			t.Error("the portal cookie is still there after signing out")
		}
	})
}
