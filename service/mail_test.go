package service_test

// Tests of the outbox, its worker and the single-use links, against a real
// SMTP server on 127.0.0.1 (internal/smtptest) that asks for STARTTLS and
// AUTH PLAIN. The clock is the test's: retries and expiries are reached by
// moving it, and DeliverMail runs one round of the worker in between.
// Every name here starts with "ml".

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/argon2id"
	"github.com/meibo/meibo/internal/smtptest"
	"github.com/meibo/meibo/mailer"
	"github.com/meibo/meibo/service"
	"github.com/meibo/meibo/store/postgres"
	"github.com/meibo/meibo/store/sqlite"
	"github.com/meibo/meibo/store/sqlstore"
	"github.com/meibo/meibo/store/storetest"
)

const (
	mlFrom   = "meibo <noreply@meibo.example.org>"
	mlPublic = "https://meibo.example.org"
)

// mlLink finds a link in a message: the token is "mbl_" and 256 bits in
// unpadded base64url (43 characters).
var mlLink = regexp.MustCompile(`https://meibo\.example\.org/password/(mbl_[A-Za-z0-9_-]{43})\b`)

// mlEnv is a service with a sender to a test SMTP server, on a fresh
// database, with a clock only the test moves.
type mlEnv struct {
	t      *testing.T
	engine string
	db     *sqlstore.DB
	store  *mlStore
	svc    *service.Service
	cfg    service.Config
	clock  *testClock
	smtp   *smtptest.Server
	hasher *argon2id.Hasher
	sys    context.Context
}

func newMlEnv(t *testing.T, engine string, configure ...func(*service.Config)) *mlEnv {
	t.Helper()
	h := argon2id.ForTests()
	clock := &testClock{now: time.Date(2025, 9, 1, 9, 0, 0, 0, time.UTC)}
	db := storetest.Open(t, engine, clock.Now)
	srv := smtptest.Start(t, smtptest.Options{StartTLS: true, Username: "relay", Password: "relay-secret"})
	sender, err := mailer.New(srv.Mailer(mlFrom))
	if err != nil {
		t.Fatal(err)
	}
	cfg := service.Config{Hasher: h, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), HashWorkers: 2, Clock: clock.Now,
		Sender: sender, PublicURL: mlPublic, Worker: "mailtest:1"}
	for _, f := range configure {
		f(&cfg)
	}
	st := &mlStore{Store: db}
	svc := service.New(st, cfg)
	t.Cleanup(svc.WaitAudits) // the audits of refused requests, before the store closes
	return &mlEnv{t: t, engine: engine, db: db, store: st, svc: svc, cfg: cfg, clock: clock, smtp: srv, hasher: h,
		sys: meibo.WithActor(bg, meibo.System("cli:test"))}
}

func (e *mlEnv) must(err error) {
	e.t.Helper()
	if err != nil {
		e.t.Fatal(err)
	}
}

func (e *mlEnv) group(id, name string) {
	e.t.Helper()
	_, err := e.svc.CreateGroup(e.sys, meibo.Group{ID: id, Name: name})
	e.must(err)
}

// invite adds a user with an invitation.
func (e *mlEnv) invite(group, name, email string) *meibo.User {
	e.t.Helper()
	u, err := e.svc.CreateUser(e.sys, group, service.UserInput{Name: name, Email: email, SendInvitation: true})
	e.must(err)
	return u
}

// outbox lists the outbox, newest first, as the command line sees it.
func (e *mlEnv) outbox(status meibo.MailStatus) []*meibo.MailMessage {
	e.t.Helper()
	msgs, err := e.svc.Mails(e.sys, meibo.MailFilter{Status: status, Limit: 500})
	e.must(err)
	return msgs
}

// only returns the one message of the outbox.
func (e *mlEnv) only() *meibo.MailMessage {
	e.t.Helper()
	msgs := e.outbox("")
	if len(msgs) != 1 {
		e.t.Fatalf("%d messages in the outbox, want 1", len(msgs))
	}
	return msgs[0]
}

// deliver runs one round of the worker and returns how many attempts it
// made.
func (e *mlEnv) deliver() int {
	e.t.Helper()
	n, err := e.svc.DeliverMail(bg)
	e.must(err)
	return n
}

// worker runs svc's mail worker until the returned function is called.
func mlWorker(svc *service.Service) (stop func()) {
	ctx, cancel := context.WithCancel(bg)
	done := make(chan struct{})
	go func() {
		defer close(done)
		svc.RunMailWorker(ctx)
	}()
	return func() {
		cancel()
		<-done
	}
}

