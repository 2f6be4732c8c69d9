package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/service"
)

// The sign-out of an administrator who signed in through the identity
// provider, pressed in Chromium: the provider's session ends too, so that
// "Sign in with …" on a shared machine asks who is there.

// ssoAdminTab is a tab of the provider's test-user signed in as alice
// through the provider, "Zitadel".
func ssoAdminTab(t *testing.T, e *ssoEnv) *browserTab {
	t.Helper()
	if _, err := e.m.Service.CreateAdmin(e.sys, service.AdminInput{LoginID: "alice", Name: "Alice", Email: "test-user@zitadel.ch",
		Password: "Bright-harbor-91", Authorities: meibo.NewAuthorities(meibo.AuthConsole)}); err != nil {
		t.Fatal(err)
	}
	b := newTab(t, startChromium(t, requireChromium(t)), e.m.URL())
	b.open("/console/signin")
	b.submit("#sso-zt")
	if loc := b.location(); !strings.HasPrefix(loc, e.op.URL+"/login/username") {
		t.Fatalf("the provider did not ask to sign in: at %s", loc)
	}
	b.set("#username", "test-user@127.0.0.1")
	b.set("#password", "verysecure")
	b.submit("button[type=submit]")
	if loc := b.location(); loc != e.m.URL()+"/console/" {
		t.Fatalf("signed in through the provider at %s", loc)
	}
	if who := b.text(".who a"); who != "alice" {
		t.Errorf("signed in as %q", who)
	}
	return b
}

// lastSignOut is the details of the last sign-out audited.
func (e *ssoEnv) lastSignOut() map[string]any {
	e.t.Helper()
	ev, err := e.m.Service.AuditEvents(e.sys, meibo.AuditFilter{Action: "signout", Limit: 1})
	if err != nil || len(ev) == 0 {
		e.t.Fatalf("no sign-out audited: %v", err)
	}
	return ev[0].Details
}

