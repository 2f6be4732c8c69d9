package console

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/argon2id"
	"github.com/meibo/meibo/service"
	"github.com/meibo/meibo/store/storetest"
	"github.com/meibo/meibo/web"
)

// The one harness of the console's tests: the console over a real service
// and a real SQLite store, served by httptest, with administrators of
// every kind; clients sign in through the sign-in page, as a browser does,
// and read the pages the console answers.

const (
	rootPassword  = "Root-pass-phrase-1" // the built-in admin's
	adminPassword = "Velvet-summit-88"   // every other administrator's
	// maxUpload is the upload limit of the test console and its service.
	maxUpload = 16 << 10
)

// zone is the console's time zone in the tests (not the machine's).
var zone = time.FixedZone("JST", 9*3600)

// admins are the administrators of the tests besides the built-in admin;
// those restricted to departments manage G1 only.
var admins = map[string]meibo.Authorities{
	"manager":   meibo.NewAuthorities(meibo.AuthConsole, meibo.AuthImport, meibo.AuthExport),
	"settings":  meibo.NewAuthorities(meibo.AuthConsole, meibo.AuthGroupSettings, meibo.AuthDepartment),
	"blind":     meibo.NewAuthorities(meibo.AuthNoViewing),
	"viewer":    meibo.NewAuthorities(meibo.AuthLogViewer),
	"importer":  meibo.NewAuthorities(meibo.AuthConsole, meibo.AuthImport),
	"exporter":  meibo.NewAuthorities(meibo.AuthConsole, meibo.AuthExport),
	"auditor":   meibo.NewAuthorities(meibo.AuthLogViewer, meibo.AuthLogAttachments, meibo.AuthLogSaveCSV, meibo.AuthLogMail, meibo.AuthLogConfig),
	"dept":      meibo.NewAuthorities(meibo.AuthConsole, meibo.AuthDepartment),
	"deptops":   meibo.NewAuthorities(meibo.AuthConsole, meibo.AuthImport, meibo.AuthExport, meibo.AuthLogViewer, meibo.AuthDepartment),
	"devices":   meibo.NewAuthorities(meibo.AuthConsole, meibo.AuthDevices),
	"emergency": meibo.NewAuthorities(meibo.AuthConsole, meibo.AuthDevices, meibo.AuthEmergency),
	"devonly":   meibo.NewAuthorities(meibo.AuthConsole, meibo.AuthDepartment, meibo.AuthDevices, meibo.AuthDevicesOnly, meibo.AuthEmergency),
}

// quickHasher is argon2id, each password hashed and each pair verified
// once for the whole package: every test creates a dozen administrators
// and signs several in, and the real cost would dominate the run.
type quickHasher struct {
	h        *argon2id.Hasher
	mu       sync.Mutex
	hashes   map[string]string
	verified map[[2]string]bool
}

func (q *quickHasher) Hash(password string) (string, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if h, ok := q.hashes[password]; ok {
		return h, nil
	}
	h, err := q.h.Hash(password)
	if err == nil {
		q.hashes[password] = h
	}
	return h, err
}

func (q *quickHasher) Verify(hash, password string) (bool, bool, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if ok, seen := q.verified[[2]string{hash, password}]; seen {
		return ok, false, nil
	}
	ok, rehash, err := q.h.Verify(hash, password)
	if err == nil && !rehash {
		q.verified[[2]string{hash, password}] = ok
	}
	return ok, rehash, err
}

var testHasher = sync.OnceValue(func() *quickHasher {
	h := argon2id.ForTests()
	return &quickHasher{h: h, hashes: map[string]string{}, verified: map[[2]string]bool{}}
})

// logBuffer collects the server's log lines.
type logBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// env is the console of one test with its service and data.
type env struct {
	t    *testing.T
	svc  *service.Service
	srv  *httptest.Server
	sys  context.Context
	logs *logBuffer
}