// waitStatus polls the outbox until message id has status.
func (e *mlEnv) waitStatus(id int64, status meibo.MailStatus) *meibo.MailMessage {
	e.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		m, err := e.svc.Mail(e.sys, id)
		e.must(err)
		if m.Status == status {
			return m
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("message %d is %s after 10 s, want %s (%s)", id, m.Status, status, m.LastError)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// count counts the rows of a table.
func (e *mlEnv) count(table string) int {
	e.t.Helper()
	var n int
	e.must(e.db.ReadDB().QueryRowContext(bg, "SELECT count(*) FROM "+table).Scan(&n))
	return n
}

// events returns the audit events of action, newest first.
func (e *mlEnv) events(action string) []*meibo.AuditEvent {
	e.t.Helper()
	var out []*meibo.AuditEvent
	e.must(e.db.View(bg, func(tx meibo.Tx) error {
		all, err := tx.AuditEvents(bg, meibo.AuditFilter{Limit: 1000})
		for _, ev := range all {
			if ev.Action == action {
				out = append(out, ev)
			}
		}
		return err
	}))
	return out
}

// stored reads a user as stored.
func (e *mlEnv) stored(id int64) *meibo.User {
	e.t.Helper()
	var u *meibo.User
	e.must(e.db.View(bg, func(tx meibo.Tx) error {
		var err error
		u, err = tx.User(bg, id)
		return err
	}))
	return u
}

// hasPassword reports whether user id's password is pw.
func (e *mlEnv) hasPassword(id int64, pw string) bool {
	e.t.Helper()
	h := e.stored(id).PasswordHash
	if h == "" {
		return false
	}
	ok, _, err := e.hasher.Verify(h, meibo.NormalizePassword(pw))
	return err == nil && ok
}

// actor signs in an administrator made with auth (and groups, for a
// department administrator) and returns its context.
func (e *mlEnv) actor(loginID string, auth meibo.Authorities, groups ...string) context.Context {
	e.t.Helper()
	const pw = "Velvet-summit-88"
	_, err := e.svc.CreateAdmin(e.sys, service.AdminInput{LoginID: loginID, Name: loginID, Password: pw, Authorities: auth, Groups: groups})
	e.must(err)
	tok, _, err := e.svc.Login(bg, loginID, pw, "192.0.2.10")
	e.must(err)
	a, err := e.svc.Authenticate(bg, tok, "192.0.2.10")
	e.must(err)
	return meibo.WithActor(bg, a)
}

// mlSecret returns the token of the one link in text.
func mlSecret(t *testing.T, text string) string {
	t.Helper()
	m := mlLink.FindAllStringSubmatch(text, -1)
	if len(m) == 0 {
		t.Fatalf("no link in:\n%s", text)
	}
	for _, x := range m[1:] {
		if x[1] != m[0][1] {
			t.Fatalf("two different links in:\n%s", text)
		}
	}
	return m[0][1]
}

// sentSecret runs one round of the worker and returns the token of the link
// in the last message it delivered: links exist only in delivered mail.
func (e *mlEnv) sentSecret() string {
	e.t.Helper()
	before := len(e.smtp.Messages())
	if n := e.deliver(); n == 0 {
		e.t.Fatal("nothing to deliver")
	}
	got := e.smtp.Wait(e.t, before+1, 10*time.Second)
	return mlSecret(e.t, got[len(got)-1].Text)
}

// wantInvalid fails unless err says the link is not valid.
func mlWantInvalid(t *testing.T, err error, what string) {
	t.Helper()
	if e := meibo.AsError(err); e == nil || e.Code != meibo.CodeNotFound || e.Msg.Key != "link.invalid" {
		t.Fatalf("%s: %v, want link.invalid", what, err)
	}
}

// mlStore wraps a store so that CreateMails can fail after writing, as a
// later step of the same transaction would.
type mlStore struct {
	meibo.Store
	mu       sync.Mutex
	failMail error
	// afterClaim, when set, runs once after a transaction that claimed a
	// message and before the next one begins (the worker's minting of
	// the message's link).
	afterClaim func()
	claimed    bool
}

func (s *mlStore) failAfterMail(err error) {
	s.mu.Lock()
	s.failMail = err
	s.mu.Unlock()
}

func (s *mlStore) Update(ctx context.Context, fn func(meibo.Tx) error) error {
	s.mu.Lock()
	var hook func()
	if s.claimed {
		hook, s.afterClaim, s.claimed = s.afterClaim, nil, false
	}
	s.mu.Unlock()
	if hook != nil {
		hook()
	}
	return s.Store.Update(ctx, func(tx meibo.Tx) error { return fn(&mlTx{Tx: tx, s: s}) })
}

func (t *mlTx) ClaimMails(ctx context.Context, worker string, leaseUntil time.Time, limit int) ([]*meibo.MailMessage, error) {
	msgs, err := t.Tx.ClaimMails(ctx, worker, leaseUntil, limit)
	t.s.mu.Lock()
	t.s.claimed = t.s.claimed || len(msgs) > 0 && t.s.afterClaim != nil
	t.s.mu.Unlock()
	return msgs, err
}

type mlTx struct {
	meibo.Tx
	s *mlStore
}

func (t *mlTx) CreateMails(ctx context.Context, msgs []*meibo.MailMessage) error {
	if err := t.Tx.CreateMails(ctx, msgs); err != nil {
		return err
	}
	t.s.mu.Lock()
	defer t.s.mu.Unlock()
	return t.s.failMail
}

// TestMailDelivery: the worker delivers an invitation as soon as it is
// queued; the message carries the headers, both parts and a link made of
// the public URL and a token stored only as its hash.
func TestMailDelivery(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newMlEnv(t, engine)
		e.group("G1", "営業部 <Sales>")
		stop := mlWorker(e.svc)
		defer stop()
		u := e.invite("G1", "taro", "taro@example.org")
		got := e.smtp.Wait(t, 1, 10*time.Second)[0]
		m := e.waitStatus(e.only().ID, meibo.MailSent)

		now := e.clock.Now()
		if m.Kind != meibo.MailInvitation || m.GroupID != "G1" || m.UserID == nil || *m.UserID != u.ID || m.To != "taro@example.org" ||
			m.Lang != meibo.English || m.Attempts != 1 || m.LastError != "" || m.SentAt == nil || !m.SentAt.Equal(now) ||
			!m.CreatedAt.Equal(now) || !m.GiveUpAt.Equal(now.Add(24*time.Hour)) {
			t.Errorf("outbox message %+v", m)
		}
		if got.ParseErr != nil {
			t.Fatalf("unreadable message: %v\n%s", got.ParseErr, got.Raw)
		}
		if !got.TLS || got.AuthUser != "relay" || len(got.To) != 1 || got.To[0] != "taro@example.org" {
			t.Errorf("delivered over TLS %v, as %q, to %v", got.TLS, got.AuthUser, got.To)
		}
		h := got.Header
		if h.Get("Message-ID") != "<"+mailer.MessageID(m, mlFrom)+">" || h.Get("Auto-Submitted") != "auto-generated" ||
			h.Get("Content-Language") != "en" || !strings.Contains(h.Get("To"), "taro@example.org") ||
			!strings.Contains(h.Get("From"), "noreply@meibo.example.org") {
			t.Errorf("headers %v", h)
		}
		if d, err := h.Date(); err != nil || !d.Equal(m.CreatedAt.Truncate(time.Second)) {
			t.Errorf("Date %q: %v", h.Get("Date"), err)
		}
		if got.Subject != m.Subject || !strings.Contains(got.Subject, "営業部 <Sales>") {
			t.Errorf("subject %q, stored %q", got.Subject, m.Subject)
		}
		// The outbox holds the text with a placeholder where the link
		// went; the link itself was minted for this delivery only.
		const placeholder = "[link sent only to the addressee]"
		if strings.Contains(m.Text+m.HTML, "mbl_") || !strings.Contains(m.Text, placeholder) || !strings.Contains(m.HTML, placeholder) {
			t.Errorf("the outbox shows a link, or no placeholder:\n%s\n%s", m.Text, m.HTML)
		}
		if text := strings.ReplaceAll(got.Text, "\r\n", "\n"); text != strings.ReplaceAll(m.Text, placeholder, mlLink.FindString(text)) {
			t.Errorf("the text part differs from the outbox but for the link:\n%s", got.Text)
		}
		if !strings.Contains(got.HTML, "営業部 &lt;Sales&gt;") {
			t.Errorf("the HTML part does not escape the group name:\n%s", got.HTML)
		}
		secret := mlSecret(t, got.Text)
		if mlSecret(t, got.HTML) != secret {
			t.Error("the text and HTML parts carry different links")
		}
		// The token is stored by its hash only.
		e.must(e.db.View(bg, func(tx meibo.Tx) error {
			if _, err := tx.UserToken(bg, secret); meibo.ErrorCode(err) != meibo.CodeNotFound {
				t.Errorf("the token is stored in clear: %v", err)
			}
			k, err := tx.UserToken(bg, meibo.HashToken(secret))
			if err != nil {
				return err
			}
			if k.UserID != u.ID || k.Purpose != meibo.MailInvitation || !k.ExpiresAt.Equal(now.Add(72*time.Hour)) {
				t.Errorf("token %+v", k)
			}
			return nil
		}))
		info, err := e.svc.CheckLink(bg, secret)
		if err != nil || info.UserName != "taro" || info.GroupID != "G1" || info.Purpose != meibo.MailInvitation {
			t.Errorf("CheckLink = %+v, %v", info, err)
		}
		if ev := e.events("mail.sent"); len(ev) != 1 || ev[0].ObjectID != fmt.Sprint(m.ID) || ev[0].GroupID != "G1" || ev[0].ActorKind != meibo.ActorSystem {
			t.Errorf("mail.sent events %+v", ev)
		}
		if ev := e.events("user.create"); len(ev) != 1 || fmt.Sprint(ev[0].Details["invitation"]) != fmt.Sprint(m.ID) {
			t.Errorf("user.create events %+v", ev)
		}

		// The mail language setting chooses Japanese for the next one.
		_, err = e.svc.UpdateSettings(e.sys, map[string]string{meibo.SettingMailLanguage: "ja"})
		e.must(err)
		e.invite("G1", "hanako", "hanako@example.org")
		ja := e.smtp.Wait(t, 2, 10*time.Second)[1]
		if ja.Header.Get("Content-Language") != "ja" || !strings.Contains(ja.Subject, "招待") ||
			!strings.HasPrefix(ja.Header.Get("Subject"), "=?UTF-8?") || !strings.Contains(ja.Text, "hanako 様") {
			t.Errorf("Japanese invitation: %q, %q\n%s", ja.Header.Get("Subject"), ja.Subject, ja.Text)
		}
	})
}

