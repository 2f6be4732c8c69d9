package main

// Mail end to end: the real server (Main) with a real SMTP server on
// 127.0.0.1 (internal/smtptest), and the mail commands.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/meibo/meibo/internal/smtptest"
	"github.com/meibo/meibo/mailer"
	"github.com/meibo/meibo/service"
)

const mailPublic = "https://meibo.example.org"

var (
	mailLinkRE = regexp.MustCompile(`(https?://[^/\s"]+)/password/(mbl_[A-Za-z0-9_-]{43})\b`)
	mailCSRFRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
)

// mailHTTP sends a request to the server with extra headers ("Host" sets
// the request's Host) and returns the status and body.
func mailHTTP(t *testing.T, c *http.Client, method, u string, body io.Reader, header map[string]string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		if k == "Host" {
			req.Host = v
		} else {
			req.Header.Set(k, v)
		}
	}
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// mailLink returns the one link of a delivered message, checking that its
// text and HTML parts carry the same.
func mailLink(t *testing.T, m *smtptest.Message) (base, secret string) {
	t.Helper()
	tm, hm := mailLinkRE.FindStringSubmatch(m.Text), mailLinkRE.FindStringSubmatch(m.HTML)
	if tm == nil || hm == nil || tm[0] != hm[0] {
		t.Fatalf("links %v and %v in:\n%s", tm, hm, m.Text)
	}
	return tm[1], tm[2]
}

