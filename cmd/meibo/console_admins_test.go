package main

import (
	"context"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/service"
	"github.com/meibo/meibo/web"
)

// consoleClient is a browser without JavaScript: cookies, forms, no
// redirects followed unless asked.
type consoleClient struct {
	t    testing.TB
	base string
	c    *http.Client
	csrf string
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func newConsoleClient(t testing.TB, base string) *consoleClient {
	jar, _ := cookiejar.New(nil)
	return &consoleClient{t: t, base: base, c: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// do sends a request and returns the status, the Location and the body; a
// page's CSRF token is kept for the next form.
func (c *consoleClient) do(method, path string, form url.Values) (int, string, string) {
	c.t.Helper()
	var body io.Reader
	if form != nil {
		if c.csrf != "" && form.Get("csrf") == "" {
			form.Set("csrf", c.csrf)
		}
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, c.base+path, body)
	if err != nil {
		c.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	res, err := c.c.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if m := csrfField.FindSubmatch(b); m != nil {
		c.csrf = html.UnescapeString(string(m[1]))
	}
	return res.StatusCode, res.Header.Get("Location"), string(b)
}

func (c *consoleClient) get(path string) (int, string) {
	c.t.Helper()
	st, _, body := c.do("GET", path, nil)
	return st, body
}

func (c *consoleClient) post(path string, form url.Values) (int, string, string) {
	c.t.Helper()
	return c.do("POST", path, form)
}

func (c *consoleClient) signIn(loginID, password string) {
	c.t.Helper()
	c.get("/console/signin")
	st, loc, body := c.post("/console/signin", url.Values{"loginId": {loginID}, "password": {password}})
	if st != http.StatusSeeOther {
		c.t.Fatalf("sign in as %s: %d %s\n%s", loginID, st, loc, body)
	}
	c.get("/console/")
}

// TestConsoleAdminsWithoutScript checks the administrators pages as a
// browser without JavaScript uses them: the server refuses what the script
// would have prevented, with the rule next to the field; fixed accounts and
// the last manager are refused; only managers see the pages.
func TestConsoleAdminsWithoutScript(t *testing.T) {
	cfg := testConfig(migratedDB(t), io.Discard)
	cfg.AdminPassword = consolePassword
	m := NewMain(cfg)
	if err := m.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	sys := meibo.WithActor(context.Background(), meibo.System("test"))
	for _, g := range []string{"G001", "G002"} {
		if _, err := m.Service.CreateGroup(sys, meibo.Group{ID: g, Name: "Group " + g}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := m.Service.CreateAdmin(sys, service.AdminInput{LoginID: "viewer", Name: "Viewer", Password: "Reading-glass-9",
		Authorities: meibo.NewAuthorities(meibo.AuthLogViewer, meibo.AuthLogConfig)}); err != nil {
		t.Fatal(err)
	}
	adminOf := func(loginID string) *meibo.Admin {
		a, err := m.Service.AdminByLoginID(sys, loginID)
		if meibo.ErrorCode(err) == meibo.CodeNotFound {
			return nil
		} else if err != nil {
			t.Fatal(err)
		}
		return a
	}
	c := newConsoleClient(t, m.URL())
	c.signIn("admin", consolePassword)

	st, body := c.get("/console/admins")
	if st != 200 || !strings.Contains(body, "AUTOBACKUPUSER") || !strings.Contains(body, `href="/console/admins/new"`) {
		t.Fatalf("the list: %d\n%s", st, body)
	}
	if st, body = c.get("/console/admins?lang=ja"); st != 200 || !strings.Contains(body, "管理者を追加") || !strings.Contains(body, "組み込み") {
		t.Errorf("the list in Japanese: %d", st)
	}
	c.get("/console/admins?lang=en")
	if st, body = c.get("/console/admins/new"); st != 200 {
		t.Fatalf("the new form: %d", st)
	}
	for _, a := range meibo.AllAuthorities {
		if !strings.Contains(body, `id="auth-`+a.Name()+`"`) || !strings.Contains(body, a.Label(meibo.English)) {
			t.Errorf("the matrix has no %v", a)
		}
	}
	if !strings.Contains(body, `data-parents="console department devices"`) {
		t.Error("34 does not carry its parents")
	}

	form := func(loginID string, kv ...string) url.Values {
		v := url.Values{"loginId": {loginID}, "name": {"Someone"}, "email": {loginID + "@example.com"}}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Add(kv[i], kv[i+1])
		}
		return v
	}
	cases := []struct {
		name   string
		form   url.Values
		status int
		field  string // the id of the error shown
		want   string
	}{
		{"a dependent without its parent", form("ops1", "auth", "logAttachments", "auth", "console"), 422,
			"auth-logAttachments-error", "View/save attached information (column 21) needs Log Viewer (column 5)."},
		{"34 without 33", form("ops1", "auth", "console", "auth", "department", "auth", "devicesOnly", "groups", "G001"), 422,
			"auth-devicesOnly-error", "needs Register/update/delete devices (column 33)"},
		{"no viewing with viewing", form("ops1", "auth", "noViewing", "auth", "backup"), 422,
			"auth-noViewing-error", "cannot be combined"},
		{"department without groups", form("ops1", "auth", "console", "auth", "department"), 422,
			"groups-error", "A department administrator needs at least one group."},
		{"an unknown group", form("ops1", "auth", "console", "auth", "department", "groups", "G404"), 422,
			"groups-error", "Unknown group G404"},
		{"an unknown authority", form("ops1", "auth", "everything"), 422, "matrix-error", "Unknown authority"},
		{"a bad ID", form("bad id", "auth", "console"), 422, "loginId-error", "An administrator ID is 1 to 64"},
		{"a taken ID", form("viewer", "auth", "console"), 409, "loginId-error", "already exists"},
		{"a built-in ID", form("AUTOBACKUPUSER", "auth", "backup"), 409, "loginId-error", "already exists"},
		{"a short password", form("ops1", "auth", "console", "password", "short"), 422, "password-error", "too short"},
		{"long notes", form("ops1", "auth", "console", "notes", strings.Repeat("あ", 129)), 422, "notes-error", "256"},
	}
	for _, tc := range cases {
		st, _, body := c.post("/console/admins", tc.form)
		if st != tc.status {
			t.Errorf("%s: status %d, want %d", tc.name, st, tc.status)
		}
		i := strings.Index(body, `id="`+tc.field+`"`)
		if i < 0 || !strings.Contains(html.UnescapeString(body[i:min(len(body), i+400)]), tc.want) {
			t.Errorf("%s: no %q in #%s", tc.name, tc.want, tc.field)
		}
		if !strings.Contains(body, `class="alert error"`) {
			t.Errorf("%s: no error at the top of the form", tc.name)
		}
		if lid := tc.form.Get("loginId"); !strings.Contains(body, `value="`+html.EscapeString(lid)+`"`) && lid != "bad id" {
			t.Errorf("%s: the form lost the ID typed", tc.name)
		}
		if tc.form.Get("loginId") == "ops1" && adminOf("ops1") != nil {
			t.Fatalf("%s: ops1 was created", tc.name)
		}
	}
	// The rule in Japanese.
	c.get("/console/admins/new?lang=ja")
	if _, _, body := c.post("/console/admins", form("ops1", "auth", "logMail")); !strings.Contains(body, "メール内容の保存(列24)を設定するにはログビューア(列5)が必要です。") {
		t.Error("the rule is not shown in Japanese")
	}
	c.get("/console/admins/new?lang=en")

	// Groups ticked without the department authority are not kept.
	st, loc, _ := c.post("/console/admins", form("ops1", "auth", "console", "auth", "import", "groups", "G001", "password", "Tall-tree-2024"))
	if st != http.StatusSeeOther || loc != "/console/admins?done=admin.created" {
		t.Fatalf("create ops1: %d %s", st, loc)
	}
	ops := adminOf("ops1")
	if ops == nil || ops.Authorities != meibo.NewAuthorities(meibo.AuthConsole, meibo.AuthImport) || len(ops.Groups) != 0 || ops.PasswordHash == "" {
		t.Fatalf("ops1: %+v", ops)
	}
	opsPath := "/console/admins/" + strconv.FormatInt(ops.ID, 10)

	// Edit: a blank password keeps the old one; the department groups are
	// resolved to their IDs.
	st, loc, _ = c.post(opsPath, url.Values{"name": {"Ops"}, "email": {"ops@example.com"}, "auth": {"console", "department"},
		"groups": {"g002"}})
	if st != http.StatusSeeOther {
		t.Fatalf("edit ops1: %d %s", st, loc)
	}
	if a := adminOf("ops1"); a.Name != "Ops" || a.PasswordHash != ops.PasswordHash || strings.Join(a.Groups, ",") != "G002" {
		t.Errorf("ops1 after the edit: %+v", a)
	}
	if _, body := c.get(opsPath); !strings.Contains(body, `value="G002" checked`) {
		t.Error("the form does not show G002 ticked")
	}

	// AUTOBACKUPUSER keeps its one authority and no password.
	backup := adminOf(meibo.BuiltinBackup)
	bPath := "/console/admins/" + strconv.FormatInt(backup.ID, 10)
	if _, body := c.get(bPath); !strings.Contains(body, `name="auth" value="backup" checked disabled`) {
		t.Error("the matrix of AUTOBACKUPUSER can be changed")
	}
	st, _, _ = c.post(bPath, url.Values{"name": {"Backup"}, "auth": {"console"}, "password": {"Some-long-pw-1"}})
	if b := adminOf(meibo.BuiltinBackup); st != http.StatusSeeOther || b.Name != "Backup" || b.Authorities != meibo.BackupAuthorities || b.PasswordHash != "" {
		t.Errorf("AUTOBACKUPUSER after an edit: %d %+v", st, b)
	}

	// Deleting: built-ins, oneself and the last manager are refused.
	self := adminOf("admin")
	selfPath := "/console/admins/" + strconv.FormatInt(self.ID, 10)
	for path, want := range map[string]string{selfPath: "You cannot delete your own account.",
		bPath: "The built-in administrator AUTOBACKUPUSER cannot be deleted."} {
		if _, body := c.get(path + "/delete"); !strings.Contains(body, want) || strings.Contains(body, `action="`+path+`/delete"`) {
			t.Errorf("the confirmation of %s does not refuse: %q", path, want)
		}
	}
	if st, _, body := c.post(bPath+"/delete", url.Values{}); st != http.StatusConflict || !strings.Contains(body, "cannot be deleted") {
		t.Errorf("delete AUTOBACKUPUSER: %d", st)
	}
	if st, _, body := c.post(selfPath, url.Values{"name": {"admin"}, "auth": {"logViewer"}}); st != http.StatusConflict ||
		!strings.Contains(body, "This would leave no enabled administrator who can manage administrators.") {
		t.Errorf("the last manager without 6: %d", st)
	}

	// A new password for one's own account keeps one's session.
	if st, loc, body := c.post(selfPath, url.Values{"name": {"admin"}, "auth": {"console", "logViewer"}, "password": {"Another-day-77"}}); st != http.StatusSeeOther {
		t.Fatalf("a new password for oneself: %d %s\n%s", st, loc, body)
	}
	if st, _ := c.get("/console/admins"); st != http.StatusOK {
		t.Errorf("after changing one's own password: %d", st)
	}

	// Delete ops1 after the confirmation.
	if _, body := c.get(opsPath + "/delete"); !strings.Contains(body, `action="`+opsPath+`/delete"`) {
		t.Error("no confirmation to delete ops1")
	}
	if st, loc, _ := c.post(opsPath+"/delete", url.Values{}); st != http.StatusSeeOther || adminOf("ops1") != nil {
		t.Errorf("delete ops1: %d %s", st, loc)
	}
	if st, _ := c.get(opsPath); st != http.StatusNotFound {
		t.Errorf("a deleted administrator's page: %d", st)
	}
	// A form without the session's CSRF token is refused.
	if st, _, _ := c.post("/console/admins", url.Values{"csrf": {"forged"}, "loginId": {"x1"}}); st != http.StatusForbidden || adminOf("x1") != nil {
		t.Errorf("a forged form: %d", st)
	}

	// Someone who does not manage administrators sees none of it.
	v := newConsoleClient(t, m.URL())
	v.signIn("viewer", "Reading-glass-9")
	if _, body := v.get("/console/"); strings.Contains(body, `href="/console/admins"`) {
		t.Error("the viewer is offered the administrators")
	}
	for _, p := range []string{"/console/admins", "/console/admins/new", selfPath, selfPath + "/delete"} {
		if st, body := v.get(p); st != http.StatusForbidden || !strings.Contains(body, "Only an administrator with Management Console authority") {
			t.Errorf("the viewer at %s: %d", p, st)
		}
	}
	if st, _, _ := v.post("/console/admins", form("ops2", "auth", "console")); st != http.StatusForbidden || adminOf("ops2") != nil {
		t.Errorf("the viewer creating an administrator: %d", st)
	}
}

// TestAdminLabels checks that every word of the administrators pages has
// both languages.
func TestAdminLabels(t *testing.T) {
	n := 0
	for k, v := range web.Labels() {
		if strings.HasPrefix(k, "admins.") || strings.HasPrefix(k, "admin.") || strings.HasPrefix(k, "done.admin.") {
			n++
			if strings.TrimSpace(v[0]) == "" || strings.TrimSpace(v[1]) == "" {
				t.Errorf("label %s: %q", k, v)
			}
			if strings.Count(v[0], "%") != strings.Count(v[1], "%") {
				t.Errorf("label %s: the two languages take different arguments: %q", k, v)
			}
		}
	}
	if n < 40 {
		t.Errorf("only %d labels of the administrators pages", n)
	}
}