// TestMailRetry: a 4xx reply is retried after one minute, then two, and the
// message finally goes out once, with the Message-ID it always had.
func TestMailRetry(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newMlEnv(t, engine)
		e.group("G1", "")
		e.invite("G1", "taro", "taro@example.org")
		e.smtp.Refuse(2, 451)
		t0 := e.clock.Now()
		if n := e.deliver(); n != 1 {
			t.Fatalf("first round: %d attempts", n)
		}
		m := e.only()
		if m.Status != meibo.MailPending || m.Attempts != 1 || !strings.Contains(m.LastError, "451") || !m.NextAttemptAt.Equal(t0.Add(time.Minute)) {
			t.Fatalf("after a 451: %+v", m)
		}
		if n := e.deliver(); n != 0 {
			t.Errorf("a message that is not due was attempted %d times", n)
		}
		e.clock.Add(59 * time.Second)
		if n := e.deliver(); n != 0 {
			t.Errorf("attempted %d times before its time", n)
		}
		e.clock.Add(time.Second)
		if n := e.deliver(); n != 1 {
			t.Fatalf("second round: %d attempts", n)
		}
		if m2 := e.only(); m2.Status != meibo.MailPending || m2.Attempts != 2 || !m2.NextAttemptAt.Equal(e.clock.Now().Add(2*time.Minute)) {
			t.Fatalf("after a second 451: %+v", m2)
		}
		e.clock.Add(2 * time.Minute)
		if n := e.deliver(); n != 1 {
			t.Fatalf("third round: %d attempts", n)
		}
		sent := e.only()
		if sent.Status != meibo.MailSent || sent.Attempts != 3 || sent.LastError != "" || !sent.SentAt.Equal(e.clock.Now()) {
			t.Errorf("after delivery: %+v", sent)
		}
		msgs := e.smtp.Messages()
		if _, datas := e.smtp.Counts(); len(msgs) != 1 || datas != 3 {
			t.Fatalf("%d messages accepted of %d transmitted, want 1 of 3", len(msgs), datas)
		}
		if id := msgs[0].Header.Get("Message-ID"); id != "<"+mailer.MessageID(m, mlFrom)+">" {
			t.Errorf("Message-ID %q changed across retries (want that of the first attempt)", id)
		}
		e.clock.Add(time.Hour)
		if n := e.deliver(); n != 0 || len(e.smtp.Messages()) != 1 {
			t.Errorf("a sent message was attempted again")
		}
	})
}

// TestMailPermanentFailure: a 5xx reply fails the message at once, with the
// server's answer visible in the outbox and the audit trail.
func TestMailPermanentFailure(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newMlEnv(t, engine)
		e.group("G1", "")
		e.invite("G1", "taro", "taro@example.org")
		e.smtp.Refuse(1, 550)
		if n := e.deliver(); n != 1 {
			t.Fatalf("%d attempts", n)
		}
		failed := e.outbox(meibo.MailFailed)
		if len(failed) != 1 || failed[0].Attempts != 1 || !strings.Contains(failed[0].LastError, "550") || failed[0].SentAt != nil {
			t.Fatalf("failed messages %+v", failed)
		}
		if p := e.outbox(meibo.MailPending); len(p) != 0 {
			t.Errorf("%d still pending", len(p))
		}
		if ev := e.events("mail.failed"); len(ev) != 1 || ev[0].ObjectID != fmt.Sprint(failed[0].ID) {
			t.Errorf("mail.failed events %+v", ev)
		}
		e.clock.Add(48 * time.Hour)
		if n := e.deliver(); n != 0 {
			t.Errorf("a failed message was attempted again")
		}
		if _, datas := e.smtp.Counts(); datas != 1 || len(e.smtp.Messages()) != 0 {
			t.Errorf("%d transmissions, %d accepted", datas, len(e.smtp.Messages()))
		}
	})
}

// TestMailMisconfigured: a relay that does not offer the STARTTLS the
// configuration requires, or refuses the credentials, fails the message at
// once with the reason in the outbox; nothing travels in clear.
func TestMailMisconfigured(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		plain := smtptest.Start(t, smtptest.Options{})
		noTLS := plain.Mailer(mlFrom)
		noTLS.Security = mailer.StartTLS
		auth := smtptest.Start(t, smtptest.Options{StartTLS: true, Username: "relay", Password: "relay-secret"})
		wrong := auth.Mailer(mlFrom)
		wrong.Password = "not-the-secret"
		for _, c := range []struct {
			name string
			cfg  mailer.Config
			srv  *smtptest.Server
			want string
		}{
			{"STARTTLS not offered", noTLS, plain, "STARTTLS"},
			{"wrong password", wrong, auth, "535"},
		} {
			sender, err := mailer.New(c.cfg)
			if err != nil {
				t.Fatal(err)
			}
			e := newMlEnv(t, engine, func(cfg *service.Config) { cfg.Sender = sender })
			e.group("G1", "")
			e.invite("G1", "taro", "taro@example.org")
			if n := e.deliver(); n != 1 {
				t.Fatalf("%s: %d attempts", c.name, n)
			}
			m := e.only()
			if m.Status != meibo.MailFailed || m.Attempts != 1 || !strings.Contains(m.LastError, c.want) {
				t.Errorf("%s: %s after %d attempts: %s", c.name, m.Status, m.Attempts, m.LastError)
			}
			if mails, datas := c.srv.Counts(); mails != 0 || datas != 0 || len(c.srv.Messages()) != 0 {
				t.Errorf("%s: the server took %d MAIL commands and %d messages", c.name, mails, datas)
			}
		}
	})
}

// TestMailGiveUp: temporary failures are retried until MailGiveUp has
// passed since the message was queued; the last attempt is made at that
// time, then the message is failed, visibly.
func TestMailGiveUp(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newMlEnv(t, engine, func(c *service.Config) { c.MailGiveUp = 10 * time.Minute })
		e.group("G1", "")
		e.invite("G1", "taro", "taro@example.org")
		e.smtp.Refuse(1000, 421)
		t0 := e.clock.Now()
		var at []time.Duration
		for range 20 {
			if n := e.deliver(); n == 1 {
				at = append(at, e.clock.Now().Sub(t0))
			}
			m := e.only()
			if m.Status != meibo.MailPending {
				break
			}
			if !m.NextAttemptAt.After(e.clock.Now()) {
				t.Fatalf("next attempt %v is not after now %v", m.NextAttemptAt, e.clock.Now())
			}
			e.clock.Add(m.NextAttemptAt.Sub(e.clock.Now()))
		}
		want := []time.Duration{0, time.Minute, 3 * time.Minute, 7 * time.Minute, 10 * time.Minute}
		if !slices.Equal(at, want) {
			t.Errorf("attempts at %v, want %v", at, want)
		}
		failed := e.outbox(meibo.MailFailed)
		if len(failed) != 1 || failed[0].Attempts != len(want) || !strings.HasPrefix(failed[0].LastError, fmt.Sprintf("Gave up after %d attempts: ", len(want))) ||
			!strings.Contains(failed[0].LastError, "421") {
			t.Fatalf("failed messages %+v", failed)
		}
		if ev := e.events("mail.failed"); len(ev) != 1 {
			t.Errorf("%d mail.failed events", len(ev))
		}
		e.clock.Add(time.Hour)
		if n := e.deliver(); n != 0 {
			t.Error("a message given up was attempted again")
		}
	})
}