// TestServeMailLinks: invitations and resets asked for through the running
// server with a forged Host and X-Forwarded-* headers are delivered by SMTP
// with links on the configured public URL only; the links work once, on
// the real server.
func TestServeMailLinks(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{StartTLS: true, Username: "relay", Password: "relay-secret"})
	cfg := testConfig(migratedDB(t), io.Discard)
	cfg.AdminPassword = "A-chosen-pass-phrase-9"
	cfg.Mail = mailConfig{PublicURL: mailPublic, SMTP: srv.Mailer("meibo <noreply@meibo.example.org>")}
	m := NewMain(cfg)
	if err := m.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	base := m.URL()
	evil := map[string]string{"Host": "evil.example", "X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "http",
		"X-Forwarded-For": "203.0.113.66", "Forwarded": "for=203.0.113.66;host=evil.example;proto=http"}
	api := func(method, path, token string, body any) (int, string) {
		t.Helper()
		h := map[string]string{"Content-Type": "application/json"}
		for k, v := range evil {
			h[k] = v
		}
		if token != "" {
			h["Authorization"] = "Bearer " + token
		}
		b, _ := json.Marshal(body)
		return mailHTTP(t, http.DefaultClient, method, base+path, bytes.NewReader(b), h)
	}
	st, body := api("POST", "/api/v1/login", "", map[string]string{"loginId": "admin", "password": cfg.AdminPassword})
	var tok struct {
		Token string `json:"token"`
	}
	if json.Unmarshal([]byte(body), &tok); st != 200 || tok.Token == "" {
		t.Fatalf("login: %d %s", st, body)
	}
	if st, body := api("POST", "/api/v1/groups", tok.Token, map[string]string{"id": "G1", "name": "Sales"}); st != 201 {
		t.Fatalf("create group: %d %s", st, body)
	}
	st, body = api("POST", "/api/v1/groups/G1/users", tok.Token, map[string]any{"name": "taro", "email": "taro@example.org", "sendInvitation": true})
	var user struct {
		ID int64 `json:"id"`
	}
	if json.Unmarshal([]byte(body), &user); st != 201 || user.ID == 0 {
		t.Fatalf("create user: %d %s", st, body)
	}
	inv := srv.Wait(t, 1, 10*time.Second)[0]
	if b, _ := mailLink(t, inv); b != mailPublic || strings.Contains(string(inv.Raw), "evil.example") {
		t.Fatalf("the invitation links to %s:\n%s", b, inv.Text)
	}
	if !inv.TLS || inv.AuthUser != "relay" || inv.To[0] != "taro@example.org" {
		t.Errorf("delivered over TLS %v as %q to %v", inv.TLS, inv.AuthUser, inv.To)
	}
	_, invSecret := mailLink(t, inv)

	// A reset through the page, with the same forged headers.
	browser := &http.Client{Jar: localhostJar(), Timeout: 10 * time.Second}
	st, body = mailHTTP(t, browser, "GET", base+"/reset", nil, evil)
	csrf := mailCSRFRE.FindStringSubmatch(body)
	if st != 200 || csrf == nil {
		t.Fatalf("GET /reset: %d", st)
	}
	form := url.Values{"csrf": {csrf[1]}, "group": {"G1"}, "user": {"taro"}}.Encode()
	h := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
	for k, v := range evil {
		h[k] = v
	}
	if st, body := mailHTTP(t, browser, "POST", base+"/reset", strings.NewReader(form), h); st != 200 {
		t.Fatalf("POST /reset: %d\n%s", st, body)
	}
	reset := srv.Wait(t, 2, 10*time.Second)[1]
	b, resetSecret := mailLink(t, reset)
	if b != mailPublic || strings.Contains(string(reset.Raw), "evil.example") || reset.To[0] != "taro@example.org" {
		t.Fatalf("the reset links to %s:\n%s", b, reset.Text)
	}

	// The reset replaced the invitation; the reset link works once.
	if st, _ := mailHTTP(t, browser, "GET", base+"/password/"+invSecret, nil, nil); st != http.StatusNotFound {
		t.Errorf("the invitation after a reset: %d", st)
	}
	st, body = mailHTTP(t, browser, "GET", base+"/password/"+resetSecret, nil, nil)
	csrf = mailCSRFRE.FindStringSubmatch(body)
	if st != 200 || csrf == nil || !strings.Contains(body, "taro") {
		t.Fatalf("GET the reset link: %d\n%s", st, body)
	}
	set := url.Values{"csrf": {csrf[1]}, "password": {"Amber-canyon-17"}, "password2": {"Amber-canyon-17"}}.Encode()
	form2 := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
	if st, body := mailHTTP(t, browser, "POST", base+"/password/"+resetSecret, strings.NewReader(set), form2); st != 200 {
		t.Fatalf("set the password: %d\n%s", st, body)
	}
	if st, _ := mailHTTP(t, browser, "POST", base+"/password/"+resetSecret, strings.NewReader(set), form2); st != http.StatusNotFound {
		t.Errorf("the reset link a second time: %d", st)
	}

	// Resending the invitation through the API: a new link, same rules.
	if st, body := api("POST", fmt.Sprintf("/api/v1/users/%d/invitation", user.ID), tok.Token, nil); st != http.StatusAccepted {
		t.Fatalf("resend: %d %s", st, body)
	}
	again := srv.Wait(t, 3, 10*time.Second)[2]
	if b, s := mailLink(t, again); b != mailPublic || s == invSecret || s == resetSecret {
		t.Errorf("the resent invitation links to %s", b)
	}
	if ids := []string{inv.Header.Get("Message-ID"), reset.Header.Get("Message-ID"), again.Header.Get("Message-ID")}; ids[0] == ids[1] || ids[1] == ids[2] {
		t.Errorf("Message-IDs %v", ids)
	}
	// Every message is marked sent.
	deadline := time.Now().Add(10 * time.Second)
	for {
		st, body := api("GET", "/api/v1/mail?status=sent", tok.Token, nil)
		if st == 200 && strings.Count(body, `"status":"sent"`) == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("sent messages: %d %s", st, body)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestMailCommands: invitations from `user add` and `import` wait in the
// outbox (no server runs), `mail list` shows them, `mail test` sends
// through the SMTP flags' environment fallbacks.
func TestMailCommands(t *testing.T) {
	c := newCLI(t)
	c.ok("group", "create", "G1")
	public := "MEIBO_PUBLIC_URL=" + mailPublic
	if r := c.run([]string{"user", "add", "--group", "G1", "taro", "--email", "taro@example.org", "--send-invitation"}); r.code == 0 {
		t.Errorf("an invitation without a public URL: %s", r)
	}
	r := c.run([]string{"user", "add", "--group", "G1", "taro", "--email", "taro@example.org", "--send-invitation"}, public)
	if r.code != 0 || !strings.Contains(r.stdout, "invitation to taro@example.org is in the outbox") {
		t.Fatalf("user add --send-invitation: %s", r)
	}
	c.ok("user", "add", "--group", "G1", "jiro", "--email", "jiro@example.org")
	file := c.file("users.csv", []byte("name,password,email\r\nann,,ann@example.org\r\nben,,\r\n"))
	r = c.run([]string{"import", "--format", "users", "--group", "G1", "--send-invitations", "--json", file}, public)
	if r.code != 0 {
		t.Fatalf("import --send-invitations: %s", r)
	}
	if rep := oneObject(t, r.stdout); rep.Created != 2 || len(rep.Warnings) != 1 {
		t.Errorf("import report %+v", rep)
	}
	if strings.Contains(r.stderr, "no invitations were sent") {
		t.Errorf("invitations were sent, and the import says none were: %s", r.stderr)
	}
	// Without a public URL, no invitation can be made: the import says so.
	r = c.run([]string{"import", "--format", "users", "--group", "G1", c.file("more.csv", []byte("name,password,email\r\ncai,,cai@example.org\r\n"))})
	if r.code != 0 || !strings.Contains(r.stderr, "no invitations were sent: there is no --public-url") {
		t.Errorf("an import of new users without a public URL: %s", r)
	}

	r = c.ok("mail", "list")
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "ID") || !strings.Contains(lines[1], "ann@example.org") ||
		!strings.Contains(lines[2], "taro@example.org") || !strings.Contains(lines[2], "pending") || !strings.Contains(lines[2], "invitation") {
		t.Errorf("mail list:\n%s", r.stdout)
	}
	var msgs []struct {
		ID     int64  `json:"id"`
		Status string `json:"status"`
		To     string `json:"to"`
		Text   string `json:"text"`
		HTML   string `json:"html"`
	}
	r = c.ok("mail", "list", "--json")
	if err := json.Unmarshal([]byte(r.stdout), &msgs); err != nil || len(msgs) != 2 {
		t.Fatalf("mail list --json: %v\n%s", err, r.stdout)
	}
	// The outbox never shows a usable link: it is minted at delivery.
	for _, m := range msgs {
		if strings.Contains(m.Text+m.HTML, "mbl_") || !strings.Contains(m.Text, "[link sent only to the addressee]") || m.HTML == "" {
			t.Errorf("message to %s:\n%s", m.To, m.Text)
		}
	}
	if r := c.ok("mail", "list", "--status", "sent"); strings.Count(r.stdout, "\n") != 1 {
		t.Errorf("mail list --status sent:\n%s", r.stdout)
	}
	if r := c.run([]string{"mail", "list", "--status", "bogus"}); r.code != 2 {
		t.Errorf("mail list --status bogus: %s", r)
	}

	// mail test, configured by the environment.
	srv := smtptest.Start(t, smtptest.Options{})
	smtpEnv := []string{"MEIBO_SMTP_HOST=127.0.0.1", fmt.Sprintf("MEIBO_SMTP_PORT=%d", srv.Port), "MEIBO_SMTP_SECURITY=none",
		"MEIBO_MAIL_FROM=Roster <roster@example.org>"}
	if r := c.run([]string{"mail", "test", "ops@example.org"}); r.code != 2 || !strings.Contains(r.stderr, "--smtp-host") {
		t.Errorf("mail test without SMTP: %s", r)
	}
	r = c.run([]string{"mail", "test", "ops@example.org", "--lang", "ja"}, smtpEnv...)
	if r.code != 0 || !strings.Contains(r.stdout, "sent a test message to ops@example.org") {
		t.Fatalf("mail test: %s", r)
	}
	got := srv.Wait(t, 1, 5*time.Second)[0]
	if got.To[0] != "ops@example.org" || got.From != "roster@example.org" || !strings.Contains(got.Subject, "テストメール") ||
		got.Header.Get("Content-Language") != "ja" {
		t.Errorf("test message from %s to %v: %q", got.From, got.To, got.Subject)
	}
	// A refusal, and a server that cannot give the protection asked for:
	// exit 1 with the reason, nothing sent.
	srv.Refuse(1, 550)
	if r := c.run([]string{"mail", "test", "ops@example.org"}, smtpEnv...); r.code != 1 || !strings.Contains(r.stderr, "550") {
		t.Errorf("mail test refused: %s", r)
	}
	if r := c.run([]string{"mail", "test", "ops@example.org"}, append(smtpEnv, "MEIBO_SMTP_SECURITY=starttls")...); r.code != 1 || !strings.Contains(r.stderr, "STARTTLS") {
		t.Errorf("mail test with STARTTLS required: %s", r)
	}
	if r := c.run([]string{"mail", "test", "ops@example.org"}, append(smtpEnv, "MEIBO_SMTP_SECURITY=ssl")...); r.code != 2 {
		t.Errorf("mail test with an unknown security: %s", r)
	}
	if r := c.run([]string{"mail", "test"}, smtpEnv...); r.code != 2 {
		t.Errorf("mail test without an address: %s", r)
	}
	if n := len(srv.Messages()); n != 1 {
		t.Errorf("%d messages accepted, want 1", n)
	}
	// The outbox is as it was: test messages do not go through it.
	var after []json.RawMessage
	if err := json.Unmarshal([]byte(c.ok("mail", "list", "--json").stdout), &after); err != nil || len(after) != 2 {
		t.Errorf("the outbox after mail test: %d, %v", len(after), err)
	}
}

