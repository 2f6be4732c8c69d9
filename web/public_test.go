package web_test

// The public pages over a real service and store, served by httptest: the
// page that sets a password from a link, and the reset request, which must
// answer alike whether or not the account exists.

import (
	"context"
	"fmt"
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
	"time"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/argon2id"
	"github.com/meibo/meibo/service"
	"github.com/meibo/meibo/store/sqlstore"
	"github.com/meibo/meibo/store/storetest"
	"github.com/meibo/meibo/web"
)

const publicURL = "https://meibo.example.org"

var linkRE = regexp.MustCompile(`https://meibo\.example\.org/password/(mbl_[A-Za-z0-9_-]{43})\b`)

// clock is a clock the test moves.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

type pubEnv struct {
	t      *testing.T
	db     *sqlstore.DB
	svc    *service.Service
	hasher *argon2id.Hasher
	clock  *clock
	srv    *httptest.Server
	sys    context.Context
	min    time.Duration
	sent   *sentMail
}

// sentMail is a mail server that keeps what it was handed: the only place
// a password link is ever readable.
type sentMail struct {
	mu   sync.Mutex
	msgs map[int64]*meibo.MailMessage
}

func (s *sentMail) Send(_ context.Context, m *meibo.MailMessage) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.msgs[m.ID] = m
	return nil
}

func newPubEnv(t *testing.T, engine string, minReset time.Duration) *pubEnv {
	t.Helper()
	h := argon2id.ForTests()
	c := &clock{now: time.Date(2025, 9, 1, 9, 0, 0, 0, time.UTC)}
	db := storetest.Open(t, engine, c.Now)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	sent := &sentMail{msgs: map[int64]*meibo.MailMessage{}}
	svc := service.New(db, service.Config{Hasher: h, Logger: log, Clock: c.Now, PublicURL: publicURL, Sender: sent})
	t.Cleanup(svc.WaitAudits) // the audits of refused requests, before the store closes
	pub, err := web.NewPublic(svc, web.PublicOptions{Logger: log, MinResetTime: minReset})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	pub.Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	e := &pubEnv{t: t, db: db, svc: svc, hasher: h, clock: c, srv: srv, sys: meibo.WithActor(context.Background(), meibo.System("cli:test")), min: minReset, sent: sent}
	if _, err := svc.CreateGroup(e.sys, meibo.Group{ID: "G1", Name: "Sales"}); err != nil {
		t.Fatal(err)
	}
	return e
}

// client is a browser: it keeps cookies and does not follow redirects.
func (e *pubEnv) client() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Timeout: 10 * time.Second}
}

type page struct {
	status int
	body   string
	header http.Header
	took   time.Duration
}

func (e *pubEnv) do(c *http.Client, method, path string, form url.Values, header map[string]string) page {
	e.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, e.srv.URL+path, body)
	if err != nil {
		e.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range header {
		if k == "Host" {
			req.Host = v
		} else {
			req.Header.Set(k, v)
		}
	}
	start := time.Now()
	res, err := c.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return page{res.StatusCode, string(b), res.Header, time.Since(start)}
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]*)"`)

// csrf returns the form token of a page.
func (e *pubEnv) csrf(p page) string {
	e.t.Helper()
	m := csrfRE.FindStringSubmatch(p.body)
	if m == nil || len(m[1]) < 32 {
		e.t.Fatalf("no CSRF token in the page (%d):\n%s", p.status, p.body)
	}
	return m[1]
}

// outbox lists the outbox, newest first.
func (e *pubEnv) outbox() []*meibo.MailMessage {
	e.t.Helper()
	msgs, err := e.svc.Mails(e.sys, meibo.MailFilter{Limit: 500})
	if err != nil {
		e.t.Fatal(err)
	}
	return msgs
}

// delivered delivers the outbox and returns message m as handed to the
// mail server.
func (e *pubEnv) delivered(m *meibo.MailMessage) *meibo.MailMessage {
	e.t.Helper()
	if _, err := e.svc.DeliverMail(context.Background()); err != nil {
		e.t.Fatal(err)
	}
	e.sent.mu.Lock()
	defer e.sent.mu.Unlock()
	d := e.sent.msgs[m.ID]
	if d == nil {
		e.t.Fatalf("message %d was not delivered", m.ID)
	}
	return d
}