// TestMailNoSender: without SMTP the worker does not run; messages stay
// pending and readable, with their link, and the test message is refused.
func TestMailNoSender(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newMlEnv(t, engine, func(c *service.Config) { c.Sender = nil })
		done := make(chan struct{})
		go func() {
			e.svc.RunMailWorker(bg)
			close(done)
		}()
		select {
		case <-done:
		case <-time.After(2 * time.Second):
			t.Fatal("RunMailWorker without a sender did not return")
		}
		e.group("G1", "")
		u := e.invite("G1", "taro", "taro@example.org")
		if n := e.deliver(); n != 0 {
			t.Errorf("DeliverMail without a sender made %d attempts", n)
		}
		m := e.only()
		if m.Status != meibo.MailPending || m.Attempts != 0 || *m.UserID != u.ID {
			t.Errorf("%+v", m)
		}
		// Its link is never minted: the outbox shows none and no token
		// exists.
		if strings.Contains(m.Text+m.HTML, "mbl_") || !strings.Contains(m.Text, "[link sent only to the addressee]") {
			t.Errorf("the outbox shows a link, or no placeholder:\n%s", m.Text)
		}
		if n := e.count("user_tokens"); n != 0 {
			t.Errorf("%d tokens minted without delivery", n)
		}
		err := e.svc.SendTestMail(e.sys, "ops@example.org", meibo.English)
		if me := wantCode(t, err, meibo.CodeInvalid); me.Msg.Key != "mail.no_sender" {
			t.Errorf("test message without a sender: %v", err)
		}
	})
}

// TestMailRollback: a change that is refused, or fails after its message
// was written, leaves no message, no link and no user, and sends nothing.
func TestMailRollback(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newMlEnv(t, engine)
		e.group("G1", "")
		e.invite("G1", "taro", "taro@example.org")
		if n := e.deliver(); n != 1 {
			t.Fatal(n)
		}
		outbox, tokens := e.count("mail_outbox"), e.count("user_tokens")
		users := must(e.svc.FindUsers(e.sys, meibo.UserFilter{GroupID: "G1"}))(t).Users

		// A duplicate name.
		_, err := e.svc.CreateUser(e.sys, "G1", service.UserInput{Name: "taro", Email: "other@example.org", SendInvitation: true})
		wantCode(t, err, meibo.CodeConflict)
		// No e-mail address.
		_, err = e.svc.CreateUser(e.sys, "G1", service.UserInput{Name: "noemail", SendInvitation: true})
		if f := wantCode(t, err, meibo.CodeInvalid).Fields["email"]; f.Key != "invitation.no_email" {
			t.Errorf("an invitation without an address: %v", err)
		}
		// A disabled user, who could not use the link.
		_, err = e.svc.CreateUser(e.sys, "G1", service.UserInput{Name: "offline", Email: "offline@example.org", Disabled: true, SendInvitation: true})
		if f := wantCode(t, err, meibo.CodeInvalid).Fields["sendInvitation"]; f.Key != "invitation.disabled" {
			t.Errorf("an invitation to a disabled user: %v", err)
		}
		// Past the licence limit.
		_, err = e.svc.UpdateSettings(e.sys, map[string]string{meibo.SettingLicenceLimit: "1"})
		e.must(err)
		_, err = e.svc.CreateUser(e.sys, "G1", service.UserInput{Name: "jiro", Email: "jiro@example.org", SendInvitation: true})
		wantCode(t, err, meibo.CodeLicenceExceeded)
		_, err = e.svc.UpdateSettings(e.sys, map[string]string{meibo.SettingLicenceLimit: "0"})
		e.must(err)
		// A failure after the message is written.
		boom := fmt.Errorf("disk full")
		e.store.failAfterMail(boom)
		_, err = e.svc.CreateUser(e.sys, "G1", service.UserInput{Name: "saburo", Email: "saburo@example.org", SendInvitation: true})
		if err == nil || !strings.Contains(err.Error(), "disk full") {
			t.Errorf("CreateUser with a failing outbox: %v", err)
		}
		err = e.svc.ResendInvitation(e.sys, users[0].ID)
		if err == nil || !strings.Contains(err.Error(), "disk full") {
			t.Errorf("ResendInvitation with a failing outbox: %v", err)
		}
		e.store.failAfterMail(nil)
		// No public URL: refused before anything is written.
		noURL := e.cfg
		noURL.PublicURL = ""
		_, err = service.New(e.store, noURL).CreateUser(e.sys, "G1", service.UserInput{Name: "shiro", Email: "shiro@example.org", SendInvitation: true})
		if me := wantCode(t, err, meibo.CodeInvalid); me.Msg.Key != "invitation.no_url" {
			t.Errorf("no public URL: %v", err)
		}

		if n := e.count("mail_outbox"); n != outbox {
			t.Errorf("%d messages in the outbox after refused changes, want %d", n, outbox)
		}
		if n := e.count("user_tokens"); n != tokens {
			t.Errorf("%d links after refused changes, want %d", n, tokens)
		}
		if got := must(e.svc.FindUsers(e.sys, meibo.UserFilter{GroupID: "G1"}))(t).Users; len(got) != len(users) {
			t.Errorf("%d users after refused changes, want %d", len(got), len(users))
		}
		// The resend that failed left the first link usable.
		if _, err := e.svc.CheckLink(bg, mlSecret(t, e.smtp.Messages()[0].Text)); err != nil {
			t.Errorf("a failed resend revoked the link: %v", err)
		}
		e.clock.Add(time.Hour)
		if n := e.deliver(); n != 0 || len(e.smtp.Messages()) != 1 {
			t.Errorf("refused changes sent mail: %d attempts, %d messages", n, len(e.smtp.Messages()))
		}
	})
}

func mlUsersFile(lines ...string) []byte {
	return []byte("name,password,email\r\n" + strings.Join(lines, "\r\n") + "\r\n")
}

