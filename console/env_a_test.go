package console

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/argon2id"
	"github.com/meibo/meibo/service"
	"github.com/meibo/meibo/store/storetest"
	"github.com/meibo/meibo/web"
)

// The console of these tests runs over a real service and a real SQLite
// store, served by httptest; browsers sign in through the sign-in page.

const (
	aRootPassword  = "Root-pass-phrase-1"
	aAdminPassword = "Velvet-summit-88"
)

// aAdmins are the administrators of the tests besides the built-in admin.
var aAdmins = map[string]meibo.Authorities{
	"manager":  meibo.NewAuthorities(meibo.AuthConsole, meibo.AuthImport, meibo.AuthExport),
	"dept":     meibo.NewAuthorities(meibo.AuthConsole, meibo.AuthDepartment),
	"settings": meibo.NewAuthorities(meibo.AuthConsole, meibo.AuthGroupSettings, meibo.AuthDepartment),
	"blind":    meibo.NewAuthorities(meibo.AuthNoViewing),
	"viewer":   meibo.NewAuthorities(meibo.AuthLogViewer),
}

// aLogs collects the server's log lines.
type aLogs struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *aLogs) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *aLogs) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

type aEnv struct {
	t    *testing.T
	svc  *service.Service
	srv  *httptest.Server
	sys  context.Context
	logs *aLogs
}

// newAEnv starts the console with the groups G1 (user alice) and G2, and
// the administrators of aAdmins (dept and settings manage G1 only).
func newAEnv(t *testing.T) *aEnv {
	t.Helper()
	h, err := argon2id.New(argon2id.Params{Memory: 7 * 1024, Time: 5, Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	logs := &aLogs{}
	log := slog.New(slog.NewTextHandler(logs, nil))
	svc := service.New(storetest.Open(t, "sqlite", nil), service.Config{Hasher: h, Logger: log, HashWorkers: 2})
	public, err := web.NewPublic(svc, web.PublicOptions{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	con, err := New(svc, Options{Logger: log, Assets: public.Assets()})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	public.Register(mux)
	con.Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	e := &aEnv{t: t, svc: svc, srv: srv, sys: meibo.WithActor(context.Background(), meibo.System("cli:test")), logs: logs}
	if _, _, err := svc.Bootstrap(context.Background(), aRootPassword); err != nil {
		t.Fatal(err)
	}
	for _, g := range []string{"G1", "G2"} {
		if _, err := svc.CreateGroup(e.sys, meibo.Group{ID: g}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := svc.CreateUser(e.sys, "G1", service.UserInput{Name: "alice", Email: "alice@example.org"}); err != nil {
		t.Fatal(err)
	}
	for name, auth := range aAdmins {
		in := service.AdminInput{LoginID: name, Name: "The " + name, Email: name + "@example.net", Authorities: auth, Password: aAdminPassword}
		if auth.Has(meibo.AuthDepartment) {
			in.Groups = []string{"G1"}
		}
		if _, err := svc.CreateAdmin(e.sys, in); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("server log:\n%s", logs.String())
		}
	})
	return e
}

// aBrowser is one signed-in browser.
type aBrowser struct {
	e      *aEnv
	client *http.Client
	csrf   string // the session's token, from a form of a page
	lang   string // Accept-Language
}

type aResp struct {
	status int
	header http.Header
	body   string
}

var aCSRFField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// browser returns a browser that has signed in as loginID through the
// sign-in page.
func (e *aEnv) browser(loginID, password string) *aBrowser {
	e.t.Helper()
	jar, _ := cookiejar.New(nil)
	b := &aBrowser{e: e, client: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
	r := b.get(Prefix + "/signin")
	m := aCSRFField.FindStringSubmatch(r.body)
	if r.status != http.StatusOK || m == nil {
		e.t.Fatalf("sign-in page: %d\n%s", r.status, r.body)
	}
	r = b.send("POST", Prefix+"/signin", url.Values{"csrf": {m[1]}, "loginId": {loginID}, "password": {password}})
	if r.status != http.StatusSeeOther || r.header.Get("Location") != Prefix+"/" {
		e.t.Fatalf("sign in as %s: %d %s\n%s", loginID, r.status, r.header.Get("Location"), r.body)
	}
	r = b.get(Prefix + "/account")
	if m = aCSRFField.FindStringSubmatch(r.body); m == nil {
		e.t.Fatalf("no CSRF token on the account page of %s: %d\n%s", loginID, r.status, r.body)
	}
	b.csrf = m[1]
	return b
}

func (e *aEnv) admin(loginID string) *aBrowser {
	e.t.Helper()
	if loginID == meibo.BuiltinAdmin {
		return e.browser(loginID, aRootPassword)
	}
	return e.browser(loginID, aAdminPassword)
}

// send sends a request as it is (form values as they are given).
func (b *aBrowser) send(method, path string, form url.Values) aResp {
	b.e.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.e.srv.URL+path, body)
	if err != nil {
		b.e.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if b.lang != "" {
		req.Header.Set("Accept-Language", b.lang)
	}
	res, err := b.client.Do(req)
	if err != nil {
		b.e.t.Fatal(err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		b.e.t.Fatal(err)
	}
	return aResp{status: res.StatusCode, header: res.Header, body: string(data)}
}

func (b *aBrowser) get(path string) aResp {
	b.e.t.Helper()
	return b.send("GET", path, nil)
}

// post sends a form with the session's CSRF token.
func (b *aBrowser) post(path string, form url.Values) aResp {
	b.e.t.Helper()
	f := url.Values{}
	for k, v := range form {
		f[k] = v
	}
	f.Set("csrf", b.csrf)
	return b.send("POST", path, f)
}

// expect checks the status and that the body holds every string of want
// (HTML-escaped as a template writes it).
func (r aResp) expect(t *testing.T, what string, status int, want ...string) {
	t.Helper()
	if r.status != status {
		t.Errorf("%s: status %d, want %d\n%s", what, r.status, status, r.body)
		return
	}
	for _, w := range want {
		if !strings.Contains(r.body, w) {
			t.Errorf("%s: no %q in\n%s", what, w, r.body)
		}
	}
}

// lacks checks that the body holds none of the strings.
func (r aResp) lacks(t *testing.T, what string, not ...string) {
	t.Helper()
	for _, n := range not {
		if strings.Contains(r.body, n) {
			t.Errorf("%s: %q should not be in\n%s", what, n, r.body)
		}
	}
}

// redirected checks a POST-redirect-GET answer and returns the page it
// leads to.
func (b *aBrowser) redirected(what string, r aResp, location string) aResp {
	b.e.t.Helper()
	if r.status != http.StatusSeeOther || r.header.Get("Location") != location {
		b.e.t.Fatalf("%s: %d to %q, want 303 to %q\n%s", what, r.status, r.header.Get("Location"), location, r.body)
	}
	return b.get(location)
}

// aJa and aEn render a label as a page shows it (HTML-escaped); aMsg a
// message of the domain's catalogue.
func aJa(key string, args ...any) string { return aHTML(web.T(meibo.Japanese, key, args...)) }

func aEn(key string, args ...any) string { return aHTML(web.T(meibo.English, key, args...)) }

func aMsg(lang meibo.Lang, key string, args ...any) string {
	return aHTML(meibo.M(key, args...).In(lang))
}

var aEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;", "+", "&#43;")

func aHTML(s string) string { return aEscaper.Replace(s) }