// TestMailConfigDefaults: the SMTP settings as applied carry their
// defaults, so that what `mail test` reports is where it sent.
func TestMailConfigDefaults(t *testing.T) {
	mc := mailConfig{PublicURL: mailPublic, SMTP: mailer.Config{Host: "smtp.example.org", From: "meibo <meibo@example.org>"}}
	var cfg service.Config
	if err := mc.apply(&cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.Sender == nil || cfg.PublicURL != mailPublic {
		t.Fatalf("applied %+v", cfg)
	}
	if mc.SMTP.Port != 587 || mc.SMTP.Security != mailer.StartTLS || mc.SMTP.Timeout <= 0 {
		t.Errorf("SMTP settings after apply: port %d, security %q, timeout %v", mc.SMTP.Port, mc.SMTP.Security, mc.SMTP.Timeout)
	}
	bad := mailConfig{PublicURL: "meibo.example.org"}
	if err := bad.apply(&cfg); err == nil {
		t.Error("a public URL without a scheme was taken")
	}
}

// TestInvitationsByDefaultCLI: with a public URL and no SMTP server, meibo
// import and meibo user add invite new users with an address and no
// password unless --no-invite; the invitations wait in the outbox.
func TestInvitationsByDefaultCLI(t *testing.T) {
	c := newCLI(t)
	c.ok("group", "create", "G1")
	public := "MEIBO_PUBLIC_URL=" + mailPublic
	c.ok("user", "add", "--group", "G1", "taro", "--email", "taro@example.org")
	if r := c.run([]string{"user", "add", "--group", "G1", "hana", "--email", "hana@example.org"}, public); r.code != 0 ||
		!strings.Contains(r.stdout, "invitation to hana@example.org is in the outbox") {
		t.Fatalf("user add by default: %s", r)
	}
	c.run([]string{"user", "add", "--group", "G1", "jiro", "--email", "jiro@example.org", "--no-invite"}, public)
	if r := c.run([]string{"user", "add", "--group", "G1", "kyo", "--send-invitation", "--no-invite"}, public); r.code == 0 {
		t.Errorf("both --send-invitation and --no-invite: %s", r)
	}
	file := c.file("users.csv", []byte("name,password,email\r\nann,,ann@example.org\r\nben,Amber-canyon-17,ben@example.org\r\n"))
	if r := c.run([]string{"import", "--format", "users", "--group", "G1", "--json", file}, public); r.code != 0 {
		t.Fatalf("import by default: %s", r)
	}
	file = c.file("more.csv", []byte("name,password,email\r\ncid,,cid@example.org\r\n"))
	if r := c.run([]string{"import", "--format", "users", "--group", "G1", "--no-invite", "--json", file}, public); r.code != 0 {
		t.Fatalf("import --no-invite: %s", r)
	}
	file = c.file("old.csv", []byte("name,password,email\r\ndai,,dai@example.org\r\n"))
	if r := c.run([]string{"import", "--format", "users", "--group", "G1", "--invite", "--no-invite", file}, public); r.code == 0 {
		t.Errorf("both --invite and --no-invite: %s", r)
	}
	// Without a public URL no link can be made: no invitation by default.
	file = c.file("nourl.csv", []byte("name,password,email\r\neve,,eve@example.org\r\n"))
	c.ok("import", "--format", "users", "--group", "G1", file)

	r := c.ok("mail", "list")
	out := r.stdout
	for _, who := range []string{"hana@example.org", "ann@example.org"} {
		if !strings.Contains(out, who) {
			t.Errorf("no invitation to %s in the outbox:\n%s", who, out)
		}
	}
	for _, who := range []string{"taro@", "jiro@", "ben@", "cid@", "eve@", "dai@"} {
		if strings.Contains(out, who) {
			t.Errorf("an invitation to %s in the outbox:\n%s", who, out)
		}
	}
	if n := strings.Count(out, "pending"); n != 2 {
		t.Errorf("%d pending messages, want 2:\n%s", n, out)
	}
}