// TestMailImportInvitations: an import queues one invitation per new user
// with an address, in its own transaction, only when asked.
func TestMailImportInvitations(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newMlEnv(t, engine)
		e.group("G1", "営業部")
		run := func(req service.ImportRequest, data []byte) *meibo.ImportJob {
			t.Helper()
			req.Format, req.GroupID = meibo.FormatUsers, "G1"
			job, err := e.svc.SubmitAndRun(e.sys, req, data, nil)
			e.must(err)
			return job
		}

		// A dry run queues nothing.
		job := run(service.ImportRequest{SendInvitations: true, DryRun: true}, mlUsersFile("ann,,ann@example.org"))
		if job.Status != meibo.ImportSuccess || e.count("mail_outbox") != 0 {
			t.Fatalf("dry run: %s, %d messages", job.Status, e.count("mail_outbox"))
		}
		// A refused file queues nothing.
		job = run(service.ImportRequest{SendInvitations: true}, mlUsersFile("ann,,ann@example.org", "ben,short,ben@example.org"))
		if job.Status != meibo.ImportFailed || e.count("mail_outbox") != 0 || e.count("user_tokens") != 0 || e.count("users") != 0 {
			t.Fatalf("refused file: %s, %d messages", job.Status, e.count("mail_outbox"))
		}
		// A failure after the messages are written rolls them back with
		// the users.
		e.store.failAfterMail(fmt.Errorf("disk full"))
		job, err := e.svc.SubmitAndRun(e.sys, service.ImportRequest{Format: meibo.FormatUsers, GroupID: "G1", SendInvitations: true},
			mlUsersFile("ann,,ann@example.org"), nil)
		e.store.failAfterMail(nil)
		if (err == nil && job.Status != meibo.ImportFailed) || e.count("mail_outbox") != 0 || e.count("user_tokens") != 0 || e.count("users") != 0 {
			t.Fatalf("failing apply: %v, %v, %d messages, %d users", job, err, e.count("mail_outbox"), e.count("users"))
		}

		// Four new users, one without an address, one with a password:
		// invitations to those with an address and no password (ann,
		// cub), a warning for ben.
		job = run(service.ImportRequest{SendInvitations: true}, mlUsersFile("ann,,ann@example.org", "ben,,", "cat,Amber-canyon-17,cat@example.org", "cub,,cub@example.org"))
		if job.Status != meibo.ImportSuccess || job.Created != 4 {
			t.Fatalf("import: %+v", job)
		}
		msgs, err := e.svc.ImportMessages(e.sys, job.ID, 0)
		e.must(err)
		if len(msgs) != 1 || !msgs[0].Warning || msgs[0].Row != 3 || msgs[0].Column != "email" || !strings.Contains(msgs[0].Text, "ben") {
			t.Errorf("import messages %+v", msgs)
		}
		var to []string
		for _, m := range e.outbox(meibo.MailPending) {
			to = append(to, m.To)
		}
		slices.Sort(to)
		if !slices.Equal(to, []string{"ann@example.org", "cub@example.org"}) {
			t.Fatalf("invitations to %v", to)
		}
		// A new user made disabled is not invited: the link could not be
		// used.
		run(service.ImportRequest{SendInvitations: true}, []byte("name,password,email,disabled\r\ndora,,dora@example.org,true\r\n"))
		for _, m := range e.outbox(meibo.MailPending) {
			if m.To == "dora@example.org" {
				t.Errorf("an invitation to a disabled new user: %+v", m)
			}
		}
		// Without the option, none; with it and "update existing", only
		// the new users get one.
		run(service.ImportRequest{}, mlUsersFile("dan,,dan@example.org"))
		run(service.ImportRequest{SendInvitations: true, UpdateExisting: true}, mlUsersFile("ann,,ann2@example.org", "eve,,eve@example.org"))
		to = nil
		for _, m := range e.outbox("") {
			to = append(to, m.To)
		}
		slices.Sort(to)
		if !slices.Equal(to, []string{"ann@example.org", "cub@example.org", "eve@example.org"}) {
			t.Fatalf("invitations to %v", to)
		}
		// An import asking for invitations needs the public URL.
		noURL := e.cfg
		noURL.PublicURL = ""
		_, err = service.New(e.store, noURL).SubmitAndRun(e.sys, service.ImportRequest{Format: meibo.FormatUsers, GroupID: "G1", SendInvitations: true},
			mlUsersFile("fay,,fay@example.org"), nil)
		if f := wantCode(t, err, meibo.CodeInvalid).Fields["sendInvitations"]; f.Key != "invitation.no_url" {
			t.Errorf("no public URL: %v", err)
		}

		// Each delivered invitation opens for its own user; ann's, to the
		// address she no longer has, is not sent.
		if n := e.deliver(); n != 3 {
			t.Fatalf("%d attempts", n)
		}
		for _, m := range e.outbox("") {
			if want := map[bool]meibo.MailStatus{true: meibo.MailFailed, false: meibo.MailSent}[m.To == "ann@example.org"]; m.Status != want {
				t.Errorf("the invitation to %s: %s (%s), want %s", m.To, m.Status, m.LastError, want)
			}
		}
		for _, got := range e.smtp.Wait(t, 2, 5*time.Second) {
			info, err := e.svc.CheckLink(bg, mlSecret(t, got.Text))
			if err != nil || info.UserName+"@example.org" != got.To[0] || info.GroupName != "営業部" {
				t.Errorf("the invitation to %v opens %+v, %v", got.To, info, err)
			}
		}
	})
}

// mlShared opens n stores with pools of their own on one new database.
func mlShared(t *testing.T, engine string, n int) []*sqlstore.DB {
	t.Helper()
	var open func() (*sqlstore.DB, error)
	switch engine {
	case "postgres":
		dsn := storetest.SchemaDSN(t, storetest.PostgresDSN(t))
		open = func() (*sqlstore.DB, error) { return postgres.Open(bg, dsn, 4, sqlstore.Options{}) }
	default:
		path := filepath.Join(t.TempDir(), "meibo.db")
		open = func() (*sqlstore.DB, error) { return sqlite.Open(bg, path, sqlstore.Options{}) }
	}
	var dbs []*sqlstore.DB
	for i := range n {
		db, err := open()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		if i == 0 {
			if _, err := db.Migrate(bg); err != nil {
				t.Fatal(err)
			}
		}
		dbs = append(dbs, db)
	}
	return dbs
}

// mlCounting counts the messages a sender delivered.
type mlCounting struct {
	service.Sender
	n atomic.Int64
}

func (c *mlCounting) Send(ctx context.Context, m *meibo.MailMessage) error {
	err := c.Sender.Send(ctx, m)
	if err == nil {
		c.n.Add(1)
	}
	return err
}

