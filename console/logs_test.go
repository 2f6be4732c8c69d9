package console

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/service"
)

func TestOutbox(t *testing.T) {
	e := newEnv(t)
	for _, u := range []struct{ group, name string }{{"G1", "amy"}, {"G2", "zed"}} {
		in := service.UserInput{Name: u.name, Email: u.name + "@example.org", SendInvitation: true}
		if _, err := e.svc.CreateUser(e.sys, u.group, in); err != nil {
			t.Fatal(err)
		}
	}
	mails, err := e.svc.Mails(e.sys, meibo.MailFilter{})
	if err != nil || len(mails) != 2 || mails[0].HTML == "" || !strings.Contains(mails[0].HTML, "<") {
		t.Fatalf("outbox: %v, %v", mails, err)
	}
	m := mails[0] // the newest: zed's
	id := strconv.FormatInt(m.ID, 10)

	c := e.admin("auditor")
	r := c.get("/console/")
	r.want(t, "navigation with 24", http.StatusOK, []string{`href="/console/mail"`, `href="/console/audit"`})
	r = c.get("/console/mail")
	r.want(t, "outbox", http.StatusOK, []string{"amy@example.org", "zed@example.org", "Pending", "Invitation",
		`href="/console/mail/` + id + `"`, m.Subject})
	c.get("/console/mail?status=sent").want(t, "sent", http.StatusOK, []string{"No message has this status."}, "amy@example.org")
	c.get("/console/mail?status=pending").want(t, "pending", http.StatusOK, []string{"amy@example.org"})
	c.get("/console/mail?status=bogus").want(t, "unknown status: all", http.StatusOK, []string{"amy@example.org"})

	r = c.get("/console/mail/" + id)
	r.want(t, "message", http.StatusOK, []string{"zed@example.org", "Pending", "[link sent only to the addressee]",
		`<iframe class="mail-preview" sandbox=""`, `src="/console/mail/` + id + `/html"`, "&lt;"},
		m.HTML, "mbl_") // the HTML version never as markup in the page; never a link
	if !strings.Contains(r.header.Get("Content-Security-Policy"), "script-src 'self'") {
		t.Errorf("message page CSP: %q", r.header.Get("Content-Security-Policy"))
	}
	h := c.get("/console/mail/" + id + "/html")
	if h.status != http.StatusOK || h.body != m.HTML || !strings.HasPrefix(h.header.Get("Content-Security-Policy"), "sandbox;") ||
		!strings.Contains(h.header.Get("Content-Security-Policy"), "default-src 'none'") || h.header.Get("X-Frame-Options") != "SAMEORIGIN" {
		t.Errorf("HTML version: %d %v", h.status, h.header)
	}
	c.lang = "ja"
	c.get("/console/mail").want(t, "outbox in Japanese", http.StatusOK, []string{"送信メール", "送信待ち", "招待"})
	c.get("/console/mail/"+id).want(t, "message in Japanese", http.StatusOK, []string{"本文(テキスト)", "試行回数"})
	c.lang = ""
	c.get("/console/mail/999999").want(t, "unknown message", http.StatusNotFound, nil)

	// Without authority 24, nothing of the outbox.
	v := e.admin("viewer")
	v.get("/console/").want(t, "navigation without 24", http.StatusOK, []string{`href="/console/audit"`}, `href="/console/mail"`)
	for _, p := range []string{"/console/mail", "/console/mail/" + id, "/console/mail/" + id + "/html"} {
		v.get(p).want(t, p+" without 24", http.StatusForbidden, nil, "zed@example.org")
	}
	e.admin("deptops").get("/console/mail").want(t, "outbox for a department administrator without 24", http.StatusForbidden, nil)
}

