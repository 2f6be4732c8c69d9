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
	"testing"
	"time"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/argon2id"
	"github.com/meibo/meibo/service"
	"github.com/meibo/meibo/store/storetest"
	"github.com/meibo/meibo/web"
)

// The tests of the import, export, outbox and audit pages (files *_b_test.go)
// run the console over a real service and SQLite store, signed in through
// the sign-in page as administrators of several kinds.

// bMaxUpload is the upload limit of the test console and its service.
const bMaxUpload = 16 << 10

const bPassword = "Velvet-summit-88"

// bZone is the console's time zone in the tests.
var bZone = time.FixedZone("JST", 9*3600)

// bAdmins are the administrators of the tests besides the built-in admin.
var bAdmins = map[string]meibo.Authorities{
	"importer": meibo.NewAuthorities(meibo.AuthConsole, meibo.AuthImport),
	"exporter": meibo.NewAuthorities(meibo.AuthConsole, meibo.AuthExport),
	"viewer":   meibo.NewAuthorities(meibo.AuthLogViewer),
	"auditor":  meibo.NewAuthorities(meibo.AuthLogViewer, meibo.AuthLogAttachments, meibo.AuthLogSaveCSV, meibo.AuthLogMail, meibo.AuthLogConfig),
	"dept":     meibo.NewAuthorities(meibo.AuthConsole, meibo.AuthImport, meibo.AuthExport, meibo.AuthLogViewer, meibo.AuthDepartment),
}

type bEnv struct {
	t   *testing.T
	svc *service.Service
	srv *httptest.Server
	sys context.Context
}

func newBEnv(t *testing.T) *bEnv {
	t.Helper()
	h, err := argon2id.New(argon2id.Params{Memory: 7 * 1024, Time: 5, Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	db := storetest.Open(t, "sqlite", nil)
	svc := service.New(db, service.Config{Hasher: h, Logger: log, HashWorkers: 2, ImportMaxBytes: bMaxUpload, Worker: "consoletest:1",
		PublicURL: "https://meibo.example", Location: bZone})
	public, err := web.NewPublic(svc, web.PublicOptions{Logger: log, Location: bZone})
	if err != nil {
		t.Fatal(err)
	}
	con, err := New(svc, Options{Logger: log, Location: bZone, Assets: public.Assets(), MaxUpload: bMaxUpload})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	public.Register(mux)
	con.Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	e := &bEnv{t: t, svc: svc, srv: srv, sys: meibo.WithActor(context.Background(), meibo.System("cli:test"))}
	if _, _, err := svc.Bootstrap(context.Background(), bPassword); err != nil {
		t.Fatal(err)
	}
	for _, g := range []string{"G1", "G2"} {
		if _, err := svc.CreateGroup(e.sys, meibo.Group{ID: g, Name: "Group " + g}); err != nil {
			t.Fatal(err)
		}
	}
	for name, auth := range bAdmins {
		in := service.AdminInput{LoginID: name, Name: name, Authorities: auth, Password: bPassword}
		if auth.Has(meibo.AuthDepartment) {
			in.Groups = []string{"G1"}
		}
		if _, err := svc.CreateAdmin(e.sys, in); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

// startWorker runs the import worker until the test ends.
func (e *bEnv) startWorker() {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); e.svc.RunImportWorker(ctx) }()
	e.t.Cleanup(func() { cancel(); <-done })
}

// bClient is a browser signed in to the console.
type bClient struct {
	e    *bEnv
	c    *http.Client
	csrf string
	lang string // sent as Accept-Language
}

// bResp is an answer to a bClient.
type bResp struct {
	status int
	header http.Header
	body   string
}

var bCSRFField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// signIn signs in as login through the sign-in page.
func (e *bEnv) signIn(login string) *bClient {
	e.t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &bClient{e: e, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	r := c.get("/console/signin")
	m := bCSRFField.FindStringSubmatch(r.body)
	if r.status != http.StatusOK || m == nil {
		e.t.Fatalf("sign-in page: %d %s", r.status, r.body)
	}
	r = c.post("/console/signin", url.Values{"csrf": {m[1]}, "loginId": {login}, "password": {bPassword}})
	if r.status != http.StatusSeeOther {
		e.t.Fatalf("sign in as %s: %d %s", login, r.status, r.body)
	}
	r = c.get("/console/")
	m = bCSRFField.FindStringSubmatch(r.body)
	if r.status != http.StatusOK || m == nil {
		e.t.Fatalf("start page as %s: %d %s", login, r.status, r.body)
	}
	c.csrf = m[1]
	return c
}

func (c *bClient) do(req *http.Request) bResp {
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
	return bResp{status: res.StatusCode, header: res.Header, body: string(b)}
}

func (c *bClient) get(path string) bResp {
	c.e.t.Helper()
	req, err := http.NewRequest("GET", c.e.srv.URL+path, nil)
	if err != nil {
		c.e.t.Fatal(err)
	}
	return c.do(req)
}

// post sends a form (with the session's CSRF token unless the form has one).
func (c *bClient) post(path string, form url.Values) bResp {
	c.e.t.Helper()
	if form.Get("csrf") == "" && c.csrf != "" {
		form.Set("csrf", c.csrf)
	}
	req, err := http.NewRequest("POST", c.e.srv.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		c.e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(req)
}

// upload sends the import form with a file, as a browser does (the CSRF
// token a field of the form) or, with inHeader, as a script does.
func (c *bClient) upload(fields map[string]string, name string, data []byte, inHeader bool) bResp {
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

// want fails the test unless r has status and holds every string of has and
// none of hasNot.
func (r bResp) want(t *testing.T, what string, status int, has []string, hasNot ...string) {
	t.Helper()
	if r.status != status {
		t.Errorf("%s: status %d, want %d\n%s", what, r.status, status, bClip(r.body))
	}
	for _, s := range has {
		if !strings.Contains(r.body, s) {
			t.Errorf("%s: the answer lacks %q\n%s", what, s, bClip(r.body))
		}
	}
	for _, s := range hasNot {
		if strings.Contains(r.body, s) {
			t.Errorf("%s: the answer holds %q\n%s", what, s, bClip(r.body))
		}
	}
}

// bClip shortens a page for a message: its main part, at most 3000 bytes.
func bClip(s string) string {
	if i := strings.Index(s, "<main"); i >= 0 {
		s = s[i:]
	}
	if len(s) > 3000 {
		return s[:3000] + "…"
	}
	return s
}