// secret returns the token of the link in message m as delivered.
func (e *pubEnv) secret(m *meibo.MailMessage) string {
	e.t.Helper()
	m = e.delivered(m)
	x := linkRE.FindStringSubmatch(m.Text)
	if x == nil {
		e.t.Fatalf("no link in:\n%s", m.Text)
	}
	return x[1]
}

func (e *pubEnv) hasPassword(id int64, pw string) bool {
	e.t.Helper()
	var u *meibo.User
	if err := e.db.View(context.Background(), func(tx meibo.Tx) error {
		var err error
		u, err = tx.User(context.Background(), id)
		return err
	}); err != nil {
		e.t.Fatal(err)
	}
	if u.PasswordHash == "" {
		return false
	}
	ok, _, err := e.hasher.Verify(u.PasswordHash, meibo.NormalizePassword(pw))
	return err == nil && ok
}

func TestPasswordPage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newPubEnv(t, engine, 10*time.Millisecond)
		u, err := e.svc.CreateUser(e.sys, "G1", service.UserInput{Name: "taro", Email: "taro@example.org", SendInvitation: true})
		if err != nil {
			t.Fatal(err)
		}
		path := "/password/" + e.secret(e.outbox()[0])
		c := e.client()
		get := e.do(c, "GET", path, nil, nil)
		if get.status != 200 || !strings.Contains(get.body, "taro") || !strings.Contains(get.body, "Sales") {
			t.Fatalf("GET: %d\n%s", get.status, get.body)
		}
		for k, v := range map[string]string{"Referrer-Policy": "no-referrer", "Cache-Control": "no-store", "X-Frame-Options": "DENY"} {
			if get.header.Get(k) != v {
				t.Errorf("%s: %q", k, get.header.Get(k))
			}
		}
		token := e.csrf(get)

		// Without the form token: refused, the link still works.
		p := e.do(e.client(), "POST", path, url.Values{"password": {"Amber-canyon-17"}, "password2": {"Amber-canyon-17"}}, nil)
		if p.status != http.StatusForbidden || !strings.Contains(p.body, "expired") || e.hasPassword(u.ID, "Amber-canyon-17") {
			t.Fatalf("POST without the form token: %d", p.status)
		}
		// Two different passwords, then one the policy refuses.
		p = e.do(c, "POST", path, url.Values{"csrf": {token}, "password": {"Amber-canyon-17"}, "password2": {"Amber-canyon-18"}}, nil)
		if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, "not the same") {
			t.Errorf("mismatch: %d", p.status)
		}
		p = e.do(c, "POST", path, url.Values{"csrf": {token}, "password": {"taro"}, "password2": {"taro"}}, nil)
		if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, `id="password-error"`) {
			t.Errorf("weak password: %d\n%s", p.status, p.body)
		}
		p = e.do(c, "POST", path, url.Values{"csrf": {token}, "password": {"Amber-canyon-17"}, "password2": {"Amber-canyon-17"}}, nil)
		if p.status != 200 || !strings.Contains(p.body, "Your password is set") {
			t.Fatalf("set: %d\n%s", p.status, p.body)
		}
		if !e.hasPassword(u.ID, "Amber-canyon-17") {
			t.Fatal("the password was not set")
		}
		// Used: the link shows the "not valid" page, and changes nothing.
		p = e.do(c, "POST", path, url.Values{"csrf": {token}, "password": {"Other-pass-phrase-3"}, "password2": {"Other-pass-phrase-3"}}, nil)
		if p.status != http.StatusNotFound || !strings.Contains(p.body, "This link cannot be used") {
			t.Errorf("second use: %d\n%s", p.status, p.body)
		}
		if !e.hasPassword(u.ID, "Amber-canyon-17") {
			t.Error("the second use changed the password")
		}
		if g := e.do(e.client(), "GET", path+"?lang=ja", nil, nil); g.status != http.StatusNotFound || !strings.Contains(g.body, "このリンクは使用できません") {
			t.Errorf("GET after use (ja): %d\n%s", g.status, g.body)
		}
		// A link that was never issued looks the same.
		if g := e.do(c, "GET", "/password/mbl_"+strings.Repeat("x", 43), nil, nil); g.status != http.StatusNotFound || !strings.Contains(g.body, "This link cannot be used") {
			t.Errorf("unknown link: %d", g.status)
		}

		// An expired invitation.
		if err := e.svc.ResendInvitation(e.sys, u.ID); err != nil {
			t.Fatal(err)
		}
		path = "/password/" + e.secret(e.outbox()[0])
		if g := e.do(c, "GET", path, nil, nil); g.status != 200 {
			t.Fatalf("a new invitation: %d", g.status)
		}
		e.clock.Add(72 * time.Hour)
		p = e.do(c, "POST", path, url.Values{"csrf": {token}, "password": {"Other-pass-phrase-3"}, "password2": {"Other-pass-phrase-3"}}, nil)
		if p.status != http.StatusNotFound || !e.hasPassword(u.ID, "Amber-canyon-17") {
			t.Errorf("an expired link: %d", p.status)
		}
	})
}