// TestMailTwoServers: two servers with pools of their own on one database
// run their workers at once; every message is delivered exactly once.
func TestMailTwoServers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		const n = 50
		dbs := mlShared(t, engine, 2)
		srv := smtptest.Start(t, smtptest.Options{StartTLS: true, Username: "relay", Password: "relay-secret", Delay: 2 * time.Millisecond})
		h := argon2id.ForTests()
		var svcs []*service.Service
		var senders []*mlCounting
		for i, db := range dbs {
			m, err := mailer.New(srv.Mailer(mlFrom))
			if err != nil {
				t.Fatal(err)
			}
			sender := &mlCounting{Sender: m}
			senders = append(senders, sender)
			svcs = append(svcs, service.New(db, service.Config{Hasher: h, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
				Sender: sender, PublicURL: mlPublic, Worker: fmt.Sprintf("server%d:1", i)}))
		}
		sys := meibo.WithActor(bg, meibo.System("cli:test"))
		if _, err := svcs[0].CreateGroup(sys, meibo.Group{ID: "G1"}); err != nil {
			t.Fatal(err)
		}
		var lines []string
		for i := range n {
			lines = append(lines, fmt.Sprintf("user%02d,,user%02d@example.org", i, i))
		}
		job, err := svcs[1].SubmitAndRun(sys, service.ImportRequest{Format: meibo.FormatUsers, GroupID: "G1", SendInvitations: true}, mlUsersFile(lines...), nil)
		if err != nil || job.Status != meibo.ImportSuccess {
			t.Fatalf("import: %v, %v", job, err)
		}
		for _, s := range svcs {
			defer mlWorker(s)()
		}
		srv.Wait(t, n, 30*time.Second)
		time.Sleep(200 * time.Millisecond) // a duplicate would arrive now
		msgs := srv.Messages()
		ids, to := map[string]int{}, map[string]int{}
		for _, m := range msgs {
			ids[m.Header.Get("Message-ID")]++
			to[m.To[0]]++
		}
		if len(msgs) != n || len(ids) != n || len(to) != n {
			t.Fatalf("%d deliveries of %d messages to %d addresses, want %d of each", len(msgs), len(ids), len(to), n)
		}
		deadline := time.Now().Add(10 * time.Second)
		for {
			out, err := svcs[0].Mails(sys, meibo.MailFilter{Limit: 500})
			if err != nil {
				t.Fatal(err)
			}
			sent := 0
			for _, m := range out {
				if m.Status == meibo.MailSent && m.Attempts == 1 {
					sent++
				}
			}
			if sent == n && len(mlEvents(t, dbs[0], "mail.sent")) == n {
				t.Logf("%d messages sent once each: %d by the first server, %d by the second", sent, senders[0].n.Load(), senders[1].n.Load())
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d of %d messages sent with one attempt", sent, n)
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
}

func mlEvents(t *testing.T, db *sqlstore.DB, action string) []*meibo.AuditEvent {
	t.Helper()
	var out []*meibo.AuditEvent
	err := db.View(bg, func(tx meibo.Tx) error {
		all, err := tx.AuditEvents(bg, meibo.AuditFilter{Limit: 1000})
		for _, ev := range all {
			if ev.Action == action {
				out = append(out, ev)
			}
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// mlSlow is a sender that takes a minute and a bit of the test's clock per
// message, and runs hook before its nth send.
type mlSlow struct {
	service.Sender
	clock *testClock
	mu    sync.Mutex
	sends int
	nth   int
	hook  func()
}

func (s *mlSlow) Send(ctx context.Context, m *meibo.MailMessage) error {
	s.mu.Lock()
	s.sends++
	hook := s.hook
	if s.sends != s.nth {
		hook = nil
	}
	s.mu.Unlock()
	if hook != nil {
		hook()
	}
	s.clock.Add(61 * time.Second)
	return s.Sender.Send(ctx, m)
}

// TestMailLeaseNotOutlived: a worker whose SMTP server is slow never holds
// a message past its lease, so that another worker taking the message over
// cannot send it a second time.
func TestMailLeaseNotOutlived(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newMlEnv(t, engine)
		e.group("G1", "")
		for i := range 12 {
			e.invite("G1", fmt.Sprintf("user%02d", i), fmt.Sprintf("user%02d@example.org", i))
		}
		other := e.cfg
		other.Worker = "mailtest:2"
		second := service.New(e.store, other)
		slow := &mlSlow{Sender: e.cfg.Sender, clock: e.clock, nth: 7, hook: func() {
			// Six minutes into the first worker's round, the second one
			// takes whatever it may.
			if _, err := second.DeliverMail(bg); err != nil {
				t.Error(err)
			}
		}}
		first := e.cfg
		first.Sender = slow
		if _, err := service.New(e.store, first).DeliverMail(bg); err != nil {
			t.Fatal(err)
		}
		e.deliver()
		to := map[string]int{}
		for _, m := range e.smtp.Messages() {
			to[m.To[0]]++
		}
		for addr, n := range to {
			if n != 1 {
				t.Errorf("%s got %d copies", addr, n)
			}
		}
		if len(to) != 12 || len(e.outbox(meibo.MailSent)) != 12 {
			t.Errorf("%d addresses reached, %d messages sent; want 12", len(to), len(e.outbox(meibo.MailSent)))
		}
	})
}

// TestMailVisibility: the outbox is for Log Viewer with authority 24; a
// department administrator sees the messages of their groups only.
func TestMailVisibility(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newMlEnv(t, engine, func(c *service.Config) { c.Sender = nil })
		e.group("G1", "")
		e.group("G2", "")
		e.invite("G1", "taro", "taro@example.org")
		e.invite("G2", "zed", "zed@example.org")
		all := e.outbox("")
		if len(all) != 2 || all[0].GroupID != "G2" || all[1].GroupID != "G1" {
			t.Fatalf("outbox %+v", all)
		}
		g1, g2 := all[1], all[0]
		mail := e.actor("mail", meibo.NewAuthorities(meibo.AuthLogViewer, meibo.AuthLogMail))
		logOnly := e.actor("logonly", meibo.NewAuthorities(meibo.AuthLogViewer, meibo.AuthLogAttachments))
		console := e.actor("console", meibo.NewAuthorities(meibo.AuthConsole))
		dept := e.actor("dept", meibo.NewAuthorities(meibo.AuthLogViewer, meibo.AuthLogMail, meibo.AuthDepartment), "G1")

		if msgs, err := e.svc.Mails(mail, meibo.MailFilter{}); err != nil || len(msgs) != 2 {
			t.Errorf("5+24: %d messages, %v", len(msgs), err)
		}
		if m, err := e.svc.Mail(mail, g2.ID); err != nil || m.Text != g2.Text {
			t.Errorf("5+24 reads a message: %v", err)
		}
		for name, ctx := range map[string]context.Context{"5 without 24": logOnly, "6": console, "nobody": bg} {
			if _, err := e.svc.Mails(ctx, meibo.MailFilter{}); err == nil {
				t.Errorf("%s lists the outbox", name)
			}
			if _, err := e.svc.Mail(ctx, g1.ID); err == nil {
				t.Errorf("%s reads a message", name)
			}
		}
		if _, err := e.svc.Mails(logOnly, meibo.MailFilter{}); meibo.ErrorCode(err) != meibo.CodeForbidden {
			t.Errorf("5 without 24: %v, want forbidden", err)
		}
		msgs, err := e.svc.Mails(dept, meibo.MailFilter{})
		if err != nil || len(msgs) != 1 || msgs[0].ID != g1.ID {
			t.Errorf("department administrator of G1 lists %+v, %v", msgs, err)
		}
		if _, err := e.svc.Mail(dept, g2.ID); meibo.ErrorCode(err) != meibo.CodeNotFound {
			t.Errorf("department administrator reads a G2 message: %v", err)
		}
		if _, err := e.svc.Mail(dept, g1.ID); err != nil {
			t.Errorf("department administrator reads a G1 message: %v", err)
		}
		// Filters: status and paging.
		if msgs := must(e.svc.Mails(mail, meibo.MailFilter{Status: meibo.MailSent}))(t); len(msgs) != 0 {
			t.Errorf("%d sent messages", len(msgs))
		}
		if msgs := must(e.svc.Mails(mail, meibo.MailFilter{BeforeID: g2.ID, Limit: 1}))(t); len(msgs) != 1 || msgs[0].ID != g1.ID {
			t.Errorf("page after %d: %+v", g2.ID, msgs)
		}
	})
}

// TestLinkSingleUse: a link sets the password once; a second use changes
// nothing.
func TestLinkSingleUse(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newMlEnv(t, engine)
		e.group("G1", "")
		u := e.invite("G1", "taro", "taro@example.org")
		secret := e.sentSecret()

		// A password the policy refuses leaves the link usable.
		_, err := e.svc.SetPasswordByLink(bg, secret, "taro", "192.0.2.1")
		wantCode(t, err, meibo.CodeInvalid)
		info, err := e.svc.SetPasswordByLink(bg, secret, "Amber-canyon-17", "192.0.2.1")
		if err != nil || info.UserName != "taro" {
			t.Fatalf("SetPasswordByLink = %+v, %v", info, err)
		}
		if !e.hasPassword(u.ID, "Amber-canyon-17") {
			t.Fatal("the password was not set")
		}
		_, err = e.svc.SetPasswordByLink(bg, secret, "Other-pass-phrase-3", "192.0.2.1")
		mlWantInvalid(t, err, "second use")
		_, err = e.svc.CheckLink(bg, secret)
		mlWantInvalid(t, err, "CheckLink after use")
		if !e.hasPassword(u.ID, "Amber-canyon-17") {
			t.Error("the second use changed the password")
		}
		ev := e.events("user.password.link")
		if len(ev) != 1 || ev[0].ActorKind != meibo.ActorUser || ev[0].ActorName != "taro" || ev[0].Addr != "192.0.2.1" {
			t.Errorf("events %+v", ev)
		}
		if strings.Contains(fmt.Sprint(ev[0].Details), "Amber") {
			t.Error("the password is in the audit trail")
		}
		// Links that were never issued, or are malformed.
		for _, bad := range []string{"", "mbl_", "mbl_" + strings.Repeat("A", 43), "mbo_" + secret[4:], secret + "x"} {
			_, err := e.svc.CheckLink(bg, bad)
			mlWantInvalid(t, err, fmt.Sprintf("link %q", bad))
		}
	})
}

