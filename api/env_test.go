package api_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/api"
	"github.com/meibo/meibo/argon2id"
	"github.com/meibo/meibo/service"
	"github.com/meibo/meibo/store/storetest"
)

// maxUpload is the upload limit of the test server (and its service).
const maxUpload = 16 << 10

// rootPassword is the built-in admin's password; passwords lists every
// password the tests set, none of which may ever appear in an answer.
const rootPassword = "Root-pass-phrase-1"

var passwords = []string{rootPassword, "Quiet-harbour-42", "Amber-canyon-17", "Velvet-summit-88", "Lantern-orbit-51"}

// logBuffer collects the server's log lines.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
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

// faultStore is a store whose FindUsers can be made to fail, as a broken
// database would.
type faultStore struct {
	meibo.Store
	mu   sync.Mutex
	fail error
}

func (s *faultStore) setFail(err error) {
	s.mu.Lock()
	s.fail = err
	s.mu.Unlock()
}

func (s *faultStore) View(ctx context.Context, fn func(meibo.Tx) error) error {
	return s.Store.View(ctx, func(tx meibo.Tx) error { return fn(&faultTx{Tx: tx, s: s}) })
}

type faultTx struct {
	meibo.Tx
	s *faultStore
}

func (t *faultTx) FindUsers(ctx context.Context, f meibo.UserFilter) (*meibo.UserPage, error) {
	t.s.mu.Lock()
	err := t.s.fail
	t.s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return t.Tx.FindUsers(ctx, f)
}

// apiEnv is the JSON API over a real service and store, served by
// httptest, with tokens of administrators of every kind.
type apiEnv struct {
	t      *testing.T
	store  *faultStore
	svc    *service.Service
	srv    *httptest.Server
	logs   *logBuffer
	sys    context.Context
	tokens map[string]string // by administrator
	ids    map[string]string // placeholders in paths: {u1}, {j2}…
}

// apiZone is the configured time zone of the tests: not the machine's.
var apiZone = time.FixedZone("UTC+9", 9*3600)

// The administrators of the test, by the name scenarios use in "as".
var apiAdmins = map[string]meibo.Authorities{
	"manager":  meibo.NewAuthorities(meibo.AuthConsole, meibo.AuthImport, meibo.AuthExport),
	"noimport": meibo.NewAuthorities(meibo.AuthConsole, meibo.AuthExport),
	"noexport": meibo.NewAuthorities(meibo.AuthConsole, meibo.AuthImport),
	"dept":     meibo.NewAuthorities(meibo.AuthConsole, meibo.AuthImport, meibo.AuthExport, meibo.AuthDepartment),
	"deptlic":  meibo.NewAuthorities(meibo.AuthConsole, meibo.AuthGroupSettings, meibo.AuthDepartment),
	"viewer":   meibo.NewAuthorities(meibo.AuthLogViewer, meibo.AuthLogAttachments),
	"blind":    meibo.NewAuthorities(meibo.AuthNoViewing),
}