// normal removes from a page what differs between two answers by design:
// the form token.
func normal(body string) string {
	return csrfRE.ReplaceAllString(body, `name="csrf" value=""`)
}

// TestResetSameAnswer: a known account, an unknown one, an unknown group
// and an account without an address get the same page, after at least the
// minimum time; only the known account gets mail, and its link is built
// from the public URL whatever the request's Host.
func TestResetSameAnswer(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newPubEnv(t, engine, 100*time.Millisecond)
		for _, in := range []service.UserInput{{Name: "taro", Email: "taro@example.org"}, {Name: "noemail"}} {
			if _, err := e.svc.CreateUser(e.sys, "G1", in); err != nil {
				t.Fatal(err)
			}
		}
		evil := map[string]string{"Host": "evil.example", "X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "http", "Forwarded": "host=evil.example"}
		var pages []page
		// Similar timing: each answer takes the minimum, give or take the
		// scheduler. A round whose answers differ by more than twice the
		// minimum is measured again, once: a path slower by design is
		// slower in both rounds, a busy test machine seldom twice (the
		// address's ten free requests allow two rounds).
		rounds, spread := 0, ""
		for rounds < 2 {
			rounds++
			pages = pages[:0]
			for _, acct := range [][2]string{{"G1", "taro"}, {"G1", "nobody"}, {"G9", "taro"}, {"G1", "noemail"}} {
				c := e.client()
				form := e.do(c, "GET", "/reset", nil, evil)
				if form.status != 200 {
					t.Fatalf("GET /reset: %d", form.status)
				}
				p := e.do(c, "POST", "/reset", url.Values{"csrf": {e.csrf(form)}, "group": {acct[0]}, "user": {acct[1]}}, evil)
				if p.took < e.min {
					t.Errorf("%v answered in %v, under the minimum %v", acct, p.took, e.min)
				}
				t.Logf("round %d, %v: %d in %v", rounds, acct, p.status, p.took)
				pages = append(pages, p)
			}
			fastest, slowest := pages[0].took, pages[0].took
			for _, p := range pages {
				fastest, slowest = min(fastest, p.took), max(slowest, p.took)
			}
			if spread = ""; slowest-fastest > 2*e.min {
				spread = fmt.Sprintf("answers took from %v to %v", fastest, slowest)
			}
			if spread == "" {
				break
			}
		}
		if spread != "" {
			t.Errorf("%s, in both rounds", spread)
		}
		for i, p := range pages[1:] {
			if p.status != pages[0].status || normal(p.body) != normal(pages[0].body) {
				t.Errorf("answer %d differs from the known account's: %d vs %d\n%s\n---\n%s", i+1, p.status, pages[0].status, p.body, pages[0].body)
			}
			if len(p.header.Values("Set-Cookie")) != len(pages[0].header.Values("Set-Cookie")) {
				t.Errorf("answer %d sets other cookies", i+1)
			}
		}
		if pages[0].status != 200 || !strings.Contains(pages[0].body, "Check your mail") {
			t.Errorf("the answer: %d\n%s", pages[0].status, pages[0].body)
		}
		msgs := e.outbox()
		if len(msgs) != rounds {
			t.Fatalf("%d messages after %d rounds: %+v", len(msgs), rounds, msgs)
		}
		for _, m := range msgs {
			if m.To != "taro@example.org" || m.Kind != meibo.MailReset {
				t.Fatalf("outbox %+v", msgs)
			}
		}
		if d := e.delivered(msgs[0]); !strings.Contains(d.Text, publicURL+"/password/mbl_") || strings.Contains(d.Text+d.HTML, "evil.example") {
			t.Errorf("the link does not come from the public URL:\n%s", d.Text)
		}
	})
}