// TestLinkExpiry: an invitation works until InvitationTTL, a reset link
// until ResetTTL, then neither opens.
func TestLinkExpiry(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newMlEnv(t, engine, func(c *service.Config) { c.InvitationTTL, c.ResetTTL = 48*time.Hour, 30*time.Minute })
		e.group("G1", "")
		u := e.invite("G1", "taro", "taro@example.org")
		secret := e.sentSecret()
		e.clock.Add(48*time.Hour - time.Second)
		if _, err := e.svc.CheckLink(bg, secret); err != nil {
			t.Fatalf("a second before expiry: %v", err)
		}
		e.clock.Add(time.Second)
		_, err := e.svc.CheckLink(bg, secret)
		mlWantInvalid(t, err, "at expiry")
		_, err = e.svc.SetPasswordByLink(bg, secret, "Amber-canyon-17", "192.0.2.1")
		mlWantInvalid(t, err, "set at expiry")
		if e.stored(u.ID).PasswordHash != "" {
			t.Error("an expired link set the password")
		}

		e.must(e.svc.RequestPasswordReset(bg, "G1", "taro", "192.0.2.1", meibo.English))
		reset := e.outbox("")[0]
		if reset.Kind != meibo.MailReset {
			t.Fatalf("newest message %+v", reset)
		}
		secret = e.sentSecret()
		e.clock.Add(30*time.Minute - time.Second)
		if info, err := e.svc.CheckLink(bg, secret); err != nil || info.Purpose != meibo.MailReset {
			t.Fatalf("reset link before expiry: %+v, %v", info, err)
		}
		e.clock.Add(time.Second)
		_, err = e.svc.CheckLink(bg, secret)
		mlWantInvalid(t, err, "reset link at expiry")
	})
}

// TestLinkRevocation: a newer link ends the older ones, and so does a
// password set by any means; a disabled user's link does not open.
func TestLinkRevocation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newMlEnv(t, engine)
		e.group("G1", "")
		u := e.invite("G1", "taro", "taro@example.org")
		newest := e.sentSecret
		a := newest()
		e.clock.Add(time.Second)
		e.must(e.svc.ResendInvitation(e.sys, u.ID))
		b := newest()
		_, err := e.svc.CheckLink(bg, a)
		mlWantInvalid(t, err, "an invitation after a resend")
		if _, err := e.svc.CheckLink(bg, b); err != nil {
			t.Fatalf("the resent invitation: %v", err)
		}
		e.clock.Add(time.Second)
		e.must(e.svc.RequestPasswordReset(bg, "G1", "taro", "192.0.2.1", meibo.English))
		c := newest()
		_, err = e.svc.CheckLink(bg, b)
		mlWantInvalid(t, err, "an invitation after a reset request")
		e.clock.Add(time.Second)
		if _, err := e.svc.SetPasswordByLink(bg, c, "Amber-canyon-17", "192.0.2.1"); err != nil {
			t.Fatal(err)
		}
		for _, s := range []string{a, b, c} {
			_, err := e.svc.SetPasswordByLink(bg, s, "Other-pass-phrase-3", "192.0.2.1")
			mlWantInvalid(t, err, "an old link after the password was set")
		}

		// An administrator sets the password: the outstanding link ends.
		e.clock.Add(time.Second)
		e.must(e.svc.ResendInvitation(e.sys, u.ID))
		d := newest()
		e.clock.Add(time.Second)
		pw := "Quiet-harbour-42"
		_, err = e.svc.UpdateUser(e.sys, u.ID, meibo.UserUpdate{Password: &pw})
		e.must(err)
		_, err = e.svc.SetPasswordByLink(bg, d, "Other-pass-phrase-3", "192.0.2.1")
		mlWantInvalid(t, err, "a link issued before an administrator set the password")
		if !e.hasPassword(u.ID, pw) {
			t.Error("the old link changed the password")
		}

		// A disabled user: no resend, and the link does not open.
		e.clock.Add(time.Second)
		e.must(e.svc.ResendInvitation(e.sys, u.ID))
		f := newest()
		yes := true
		_, err = e.svc.UpdateUser(e.sys, u.ID, meibo.UserUpdate{Disabled: &yes})
		e.must(err)
		_, err = e.svc.CheckLink(bg, f)
		mlWantInvalid(t, err, "the link of a disabled user")
		err = e.svc.ResendInvitation(e.sys, u.ID)
		if me := wantCode(t, err, meibo.CodeConflict); me.Msg.Key != "invitation.disabled" {
			t.Errorf("resend to a disabled user: %v", err)
		}
		// No address: no resend.
		n := must(e.svc.CreateUser(e.sys, "G1", service.UserInput{Name: "noemail"}))(t)
		if f := wantCode(t, e.svc.ResendInvitation(e.sys, n.ID), meibo.CodeInvalid).Fields["email"]; f.Key != "invitation.no_email" {
			t.Errorf("resend without an address: %v", f)
		}
		// A deleted user's link does not open.
		v := e.invite("G1", "jiro", "jiro@example.org")
		g := newest()
		e.must(e.svc.DeleteUser(e.sys, v.ID))
		_, err = e.svc.CheckLink(bg, g)
		mlWantInvalid(t, err, "the link of a deleted user")
	})
}

// TestMailStopMidSend: a server stopped while its worker hands a message
// to the SMTP server lets that conversation finish and records the
// message as sent, rather than leaving it pending to be sent a second time
// when its lease runs out.
func TestMailStopMidSend(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newMlEnv(t, engine)
		e.group("G1", "")
		e.invite("G1", "taro", "taro@example.org")
		inv := e.only()
		ctx, stop := context.WithCancel(bg)
		defer stop()
		slow := &mlSlow{Sender: e.cfg.Sender, clock: e.clock, nth: 1, hook: func() {
			stop() // SIGTERM, while the message is on its way
			time.Sleep(200 * time.Millisecond)
		}}
		cfg := e.cfg
		cfg.Sender = slow
		service.New(e.store, cfg).DeliverMail(ctx) //nolint:errcheck // stopped: its error is the stop's
		if m, err := e.svc.Mail(e.sys, inv.ID); err != nil || m.Status != meibo.MailSent {
			t.Errorf("a message delivered while the worker stopped: %v", err)
			if m != nil {
				t.Errorf("it is %s after %d attempts (%s), want sent", m.Status, m.Attempts, m.LastError)
			}
		}
		if got := len(e.smtp.Messages()); got != 1 {
			t.Errorf("%d messages reached the SMTP server, want 1", got)
		}
		// Its lease over, nothing is sent again.
		e.clock.Add(10 * time.Minute)
		e.deliver()
		if got := len(e.smtp.Messages()); got != 1 {
			t.Errorf("%d messages reached the SMTP server after the lease, want 1", got)
		}
	})
}