// newEnv starts the console with the groups G1 (user alice) and G2, the
// administrators of admins, a public address and no SMTP server. It runs
// the test in parallel with the package's others.
func newEnv(t *testing.T) *env {
	t.Helper()
	t.Parallel()
	logs := &logBuffer{}
	log := slog.New(slog.NewTextHandler(logs, nil))
	svc := service.New(storetest.Open(t, "sqlite", nil), service.Config{Hasher: testHasher(), Logger: log, HashWorkers: 2,
		ImportMaxBytes: maxUpload, Worker: "consoletest:1", PublicURL: "https://meibo.example", Location: zone})
	t.Cleanup(svc.WaitAudits) // the audits of refused requests, before the store closes
	public, err := web.NewPublic(svc, web.PublicOptions{Logger: log, Location: zone})
	if err != nil {
		t.Fatal(err)
	}
	con, err := New(svc, Options{Logger: log, Location: zone, Assets: public.Assets(), MaxUpload: maxUpload})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	public.Register(mux)
	con.Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	e := &env{t: t, svc: svc, srv: srv, sys: meibo.WithActor(context.Background(), meibo.System("cli:test")), logs: logs}
	if _, _, err := svc.Bootstrap(context.Background(), rootPassword); err != nil {
		t.Fatal(err)
	}
	for _, g := range []string{"G1", "G2"} {
		if _, err := svc.CreateGroup(e.sys, meibo.Group{ID: g, Name: "Group " + g}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := svc.CreateUser(e.sys, "G1", service.UserInput{Name: "alice", Email: "alice@example.org"}); err != nil {
		t.Fatal(err)
	}
	for name, auth := range admins {
		in := service.AdminInput{LoginID: name, Name: "The " + name, Email: name + "@example.net", Authorities: auth, Password: adminPassword}
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

// startWorker runs the import worker (imports and bulk jobs) until the
// test ends.
func (e *env) startWorker() {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); e.svc.RunImportWorker(ctx) }()
	e.t.Cleanup(func() { cancel(); <-done })
}

// deviceSet is the devices of addDevices.
type deviceSet struct {
	tablet, phone, other *meibo.Device
	secrets              map[int64]string // device secrets, by device
}

// addDevices adds user bob to G1 and enrols Tablet 1 (SN-1, alice) and
// Phone 2 (SN-2) in G1, Other (SN-O) in G2.
func (e *env) addDevices() *deviceSet {
	e.t.Helper()
	if _, err := e.svc.CreateUser(e.sys, "G1", service.UserInput{Name: "bob", Email: "bob@example.org"}); err != nil {
		e.t.Fatal(err)
	}
	s := &deviceSet{secrets: map[int64]string{}}
	for _, d := range []struct {
		to                        **meibo.Device
		group, name, serial, user string
	}{{&s.tablet, "G1", "Tablet 1", "SN-1", "alice"}, {&s.phone, "G1", "Phone 2", "SN-2", ""}, {&s.other, "G2", "Other", "SN-O", ""}} {
		var secret string
		secret, *d.to = e.enrolWithSecret(d.group, d.name, d.serial, d.user)
		s.secrets[(*d.to).ID] = secret
	}
	return s
}

// enrol enrols a device as an agent does with a token made for it.
func (e *env) enrol(group, name, serial, user string) *meibo.Device {
	e.t.Helper()
	_, d := e.enrolWithSecret(group, name, serial, user)
	return d
}

func (e *env) enrolWithSecret(group, name, serial, user string) (string, *meibo.Device) {
	e.t.Helper()
	token, _, err := e.svc.CreateEnrolmentToken(e.sys, group, user, time.Hour)
	if err != nil {
		e.t.Fatal(err)
	}
	secret, d, err := e.svc.Enrol(e.sys, service.EnrolInfo{Token: token, Name: name, Serial: serial, Model: "Model " + name, Platform: "test"}, "192.0.2.1")
	if err != nil {
		e.t.Fatal(err)
	}
	return secret, d
}

func (e *env) device(id int64) *meibo.Device {
	e.t.Helper()
	d, err := e.svc.Device(e.sys, id)
	if err != nil {
		e.t.Fatal(err)
	}
	return d
}

// users lists the users of a group.
func (e *env) users(group string) []*meibo.User {
	e.t.Helper()
	p, err := e.svc.FindUsers(e.sys, meibo.UserFilter{GroupID: group, Limit: 1000})
	if err != nil {
		e.t.Fatal(err)
	}
	return p.Users
}

// client is one browser with cookies of its own.
type client struct {
	e    *env
	c    *http.Client
	csrf string // the session's token, from a form of a page
	lang string // sent as Accept-Language
}

// resp is an answer to a client.
type resp struct {
	status int
	header http.Header
	body   string
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// browser returns a client that has signed in as loginID through the
// sign-in page.
func (e *env) browser(loginID, password string) *client {
	e.t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &client{e: e, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
	r := c.get(Prefix + "/signin")
	m := csrfField.FindStringSubmatch(r.body)
	if r.status != http.StatusOK || m == nil {
		e.t.Fatalf("sign-in page: %d\n%s", r.status, r.body)
	}
	r = c.send("POST", Prefix+"/signin", url.Values{"csrf": {m[1]}, "loginId": {loginID}, "password": {password}})
	if r.status != http.StatusSeeOther || r.header.Get("Location") != Prefix+"/" {
		e.t.Fatalf("sign in as %s: %d %s\n%s", loginID, r.status, r.header.Get("Location"), r.body)
	}
	r = c.get(Prefix + "/account")
	if m = csrfField.FindStringSubmatch(r.body); m == nil {
		e.t.Fatalf("no CSRF token on the account page of %s: %d\n%s", loginID, r.status, r.body)
	}
	c.csrf = m[1]
	return c
}

// admin returns a client signed in as the administrator loginID.
func (e *env) admin(loginID string) *client {
	e.t.Helper()
	if loginID == meibo.BuiltinAdmin {
		return e.browser(loginID, rootPassword)
	}
	return e.browser(loginID, adminPassword)
}

// send sends a request as it is (form values as they are given).
func (c *client) send(method, path string, form url.Values) resp {
	c.e.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, c.e.srv.URL+path, body)
	if err != nil {
		c.e.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	return c.do(req)
}

func (c *client) do(req *http.Request) resp {
	c.e.t.Helper()
	if c.lang != "" {
		req.Header.Set("Accept-Language", c.lang)
	}
	res, err := c.c.Do(req)
	if err != nil {
		c.e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		c.e.t.Fatal(err)
	}
	return resp{status: res.StatusCode, header: res.Header, body: string(b)}
}

func (c *client) get(path string) resp {
	c.e.t.Helper()
	return c.send("GET", path, nil)
}

// post sends a form with the session's CSRF token (unless the form has one).
func (c *client) post(path string, form url.Values) resp {
	c.e.t.Helper()
	f := url.Values{}
	for k, v := range form {
		f[k] = v
	}
	if f.Get("csrf") == "" {
		f.Set("csrf", c.csrf)
	}
	return c.send("POST", path, f)
}

// upload sends the import form with a file, as a browser does (the CSRF
// token a field of the form) or, with inHeader, as a script does.
func (c *client) upload(fields map[string]string, name string, data []byte, inHeader bool) resp {
	c.e.t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	if !inHeader {
		w.WriteField("csrf", c.csrf)
	}
	for k, v := range fields {
		w.WriteField(k, v)
	}
	fw, _ := w.CreateFormFile("file", name)
	fw.Write(data)
	w.Close()
	req, err := http.NewRequest("POST", c.e.srv.URL+"/console/imports", &b)
	if err != nil {
		c.e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", w.FormDataContentType())
	if inHeader {
		req.Header.Set("X-CSRF-Token", c.csrf)
	}
	return c.do(req)
}

// redirected checks a POST-redirect-GET answer and returns the page it
// leads to.
func (c *client) redirected(what string, r resp, location string) resp {
	c.e.t.Helper()
	if r.status != http.StatusSeeOther || r.header.Get("Location") != location {
		c.e.t.Fatalf("%s: %d to %q, want 303 to %q\n%s", what, r.status, r.header.Get("Location"), location, r.body)
	}
	return c.get(location)
}

// expect checks the status and that the body holds every string of want
// (HTML-escaped as a template writes it).
func (r resp) expect(t *testing.T, what string, status int, want ...string) {
	t.Helper()
	if r.status != status {
		t.Errorf("%s: status %d, want %d\n%s", what, r.status, status, clip(r.body))
		return
	}
	for _, w := range want {
		if !strings.Contains(r.body, w) {
			t.Errorf("%s: no %q in\n%s", what, w, clip(r.body))
		}
	}
}

// lacks checks that the body holds none of the strings.
func (r resp) lacks(t *testing.T, what string, not ...string) {
	t.Helper()
	for _, n := range not {
		if strings.Contains(r.body, n) {
			t.Errorf("%s: %q should not be in\n%s", what, n, clip(r.body))
		}
	}
}

// want fails the test unless r has status and holds every string of has and
// none of hasNot.
func (r resp) want(t *testing.T, what string, status int, has []string, hasNot ...string) {
	t.Helper()
	if r.status != status {
		t.Errorf("%s: status %d, want %d\n%s", what, r.status, status, clip(r.body))
	}
	for _, s := range has {
		if !strings.Contains(r.body, s) {
			t.Errorf("%s: the answer lacks %q\n%s", what, s, clip(r.body))
		}
	}
	r.lacks(t, what, hasNot...)
}

// clip shortens a page for a message: its main part, at most 3000 bytes.
func clip(s string) string {
	if i := strings.Index(s, "<main"); i >= 0 {
		s = s[i:]
	}
	if len(s) > 3000 {
		return s[:3000] + "…"
	}
	return s
}

// enText and jaText render a label as a page shows it (HTML-escaped);
// msgText a message of the domain's catalogue.
func jaText(key string, args ...any) string { return escapeHTML(web.T(meibo.Japanese, key, args...)) }

func enText(key string, args ...any) string { return escapeHTML(web.T(meibo.English, key, args...)) }

func msgText(lang meibo.Lang, key string, args ...any) string {
	return escapeHTML(meibo.M(key, args...).In(lang))
}

var htmlEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;", "+", "&#43;")

func escapeHTML(s string) string { return htmlEscaper.Replace(s) }