// TestResetForm: the form token is required, both fields too.
func TestResetForm(t *testing.T) {
	e := newPubEnv(t, "sqlite", 10*time.Millisecond)
	if _, err := e.svc.CreateUser(e.sys, "G1", service.UserInput{Name: "taro", Email: "taro@example.org"}); err != nil {
		t.Fatal(err)
	}
	c := e.client()
	p := e.do(c, "POST", "/reset", url.Values{"group": {"G1"}, "user": {"taro"}}, nil)
	if p.status != http.StatusForbidden || !strings.Contains(p.body, "expired") {
		t.Errorf("no form token: %d", p.status)
	}
	token := e.csrf(p) // the refusal gives a fresh form
	p = e.do(c, "POST", "/reset", url.Values{"csrf": {token}, "group": {"G1"}}, nil)
	if p.status != http.StatusUnprocessableEntity {
		t.Errorf("no user: %d", p.status)
	}
	if n := len(e.outbox()); n != 0 {
		t.Errorf("%d messages", n)
	}
	p = e.do(c, "POST", "/reset", url.Values{"csrf": {token}, "group": {"G1"}, "user": {"taro"}}, nil)
	if p.status != 200 || len(e.outbox()) != 1 {
		t.Errorf("with the token: %d, %d messages", p.status, len(e.outbox()))
	}
	if g := e.do(c, "GET", "/reset?group=G1&user=taro&lang=ja", nil, nil); g.status != 200 || !strings.Contains(g.body, `value="taro"`) ||
		!strings.Contains(g.body, "パスワードをお忘れですか") {
		t.Errorf("GET /reset with values: %d", g.status)
	}
}

// TestResetRateLimit: per account, then per address, a rate-limited answer
// and no further mail.
func TestResetRateLimit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newPubEnv(t, engine, 5*time.Millisecond)
		for _, name := range []string{"taro", "jiro"} {
			if _, err := e.svc.CreateUser(e.sys, "G1", service.UserInput{Name: name, Email: name + "@example.org"}); err != nil {
				t.Fatal(err)
			}
		}
		c := e.client()
		token := e.csrf(e.do(c, "GET", "/reset", nil, nil))
		post := func(user string) page {
			return e.do(c, "POST", "/reset", url.Values{"csrf": {token}, "group": {"G1"}, "user": {user}}, nil)
		}
		for i := range 3 {
			if p := post("taro"); p.status != 200 {
				t.Fatalf("request %d: %d", i+1, p.status)
			}
		}
		p := post("taro")
		if p.status != http.StatusTooManyRequests || !strings.Contains(p.body, `role="alert"`) {
			t.Errorf("fourth request for one account: %d\n%s", p.status, p.body)
		}
		if n := len(e.outbox()); n != 3 {
			t.Errorf("%d messages, want 3", n)
		}
		// All requests come from 127.0.0.1: three counted so far (a refused
		// one does not count); seven more accounts, then the address must
		// wait.
		for i := range 7 {
			if p := post("guess" + string(rune('a'+i))); p.status != 200 {
				t.Fatalf("guess %d: %d", i, p.status)
			}
		}
		if p := post("jiro"); p.status != http.StatusTooManyRequests {
			t.Errorf("eleventh request from one address: %d", p.status)
		}
		if n := len(e.outbox()); n != 3 {
			t.Errorf("%d messages, want 3", n)
		}
	})
}