// TestMailSupersededInFlight: a newer link asked for while the worker
// holds an invitation. Asked for while the invitation is handed to the
// SMTP server, the invitation is recorded as sent (it was delivered) and
// its link no longer opens; asked for after the worker claimed it and
// before it minted its link, the invitation is not sent and fails as
// superseded. Either way the newer link is the one that opens.
func TestMailSupersededInFlight(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newMlEnv(t, engine)
		e.group("G1", "")
		reset := func(name string) func() {
			return func() {
				e.clock.Add(time.Second)
				if err := e.svc.RequestPasswordReset(bg, "G1", name, "192.0.2.1", meibo.English); err != nil {
					t.Error(err)
				}
			}
		}

		// During the delivery.
		e.invite("G1", "taro", "taro@example.org")
		inv := e.only()
		slow := &mlSlow{Sender: e.cfg.Sender, clock: e.clock, nth: 1, hook: reset("taro")}
		cfg := e.cfg
		cfg.Sender = slow
		if _, err := service.New(e.store, cfg).DeliverMail(bg); err != nil {
			t.Fatal(err)
		}
		got := e.smtp.Wait(t, 2, 10*time.Second)
		if got[0].Subject == got[1].Subject {
			t.Fatalf("delivered %q and %q, want an invitation and a reset", got[0].Subject, got[1].Subject)
		}
		if m, err := e.svc.Mail(e.sys, inv.ID); err != nil || m.Status != meibo.MailSent {
			t.Errorf("the invitation delivered while a reset was asked for: %v", err)
			if m != nil {
				t.Errorf("it is %s (%s), want sent", m.Status, m.LastError)
			}
		}
		_, err := e.svc.CheckLink(bg, mlSecret(t, got[0].Text))
		mlWantInvalid(t, err, "the invitation's link after the reset")
		if _, err := e.svc.CheckLink(bg, mlSecret(t, got[1].Text)); err != nil {
			t.Errorf("the reset's link: %v", err)
		}
		if sent := e.outbox(meibo.MailSent); len(sent) != 2 {
			t.Errorf("%d messages sent, want 2", len(sent))
		}

		// Between the claim and the link.
		e.clock.Add(time.Minute)
		jiro := e.invite("G1", "jiro", "jiro@example.org")
		e.store.mu.Lock()
		e.store.afterClaim = reset("jiro")
		e.store.mu.Unlock()
		if n := e.deliver(); n != 2 {
			t.Errorf("%d attempts, want 2 (the invitation, then the reset)", n)
		}
		got = e.smtp.Wait(t, 3, 10*time.Second)
		if len(got) != 3 || got[2].To[0] != "jiro@example.org" || !strings.Contains(got[2].Subject, "eset") {
			t.Fatalf("delivered %d messages, the last %q to %v; want only jiro's reset", len(got), got[len(got)-1].Subject, got[len(got)-1].To)
		}
		if _, err := e.svc.CheckLink(bg, mlSecret(t, got[2].Text)); err != nil {
			t.Errorf("the reset's link: %v", err)
		}
		failed := e.outbox(meibo.MailFailed)
		if len(failed) != 1 || failed[0].UserID == nil || *failed[0].UserID != jiro.ID || failed[0].Kind != meibo.MailInvitation ||
			failed[0].LastError != meibo.M("mail.link.superseded").In(meibo.English) {
			t.Errorf("failed messages %+v, want jiro's invitation as superseded", failed)
		}
	})
}

// TestPasswordReset: a reset link goes to a known account with an address,
// in the language asked; every other request is answered the same, and
// none sends mail.
func TestPasswordReset(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newMlEnv(t, engine)
		e.group("G1", "営業部")
		must(e.svc.CreateUser(e.sys, "G1", service.UserInput{Name: "taro", Email: "taro@example.org"}))(t)
		must(e.svc.CreateUser(e.sys, "G1", service.UserInput{Name: "noemail"}))(t)
		must(e.svc.CreateUser(e.sys, "G1", service.UserInput{Name: "off", Email: "off@example.org", Disabled: true}))(t)
		for i, req := range [][2]string{{"G9", "taro"}, {"G1", "nobody"}, {"G1", "noemail"}, {"G1", "off"}} {
			if err := e.svc.RequestPasswordReset(bg, req[0], req[1], fmt.Sprintf("192.0.2.%d", i), meibo.English); err != nil {
				t.Errorf("reset for %v: %v", req, err)
			}
		}
		if n := e.count("mail_outbox"); n != 0 {
			t.Fatalf("%d messages for accounts that cannot have one", n)
		}
		if len(e.events("user.reset.unknown")) != 2 || len(e.events("user.reset.refused")) != 1+1 {
			t.Errorf("reset events: %d unknown, %d refused", len(e.events("user.reset.unknown")), len(e.events("user.reset.refused")))
		}
		// The group ID in any case, the page's language.
		e.must(e.svc.RequestPasswordReset(bg, "g1", "taro", "192.0.2.9", meibo.Japanese))
		if n := e.deliver(); n != 1 {
			t.Fatal(n)
		}
		got := e.smtp.Wait(t, 1, 5*time.Second)[0]
		if got.To[0] != "taro@example.org" || got.Header.Get("Content-Language") != "ja" || !strings.Contains(got.Subject, "パスワード再設定") {
			t.Errorf("reset message to %v, %q, %q", got.To, got.Header.Get("Content-Language"), got.Subject)
		}
		info, err := e.svc.CheckLink(bg, mlSecret(t, got.Text))
		if err != nil || info.Purpose != meibo.MailReset || info.UserName != "taro" {
			t.Errorf("reset link: %+v, %v", info, err)
		}
	})
}

// TestPasswordResetThrottle: three requests per account, then a wait; ten
// per address, then a wait; a refused request sends nothing.
func TestPasswordResetThrottle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newMlEnv(t, engine)
		e.group("G1", "")
		must(e.svc.CreateUser(e.sys, "G1", service.UserInput{Name: "taro", Email: "taro@example.org"}))(t)
		must(e.svc.CreateUser(e.sys, "G1", service.UserInput{Name: "jiro", Email: "jiro@example.org"}))(t)
		for i := range 3 {
			e.must(e.svc.RequestPasswordReset(bg, "G1", "taro", fmt.Sprintf("198.51.100.%d", i), meibo.English))
		}
		// The fourth, from yet another address: refused, no mail.
		wantCode(t, e.svc.RequestPasswordReset(bg, "G1", "taro", "198.51.100.99", meibo.English), meibo.CodeRateLimited)
		// An unknown account is limited the same way.
		for range 3 {
			e.must(e.svc.RequestPasswordReset(bg, "G1", "ghost", "198.51.100.50", meibo.English))
		}
		wantCode(t, e.svc.RequestPasswordReset(bg, "G1", "ghost", "198.51.100.51", meibo.English), meibo.CodeRateLimited)
		if n := e.count("mail_outbox"); n != 3 {
			t.Fatalf("%d messages, want 3", n)
		}
		e.clock.Add(5 * time.Minute)
		e.must(e.svc.RequestPasswordReset(bg, "G1", "taro", "198.51.100.99", meibo.English))

		// Per address: ten requests for ten accounts, then the eleventh,
		// for an account of its own, is refused.
		for i := range 10 {
			e.must(e.svc.RequestPasswordReset(bg, "G1", fmt.Sprintf("guess%d", i), "203.0.113.7", meibo.English))
		}
		wantCode(t, e.svc.RequestPasswordReset(bg, "G1", "jiro", "203.0.113.7", meibo.English), meibo.CodeRateLimited)
		if n := e.count("mail_outbox"); n != 4 {
			t.Errorf("%d messages, want 4", n)
		}
		e.must(e.svc.RequestPasswordReset(bg, "G1", "jiro", "203.0.113.8", meibo.English))
		if n := e.count("mail_outbox"); n != 5 {
			t.Errorf("%d messages, want 5", n)
		}
	})
}

// TestSendTestMail sends the test message through the server at once.
func TestSendTestMail(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newMlEnv(t, engine)
		e.must(e.svc.SendTestMail(e.sys, "ops@example.org", meibo.Japanese))
		got := e.smtp.Wait(t, 1, 5*time.Second)[0]
		if got.To[0] != "ops@example.org" || got.Subject != "meibo テストメール" || got.Header.Get("Content-Language") != "ja" ||
			got.Text == "" || got.HTML == "" {
			t.Errorf("test message to %v: %q\n%s", got.To, got.Subject, got.Raw)
		}
		if ev := e.events("mail.test"); len(ev) != 1 || ev[0].Details["to"] != "ops@example.org" {
			t.Errorf("mail.test events %+v", ev)
		}
		if n := e.count("mail_outbox"); n != 0 {
			t.Errorf("the test message went to the outbox (%d)", n)
		}
		wantCode(t, e.svc.SendTestMail(e.sys, "not an address", meibo.English), meibo.CodeInvalid)
		mail := e.actor("mail", meibo.NewAuthorities(meibo.AuthLogViewer, meibo.AuthLogMail))
		wantCode(t, e.svc.SendTestMail(mail, "ops@example.org", meibo.English), meibo.CodeForbidden)
		e.smtp.Refuse(1, 550)
		if err := e.svc.SendTestMail(e.sys, "ops@example.org", meibo.English); err == nil || !strings.Contains(err.Error(), "550") {
			t.Errorf("a refused test message: %v", err)
		}
	})
}