func TestAudit(t *testing.T) {
	e := newEnv(t)
	// 60 users: more than a page of events.
	for i := range 60 {
		g := "G1"
		if i%2 == 1 {
			g = "G2"
		}
		if _, err := e.svc.CreateUser(e.sys, g, service.UserInput{Name: fmt.Sprintf("u%02d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.svc.CreateUser(e.sys, "G1", service.UserInput{Name: "=HYPERLINK(\"x\")"}); err != nil {
		t.Fatal(err)
	}
	today := time.Now().In(zone).Format("2006-01-02")
	yesterday := time.Now().In(zone).AddDate(0, 0, -1).Format("2006-01-02")

	v := e.admin("viewer")
	r := v.get("/console/audit")
	r.want(t, "audit log", http.StatusOK, []string{"user.create", "cli:test", "=HYPERLINK(&#34;x&#34;)", "rel=\"next\"",
		"configuration changes (needs View configuration change log)", "time zone JST"},
		"<code>group.create</code>", "audit.csv") // no config events without 23, no CSV without 22
	if n := strings.Count(r.body, "<code>"); n != 50 {
		t.Errorf("first page: %d events", n)
	}
	r = v.get("/console/audit?action=user.create&before=" + firstEventID(t, e, "u09"))
	r.want(t, "second page", http.StatusOK, []string{">u08<", ">u00<", "Newest"}, ">u09<", ">u10<")
	r = v.get("/console/audit?actor=cli:test&action=user.create&kind=user&object=u07")
	r.want(t, "by object", http.StatusOK, []string{">u07<"}, ">u08<", ">u06<")
	if n := strings.Count(r.body, "<code>user.create</code>"); n != 1 {
		t.Errorf("by object: %d events", n)
	}
	v.get("/console/audit?actor=nobody").want(t, "no match", http.StatusOK, []string{"No event matches the filter."}, "<code>user.create")
	v.get("/console/audit?since="+today+"&until="+today).want(t, "today", http.StatusOK, []string{">u59<"})
	v.get("/console/audit?until="+yesterday).want(t, "until yesterday", http.StatusOK, []string{"No event matches"}, ">u59<")
	v.get("/console/audit?since=2024-13-01").want(t, "bad date", http.StatusUnprocessableEntity,
		[]string{"Enter a date as YYYY-MM-DD.", `aria-invalid="true"`})
	v.get("/console/audit?since="+today+"&until="+yesterday).want(t, "dates in the wrong order", http.StatusUnprocessableEntity,
		[]string{"The end date is before the start date."})
	// Without 22 the CSV file is refused on the server.
	v.get("/console/audit.csv").want(t, "CSV without 22", http.StatusForbidden, nil, "user.create")

	// With 23 configuration changes show; with 22 the CSV file.
	a := e.admin("auditor")
	r = a.get("/console/audit?action=group.create")
	r.want(t, "config events with 23", http.StatusOK, []string{"<code>group.create</code>", ">G1<", ">G2<",
		`href="/console/audit.csv?action=group.create"`}, "configuration changes (")
	csv := a.get("/console/audit.csv?action=user.create&since=" + today)
	csv.want(t, "CSV", http.StatusOK, []string{"\uFEFFid,time,actor_kind,actor,address,action,category,object_kind,object_id,group,details\r\n",
		",system,cli:test,,user.create,user,user,u59,G2,", `,user,user,"'=HYPERLINK(""x"")",G1,`, "+09:00,"}, "group.create", "signin")
	if n := strings.Count(csv.body, "\r\n"); n != 63 { // with the harness's alice
		t.Errorf("CSV: %d lines, want 63", n)
	}
	if cd := csv.header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment; filename=audit-") || csv.header.Get("Content-Type") != "text/csv; charset=utf-8" ||
		csv.header.Get("Cache-Control") != "no-store" || csv.header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("CSV headers: %v", csv.header)
	}
	a.get("/console/audit.csv?since=nonsense").want(t, "CSV with a bad date", http.StatusSeeOther, nil)
	r = a.get("/console/audit?action=audit.export")
	r.want(t, "the export is recorded", http.StatusOK, []string{"<code>audit.export</code>", ">auditor<", ">sign-in and access<"})

	// An import's event links to its page for whoever may open it (21),
	// not for a viewer it would answer "not found".
	job, err := e.svc.SubmitImport(e.sys, service.ImportRequest{Format: meibo.FormatUsers, GroupID: "G1", FileName: "x.csv"}, []byte("name\r\nimp1\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	link := fmt.Sprintf(`href="/console/imports/%d"`, job.ID)
	admins, err := e.svc.SubmitImport(e.sys, service.ImportRequest{Format: meibo.FormatAdmins, FileName: "a.csv"}, []byte("x"))
	if err != nil {
		t.Fatal(err)
	}
	adminsLink := fmt.Sprintf(`href="/console/imports/%d"`, admins.ID)
	a.get("/console/audit?action=import.submit").want(t, "imports' events, with 21 and without managing administrators", http.StatusOK,
		[]string{link, fmt.Sprintf("</span> %d</td>", admins.ID)}, adminsLink)
	e.admin("admin").get("/console/audit?action=import.submit").want(t, "imports' events, as a manager", http.StatusOK, []string{link, adminsLink})

	// A department administrator sees its groups' events only.
	d := e.admin("deptops")
	r = d.get("/console/audit?action=user.create")
	r.want(t, "department", http.StatusOK, []string{">u00<", "your groups only"}, ">u01<")

	// Both languages.
	v.lang = "ja"
	v.get("/console/audit?action=user.create").want(t, "audit log in Japanese", http.StatusOK, []string{"監査ログ", "実行者", "設定変更(「設定変更ログの閲覧」が必要)",
		`<span class="muted">ユーザー</span>`}, `<span class="muted">user</span>`)
}

// firstEventID is the ID of the user.create event of user name.
func firstEventID(t *testing.T, e *env, name string) string {
	t.Helper()
	evs, err := e.svc.AuditEvents(e.sys, meibo.AuditFilter{Action: "user.create", ObjectID: name})
	if err != nil || len(evs) != 1 {
		t.Fatalf("event of %s: %v, %v", name, evs, err)
	}
	return strconv.FormatInt(evs[0].ID, 10)
}