// arrive waits until the tab is at an address that starts with prefix
// (through pages that send it on by themselves) and returns the address.
func (b *browserTab) arrive(prefix string) string {
	b.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		loc := b.location()
		if strings.HasPrefix(loc, prefix) {
			b.do(chromedp.WaitReady("body"))
			return loc
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("the browser stopped at %s, not at %s", loc, prefix)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// signOutButton is the console's "Sign out" in its header.
const signOutButton = `form[action$="/signout"] button[type=submit]`

func TestSSOSignOutEndsProviderSession(t *testing.T) {
	t.Parallel()
	e := startSSO(t)
	b := ssoAdminTab(t, e)

	// The provider keeps a session of the browser: "Sign in with …" again
	// signs in without a password.
	b.open("/console/signin/sso/zt")
	if loc := b.location(); loc != e.m.URL()+"/console/" {
		t.Fatalf("the provider has no session of the browser: at %s", loc)
	}

	b.submit(signOutButton)
	// A page of meibo's sends the browser on to the provider, which sends
	// it back.
	if loc := b.arrive(e.m.URL() + "/console/signin"); loc != e.m.URL()+"/console/signin?state=signed-out" {
		t.Errorf("after the sign-out the browser is at %s", loc)
	}
	if msg := b.text(".alert"); msg != "You are signed out." {
		t.Errorf("the sign-in page says %q", msg)
	}
	if c := b.cookie(); c != "" {
		t.Errorf("the console's cookie outlived the sign-out")
	}
	logouts, ended := e.opSignOuts()
	if len(logouts) != 1 || len(ended) != 1 || ended[0] != "id1 meibo" {
		t.Errorf("the provider's end_session endpoint: asked %v, ended %v", logouts, ended)
	}
	for _, q := range logouts {
		if q.Get("id_token_hint") == "" || q.Get("client_id") != "meibo" || q.Get("post_logout_redirect_uri") != e.m.URL()+"/console/signin" ||
			q.Get("ui_locales") != "en" {
			t.Errorf("the request at the end_session endpoint: %v", q)
		}
	}
	if d := e.lastSignOut(); d["provider"] != "zt" || d["providerLogout"] != true {
		t.Errorf("the sign-out audited %v", d)
	}

	// The next person at the machine is asked who they are.
	b.submit("#sso-zt")
	if loc := b.location(); !strings.HasPrefix(loc, e.op.URL+"/login/username") || !b.exists("#password") {
		t.Errorf("\"Sign in with Zitadel\" after the sign-out went to %s, not to the provider's sign-in", loc)
	}
}

// stripEndSession is a transport to providers whose discovery documents
// have no end_session_endpoint, as Google's.
type stripEndSession struct{}

func (stripEndSession) RoundTrip(r *http.Request) (*http.Response, error) {
	res, err := http.DefaultTransport.RoundTrip(r)
	if err != nil || !strings.HasSuffix(r.URL.Path, "/.well-known/openid-configuration") {
		return res, err
	}
	b, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		return nil, err
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err == nil {
		delete(doc, "end_session_endpoint")
		b, _ = json.Marshal(doc)
	}
	res.Body, res.ContentLength = io.NopCloser(bytes.NewReader(b)), int64(len(b))
	res.Header.Del("Content-Length")
	return res, nil
}

func TestSSOSignOutWithoutEndSession(t *testing.T) {
	t.Parallel()
	e := startSSO(t, func(c *Config) {
		c.SignIn.SSOHTTP = &http.Client{Transport: stripEndSession{}, Timeout: 10 * time.Second}
	})
	b := ssoAdminTab(t, e)
	b.submit(signOutButton)
	if loc := b.location(); loc != e.m.URL()+"/console/signin?out=1&sso=zt" {
		t.Errorf("after the sign-out the browser is at %s", loc)
	}
	if msg := b.text(".alert"); !b.exists(".alert.warn") || !strings.Contains(msg, "You are signed out of meibo, but may still be signed in at Zitadel") {
		t.Errorf("the sign-in page says %q", msg)
	}
	if logouts, _ := e.opSignOuts(); len(logouts) != 0 {
		t.Errorf("the provider was asked to sign out: %v", logouts)
	}
	if d := e.lastSignOut(); d["provider"] != "zt" || d["providerLogout"] != false || d["reason"] != "the provider has no end_session_endpoint" {
		t.Errorf("the sign-out audited %v", d)
	}
	// As the page says: the provider's session is open.
	b.submit("#sso-zt")
	if loc := b.location(); loc != e.m.URL()+"/console/" {
		t.Errorf("the provider's session did not stay open: at %s", loc)
	}
}

func TestSSOSignOutPasswordSession(t *testing.T) {
	t.Parallel()
	e := startSSO(t)
	b := newTab(t, startChromium(t, requireChromium(t)), e.m.URL())
	b.signIn("admin", consolePassword)
	b.submit(signOutButton)
	if loc := b.location(); loc != e.m.URL()+"/console/signin?out=1" {
		t.Errorf("after the sign-out the browser is at %s", loc)
	}
	if msg := b.text(".alert"); !b.exists(".alert.ok") || msg != "You are signed out." {
		t.Errorf("the sign-in page says %q", msg)
	}
	if logouts, _ := e.opSignOuts(); len(logouts) != 0 {
		t.Errorf("the provider was asked to sign out: %v", logouts)
	}
	if d := e.lastSignOut(); d != nil {
		t.Errorf("the sign-out of a password session audited %v", d)
	}
}

// TestSSOSignOutBeforeSecondFactor: a session made through the provider
// that still waits for meibo's own second factor signs out of the provider
// too.
func TestSSOSignOutBeforeSecondFactor(t *testing.T) {
	t.Parallel()
	e := startSSO(t)
	if _, err := e.m.Service.CreateAdmin(e.sys, service.AdminInput{LoginID: "test-user2", Name: "Two", Password: "Quiet-lantern-52",
		Authorities: meibo.NewAuthorities(meibo.AuthConsole)}); err != nil {
		t.Fatal(err)
	}
	if err := e.m.Service.SetMFAPolicy(e.sys, meibo.MFAPolicy{All: true}); err != nil {
		t.Fatal(err)
	}
	c := e.browser()
	if st, loc := e.back(c, e.toProvider(c, "name", "test-user2")); st != http.StatusSeeOther {
		t.Fatalf("callback: %d %s", st, loc)
	}
	page := e.page(c, "/console/account/security")
	res, err := c.PostForm(e.m.URL()+"/console/signout", url.Values{"csrf": {csrfOf(t, page)}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	refresh := res.Header.Get("Refresh")
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(refresh, "0; url="+e.op.URL+"/end_session?") || !strings.Contains(refresh, "id_token_hint=") ||
		!strings.Contains(string(b), "Continue to Zitadel by name") {
		t.Errorf("sign-out: %d, Refresh %q\n%s", res.StatusCode, refresh, b)
	}
	if p := e.page(c, "/console/account/security"); !strings.Contains(p, "303") {
		t.Errorf("the session outlived the sign-out")
	}
}
