package console

import (
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/service"
)

// wantDownload checks the headers of a file download.
func (r resp) wantDownload(t *testing.T, what, name, contentType string) {
	t.Helper()
	// {time} in name stands for the time of the export, to the minute.
	pattern := regexp.MustCompile("^attachment; filename=" + strings.ReplaceAll(regexp.QuoteMeta(name), `\{time\}`, `\d{8}-\d{4}`) + "$")
	if got := r.header.Get("Content-Disposition"); !pattern.MatchString(got) {
		t.Errorf("%s: Content-Disposition = %q, want %s", what, got, pattern)
	}
	for k, v := range map[string]string{"Content-Type": contentType,
		"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff", "Content-Length": strconv.Itoa(len(r.body))} {
		if got := r.header.Get(k); got != v {
			t.Errorf("%s: %s = %q, want %q", what, k, got, v)
		}
	}
}

func TestExports(t *testing.T) {
	e := newEnv(t)
	for _, u := range []struct{ group, name string }{{"G1", "yamada"}, {"G1", "山田"}, {"G1", "=cmd"}, {"G2", "smile😀"}} {
		if _, err := e.svc.CreateUser(e.sys, u.group, service.UserInput{Name: u.name, Email: "x@example.org"}); err != nil {
			t.Fatal(err)
		}
	}
	c := e.admin("exporter")
	r := c.get("/console/exports")
	r.want(t, "export page", http.StatusOK, []string{`action="/console/exports/users"`, `value="utf-8-bom"`, `value="cp932"`,
		`value="G1"`, `value="G2"`, `action="/console/exports/admins"`, "Configured: UTF-8"})

	header := "name,password,email,admin,apiAccess,disabled,profile\r\n"
	r = c.post("/console/exports/users", url.Values{"group": {"G1"}, "encoding": {"utf-8"}})
	r.want(t, "users UTF-8", http.StatusOK, []string{header, "山田,,x@example.org,false,false,false,default", "'=cmd,"}, "\uFEFF")
	if !strings.HasPrefix(r.body, "name,") {
		t.Errorf("UTF-8 export starts with %q", r.body[:10])
	}
	r.wantDownload(t, "users UTF-8", "users-G1-{time}.csv", "text/csv; charset=utf-8")

	r = c.post("/console/exports/users", url.Values{"group": {"G1"}, "encoding": {"utf-8-bom"}})
	if r.status != http.StatusOK || !strings.HasPrefix(r.body, "\uFEFF"+header) {
		t.Errorf("users UTF-8 with BOM: %d %q", r.status, clip(r.body))
	}
	r.wantDownload(t, "users UTF-8 with BOM", "users-G1-{time}.csv", "text/csv; charset=utf-8")

	r = c.post("/console/exports/users", url.Values{"group": {"G1"}, "encoding": {"cp932"}})
	r.want(t, "users Shift_JIS", http.StatusOK, []string{header, "\x8eR\x93c,,x@example.org"}, "山田") // 山田 in Shift_JIS
	r.wantDownload(t, "users Shift_JIS", "users-G1-{time}.csv", "text/csv; charset=Shift_JIS")

	// A character Shift_JIS cannot hold: an error page naming the user and
	// the field, never a truncated file.
	r = c.post("/console/exports/users", url.Values{"group": {"G2"}, "encoding": {"cp932"}})
	r.want(t, "unencodable", http.StatusUnprocessableEntity, []string{"The file was not written.", "1F600 😀 in the name of user smile😀",
		"smile😀", "Shift_JIS (CP932)", `value="G2" selected`})
	if cd := r.header.Get("Content-Disposition"); cd != "" || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
		t.Errorf("unencodable: headers %v", r.header)
	}
	c.lang = "ja"
	r = c.post("/console/exports/users", url.Values{"group": {"G2"}, "encoding": {"cp932"}})
	r.want(t, "unencodable in Japanese", http.StatusUnprocessableEntity, []string{"ファイルは作成されませんでした。", "smile😀", "名前"})
	c.lang = ""
	// The same users are fine in UTF-8.
	r = c.post("/console/exports/users", url.Values{"group": {"G2"}, "encoding": {"utf-8"}})
	r.want(t, "emoji in UTF-8", http.StatusOK, []string{"smile😀,"})

	// Administrators, in the configured encoding and both others.
	r = c.post("/console/exports/admins", url.Values{"encoding": {""}})
	r.want(t, "admins configured", http.StatusOK, []string{`"admin"`, `"exporter"`, "\r\n"})
	r.wantDownload(t, "admins configured", "admins-{time}.csv", "text/csv; charset=utf-8")
	r = c.post("/console/exports/admins", url.Values{"encoding": {"cp932"}})
	r.want(t, "admins Shift_JIS", http.StatusOK, []string{`"exporter"`})
	r.wantDownload(t, "admins Shift_JIS", "admins-{time}.csv", "text/csv; charset=Shift_JIS")
	r = c.post("/console/exports/admins", url.Values{"encoding": {"utf-8"}})
	r.wantDownload(t, "admins UTF-8", "admins-{time}.csv", "text/csv; charset=utf-8")

	// Bad requests.
	c.post("/console/exports/users", url.Values{"group": {"G1"}, "encoding": {"latin1"}}).want(t, "bad encoding", http.StatusUnprocessableEntity, []string{"Unknown encoding"})
	c.post("/console/exports/users", url.Values{"group": {"G9"}, "encoding": {"utf-8"}}).want(t, "unknown group", http.StatusNotFound, nil)
	c.post("/console/exports/users", url.Values{"group": {"G1"}, "encoding": {"utf-8"}, "csrf": {"forged"}}).want(t, "no CSRF", http.StatusForbidden, nil, "yamada")

	// Export events are recorded.
	evs, err := e.svc.AuditEvents(e.sys, meibo.AuditFilter{Action: "export.users"})
	if err != nil || len(evs) != 4 { // the failed one wrote nothing
		t.Errorf("export.users events: %d, %v", len(evs), err)
	}

	// Without authority 32, no export; a department administrator exports
	// its groups' users but no administrators.
	importer := e.admin("importer")
	importer.get("/console/exports").want(t, "export page without 32", http.StatusForbidden, nil)
	importer.post("/console/exports/users", url.Values{"group": {"G1"}, "encoding": {"utf-8"}}).want(t, "users without 32", http.StatusForbidden, nil, "yamada")
	importer.post("/console/exports/admins", url.Values{"encoding": {"utf-8"}}).want(t, "admins without 32", http.StatusForbidden, nil, "exporter")
	dept := e.admin("deptops")
	dept.get("/console/exports").want(t, "department export page", http.StatusOK, []string{`value="G1"`}, `value="G2"`, "/console/exports/admins")
	dept.post("/console/exports/users", url.Values{"group": {"G1"}, "encoding": {"utf-8"}}).want(t, "department users", http.StatusOK, []string{"yamada"})
	dept.post("/console/exports/users", url.Values{"group": {"G2"}, "encoding": {"utf-8"}}).want(t, "another group", http.StatusNotFound, nil, "smile")
	dept.post("/console/exports/admins", url.Values{"encoding": {"utf-8"}}).want(t, "department admins", http.StatusForbidden, nil, "exporter")
}