func newAPIEnv(t *testing.T, engine string) *apiEnv {
	t.Helper()
	h := argon2id.ForTests()
	logs := &logBuffer{}
	log := slog.New(slog.NewTextHandler(logs, nil))
	db := storetest.Open(t, engine, nil)
	st := &faultStore{Store: db}
	svc := service.New(st, service.Config{Hasher: h, Logger: log, HashWorkers: 2, ImportMaxBytes: maxUpload, Worker: "apitest:1", Location: apiZone})
	t.Cleanup(svc.WaitAudits) // the audits of refused requests, before the store closes
	srv := newTestServer(t, api.WithRequestID(log, api.New(svc, api.Options{Logger: log, MaxUpload: maxUpload})))
	t.Cleanup(srv.Close)
	e := &apiEnv{t: t, store: st, svc: svc, srv: srv, logs: logs, sys: meibo.WithActor(context.Background(), meibo.System("cli:test")),
		tokens: map[string]string{}, ids: map[string]string{}}
	if _, _, err := svc.Bootstrap(context.Background(), rootPassword); err != nil {
		t.Fatal(err)
	}
	for _, g := range []string{"G1", "G2"} {
		if _, err := svc.CreateGroup(e.sys, meibo.Group{ID: g}); err != nil {
			t.Fatal(err)
		}
	}
	for key, g := range map[string]string{"p1": "G1", "p2": "G2"} {
		ps, err := svc.Profiles(e.sys, g)
		if err != nil || len(ps) != 1 {
			t.Fatalf("profiles of %s: %v, %v", g, ps, err)
		}
		e.ids[key] = strconv.FormatInt(ps[0].ID, 10)
	}
	for key, in := range map[string]struct{ group, name string }{"u1": {"G1", "alice"}, "u2": {"G2", "zed"}} {
		u, err := svc.CreateUser(e.sys, in.group, service.UserInput{Name: in.name, Email: in.name + "@example.org", Password: "Quiet-harbour-42"})
		if err != nil {
			t.Fatal(err)
		}
		e.ids[key] = strconv.FormatInt(u.ID, 10)
	}
	for name, auth := range apiAdmins {
		in := service.AdminInput{LoginID: name, Name: name, Authorities: auth, Password: "Velvet-summit-88"}
		if auth.Has(meibo.AuthDepartment) {
			in.Groups = []string{"G1"}
		}
		a, err := svc.CreateAdmin(e.sys, in)
		if err != nil {
			t.Fatal(err)
		}
		e.ids["a_"+name] = strconv.FormatInt(a.ID, 10)
	}
	for _, name := range append([]string{meibo.BuiltinAdmin}, keys(apiAdmins)...) {
		tok, _, err := svc.CreateToken(e.sys, name, "test", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		e.tokens[name] = tok
	}
	e.tokens["bad"] = "mbo_not-a-real-token"
	// Three finished jobs: users of G1 (SUCCESS), users of G2 (FAILED) and
	// administrators.
	for _, run := range []struct {
		key  string
		req  service.ImportRequest
		file string
	}{
		{"j1", service.ImportRequest{Format: meibo.FormatUsers, GroupID: "G1", FileName: "g1.csv"}, "name,password,email\r\nbob,Lantern-orbit-51,\r\n"},
		{"j2", service.ImportRequest{Format: meibo.FormatUsers, GroupID: "G2", FileName: "g2.csv"}, "name,password,email\r\nyan,short,\r\n"},
		{"j3", service.ImportRequest{Format: meibo.FormatUsers, GroupID: "G1", FileName: "g1-update.csv", UpdateExisting: true}, "name,password,email\r\nbob,,\r\n"},
		{"jA", service.ImportRequest{Format: meibo.FormatAdmins, FileName: "admins.csv"}, ""},
	} {
		data := []byte(run.file)
		if run.key == "jA" {
			var b bytes.Buffer
			if _, err := svc.ExportAdmins(e.sys, &b, "utf-8", false); err != nil {
				t.Fatal(err)
			}
			data = b.Bytes()
		}
		j, err := svc.SubmitAndRun(e.sys, run.req, data, nil)
		if err != nil {
			t.Fatal(err)
		}
		e.ids[run.key] = strconv.FormatInt(j.ID, 10)
	}
	return e
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// startWorker runs the import worker until the test ends.
func (e *apiEnv) startWorker() {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); e.svc.RunImportWorker(ctx) }()
	e.t.Cleanup(func() { cancel(); <-done })
}

// upload is a multipart import request.
type upload struct {
	fields   map[string]string
	fileName string
	file     []byte
	noFile   bool
}

func (u *upload) encode() (io.Reader, string) {
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for k, v := range u.fields {
		w.WriteField(k, v)
	}
	if !u.noFile {
		name := u.fileName
		if name == "" {
			name = "upload.csv"
		}
		fw, _ := w.CreateFormFile("file", name)
		fw.Write(u.file)
	}
	w.Close()
	return &b, w.FormDataContentType()
}

// response is an answer of the API.
type response struct {
	status int
	header http.Header
	body   string
}

// do sends a request as the administrator named as ("" for no token).
func (e *apiEnv) do(method, path, as string, body string, up *upload) response {
	e.t.Helper()
	for k, v := range e.ids {
		path = strings.ReplaceAll(path, "{"+k+"}", v)
	}
	var r io.Reader
	ct := ""
	switch {
	case up != nil:
		r, ct = up.encode()
	case body != "":
		r, ct = strings.NewReader(body), "application/json"
	}
	req, err := http.NewRequest(method, e.srv.URL+path, r)
	if err != nil {
		e.t.Fatal(err)
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	if as != "" {
		tok, ok := e.tokens[as]
		if !ok {
			e.t.Fatalf("no token for %q", as)
		}
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	res, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	out := response{status: res.StatusCode, header: res.Header, body: string(b)}
	e.noSecrets(method+" "+path, out)
	return out
}

// noSecrets fails the test when an answer holds a password or a hash.
func (e *apiEnv) noSecrets(what string, r response) {
	e.t.Helper()
	all := r.body
	for k, v := range r.header {
		all += k + ": " + strings.Join(v, ",") + "\n"
	}
	// ("passwordHash" may name a field of an error; never with a hash.)
	for _, s := range append([]string{"$argon2id", "argon2id$", `"passwordHash":"$`, "password_hash"}, passwords...) {
		if strings.Contains(all, s) {
			e.t.Errorf("%s: the answer holds %q:\n%s", what, s, all)
		}
	}
}

// poll waits for an import job to finish and returns its last answer.
func (e *apiEnv) poll(id string, as string) response {
	e.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		r := e.do("GET", "/api/v1/imports/"+id, as, "", nil)
		if r.status != http.StatusOK {
			e.t.Fatalf("GET import %s: %d %s", id, r.status, r.body)
		}
		if strings.Contains(r.body, `"status":"SUCCESS"`) || strings.Contains(r.body, `"status":"FAILED"`) {
			return r
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("import %s did not finish: %s", id, r.body)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (r response) String() string { return fmt.Sprintf("%d %s", r.status, r.body) }
