package mailer_test

// The mailer against a real SMTP server on 127.0.0.1 (internal/smtptest):
// every security mode, AUTH, the message as it arrives, and which failures
// are worth a retry.

import (
	"context"
	"errors"
	"mime"
	"net"
	"net/mail"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/internal/smtptest"
	"github.com/meibo/meibo/mailer"
	"github.com/meibo/meibo/mailtext"
)

const from = "meibo <noreply@meibo.example.org>"

var created = time.Date(2026, 3, 4, 5, 6, 7, 123456000, time.UTC)

// message renders an invitation as the service does.
func message(t *testing.T, lang meibo.Lang) *meibo.MailMessage {
	t.Helper()
	d := mailtext.Data{GroupID: "G001", GroupName: "営業部", UserName: "taro", Link: "https://meibo.example.org/password/mbl_abc",
		Expires: created.Add(72 * time.Hour)}
	subject, text, html, err := mailtext.Render(meibo.MailInvitation, lang, d)
	if err != nil {
		t.Fatal(err)
	}
	return &meibo.MailMessage{ID: 42, Kind: meibo.MailInvitation, GroupID: "G001", Lang: lang, To: "taro@example.org",
		Subject: subject, Text: text, HTML: html, CreatedAt: created}
}

func newMailer(t *testing.T, c mailer.Config) *mailer.Mailer {
	t.Helper()
	m, err := mailer.New(c)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// sendErr sends msg and returns the *mailer.Error of a failure (nil on
// success).
func sendErr(t *testing.T, m *mailer.Mailer, msg *meibo.MailMessage) *mailer.Error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := m.Send(ctx, msg)
	if err == nil {
		return nil
	}
	var me *mailer.Error
	if !errors.As(err, &me) {
		t.Fatalf("Send error %v is a %T, not a *mailer.Error", err, err)
	}
	return me
}

// TestSendContent sends a Japanese invitation over STARTTLS with AUTH PLAIN
// and reads it as a mail program would.
func TestSendContent(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{StartTLS: true, Username: "relay", Password: "relay-secret"})
	m := newMailer(t, srv.Mailer(from))
	msg := message(t, meibo.Japanese)
	if e := sendErr(t, m, msg); e != nil {
		t.Fatal(e)
	}
	got := srv.Wait(t, 1, 5*time.Second)[0]
	if got.ParseErr != nil {
		t.Fatalf("the message does not parse: %v\n%s", got.ParseErr, got.Raw)
	}
	if !got.TLS || got.AuthUser != "relay" {
		t.Errorf("TLS %v, authenticated as %q", got.TLS, got.AuthUser)
	}
	if got.From != "noreply@meibo.example.org" || len(got.To) != 1 || got.To[0] != "taro@example.org" {
		t.Errorf("envelope from %q to %v", got.From, got.To)
	}
	h := got.Header
	if a, err := mail.ParseAddress(h.Get("From")); err != nil || a.Address != "noreply@meibo.example.org" || a.Name != "meibo" {
		t.Errorf("From %q: %v", h.Get("From"), err)
	}
	if a, err := mail.ParseAddress(h.Get("To")); err != nil || a.Address != "taro@example.org" {
		t.Errorf("To %q: %v", h.Get("To"), err)
	}
	// A Japanese subject travels RFC 2047-encoded and decodes back.
	raw := h.Get("Subject")
	if !strings.Contains(raw, "=?UTF-8?") && !strings.Contains(raw, "=?utf-8?") {
		t.Errorf("the subject %q is not RFC 2047-encoded", raw)
	}
	if got.Subject != msg.Subject || !strings.Contains(got.Subject, "招待") {
		t.Errorf("subject %q, want %q", got.Subject, msg.Subject)
	}
	if id := h.Get("Message-ID"); id != "<"+mailer.MessageID(msg, from)+">" || !strings.HasSuffix(id, "@meibo.example.org>") {
		t.Errorf("Message-ID %q", id)
	}
	if d, err := h.Date(); err != nil || !d.Equal(created.Truncate(time.Second)) {
		t.Errorf("Date %q (%v), want %v", h.Get("Date"), err, created)
	}
	if v := h.Get("Auto-Submitted"); v != "auto-generated" {
		t.Errorf("Auto-Submitted %q", v)
	}
	if v := h.Get("Content-Language"); v != "ja" {
		t.Errorf("Content-Language %q", v)
	}
	if mt, _, _ := mime.ParseMediaType(h.Get("Content-Type")); mt != "multipart/alternative" {
		t.Errorf("Content-Type %q, want multipart/alternative", h.Get("Content-Type"))
	}
	for name, part := range map[string]string{"text": got.Text, "html": got.HTML} {
		if !strings.Contains(part, "https://meibo.example.org/password/mbl_abc") || !strings.Contains(part, "営業部") {
			t.Errorf("the %s part lacks the link or the group:\n%s", name, part)
		}
	}
	if strings.Contains(got.Text, "<html") || !strings.Contains(got.HTML, `<html lang="ja">`) {
		t.Error("the text and HTML parts are mixed up")
	}
	// The text arrives exactly as written (quoted-printable undone).
	if strings.ReplaceAll(got.Text, "\r\n", "\n") != msg.Text {
		t.Errorf("text part:\n%q\nwant\n%q", got.Text, msg.Text)
	}

	// A second attempt of the same outbox message carries the same
	// Message-ID; another message, another one.
	if e := sendErr(t, m, msg); e != nil {
		t.Fatal(e)
	}
	other := message(t, meibo.English)
	other.ID = 43
	if e := sendErr(t, m, other); e != nil {
		t.Fatal(e)
	}
	msgs := srv.Wait(t, 3, 5*time.Second)
	if msgs[1].Header.Get("Message-ID") != h.Get("Message-ID") || msgs[2].Header.Get("Message-ID") == h.Get("Message-ID") {
		t.Errorf("Message-IDs %q, %q, %q", h.Get("Message-ID"), msgs[1].Header.Get("Message-ID"), msgs[2].Header.Get("Message-ID"))
	}
	if v := msgs[2].Header.Get("Content-Language"); v != "en" || msgs[2].Subject != other.Subject {
		t.Errorf("English message: Content-Language %q, subject %q", v, msgs[2].Subject)
	}
}

// TestSecurityModes delivers through each mode that fits the server, and
// checks that a required protection is never given up.
func TestSecurityModes(t *testing.T) {
	plain := smtptest.Start(t, smtptest.Options{})
	starttls := smtptest.Start(t, smtptest.Options{StartTLS: true})
	implicit := smtptest.Start(t, smtptest.Options{ImplicitTLS: true})
	for _, c := range []struct {
		name     string
		srv      *smtptest.Server
		security mailer.Security
		wantTLS  bool
	}{
		{"implicit TLS", implicit, mailer.ImplicitTLS, true},
		{"STARTTLS required", starttls, mailer.StartTLS, true},
		{"STARTTLS opportunistic, offered", starttls, mailer.StartTLSOpportunistic, true},
		{"STARTTLS opportunistic, not offered", plain, mailer.StartTLSOpportunistic, false},
		{"none", plain, mailer.Plain, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := len(c.srv.Messages())
			cfg := c.srv.Mailer(from)
			cfg.Security = c.security
			if e := sendErr(t, newMailer(t, cfg), message(t, meibo.English)); e != nil {
				t.Fatal(e)
			}
			got := c.srv.Wait(t, before+1, 5*time.Second)[before]
			if got.TLS != c.wantTLS {
				t.Errorf("TLS %v, want %v", got.TLS, c.wantTLS)
			}
		})
	}

	// STARTTLS required, and the server does not offer it: a permanent
	// failure before any MAIL command, so nothing travels in clear.
	cfg := plain.Mailer(from)
	cfg.Security = mailer.StartTLS
	before := len(plain.Messages())
	mails, _ := plain.Counts()
	e := sendErr(t, newMailer(t, cfg), message(t, meibo.English))
	if e == nil || e.Temporary() {
		t.Fatalf("STARTTLS required without STARTTLS: %v, want a permanent failure", e)
	}
	if m2, _ := plain.Counts(); m2 != mails || len(plain.Messages()) != before {
		t.Error("the message was sent in clear although STARTTLS was required")
	}

	// A certificate that is not trusted: refused, nothing sent.
	for _, srv := range []*smtptest.Server{starttls, implicit} {
		cfg := srv.Mailer(from)
		cfg.TLS = nil
		before := len(srv.Messages())
		if e := sendErr(t, newMailer(t, cfg), message(t, meibo.English)); e == nil || e.Temporary() {
			t.Errorf("%s with an untrusted certificate: %v, want a permanent failure", cfg.Security, e)
		}
		if len(srv.Messages()) != before {
			t.Errorf("%s: sent through an untrusted connection", cfg.Security)
		}
	}
}

func TestAuth(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{StartTLS: true, Username: "relay", Password: "relay-secret"})
	cfg := srv.Mailer(from)
	cfg.Password = "wrong"
	e := sendErr(t, newMailer(t, cfg), message(t, meibo.English))
	if e == nil || e.Temporary() || !strings.Contains(e.Error(), "535") {
		t.Fatalf("a wrong password: %v, want a permanent 535 failure", e)
	}
	// Without credentials the server refuses MAIL (502 5.7.0): permanent.
	cfg = srv.Mailer(from)
	cfg.Username, cfg.Password = "", ""
	if e := sendErr(t, newMailer(t, cfg), message(t, meibo.English)); e == nil || e.Temporary() {
		t.Errorf("no credentials: %v, want a permanent failure", e)
	}
	if n := len(srv.Messages()); n != 0 {
		t.Fatalf("%d messages accepted without a valid AUTH", n)
	}
	if e := sendErr(t, newMailer(t, srv.Mailer(from)), message(t, meibo.English)); e != nil {
		t.Fatal(e)
	}
	if got := srv.Wait(t, 1, 5*time.Second)[0]; got.AuthUser != "relay" {
		t.Errorf("authenticated as %q", got.AuthUser)
	}
}

// TestRefusals: a 4xx reply is temporary, a 5xx one permanent, and an
// unreachable server temporary.
func TestRefusals(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{})
	m := newMailer(t, srv.Mailer(from))
	srv.Refuse(1, 451)
	if e := sendErr(t, m, message(t, meibo.English)); e == nil || !e.Temporary() || !strings.Contains(e.Error(), "451") {
		t.Errorf("451: %v, want a temporary failure", e)
	}
	srv.Refuse(1, 550)
	if e := sendErr(t, m, message(t, meibo.English)); e == nil || e.Temporary() || !strings.Contains(e.Error(), "550") {
		t.Errorf("550: %v, want a permanent failure", e)
	}
	if n := len(srv.Messages()); n != 0 {
		t.Fatalf("%d refused messages recorded", n)
	}
	if e := sendErr(t, m, message(t, meibo.English)); e != nil {
		t.Fatalf("after the refusals: %v", e)
	}

	// Nobody listens: temporary.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	cfg := srv.Mailer(from)
	cfg.Port = port
	if e := sendErr(t, newMailer(t, cfg), message(t, meibo.English)); e == nil || !e.Temporary() {
		t.Errorf("connection refused: %v, want a temporary failure", e)
	}

	// A recipient address the mailer cannot write: permanent, no
	// connection needed.
	bad := message(t, meibo.English)
	bad.To = "not an address"
	if e := sendErr(t, m, bad); e == nil || e.Temporary() {
		t.Errorf("a bad address: %v, want a permanent failure", e)
	}
}

// TestAcceptedThenDropped: a server that accepts the message and then
// drops the connection (before RSET or QUIT) has the message: Send
// succeeds, so that it is not sent again nor shown as failed.
func TestAcceptedThenDropped(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{})
	m := newMailer(t, srv.Mailer(from))
	srv.DropAfterAccept(1)
	if e := sendErr(t, m, message(t, meibo.English)); e != nil {
		t.Errorf("a message accepted before the connection dropped: %v", e)
	}
	if n := len(srv.Messages()); n != 1 {
		t.Fatalf("%d messages", n)
	}
	// A message the server did not accept is still a failure.
	srv.Refuse(1, 451)
	if e := sendErr(t, m, message(t, meibo.English)); e == nil || !e.Temporary() {
		t.Errorf("a refused message: %v", e)
	}
}

func TestConfigValidate(t *testing.T) {
	for _, c := range []struct {
		cfg      mailer.Config
		wantPort int
		wantErr  string
	}{
		{mailer.Config{Host: "smtp.example.org", From: from}, 587, ""},
		{mailer.Config{Host: "smtp.example.org", From: from, Security: mailer.ImplicitTLS}, 465, ""},
		{mailer.Config{Host: "smtp.example.org", From: from, Security: mailer.Plain}, 25, ""},
		{mailer.Config{Host: "smtp.example.org", From: from, Port: 2525}, 2525, ""},
		{mailer.Config{From: from}, 0, "no SMTP host"},
		{mailer.Config{Host: "smtp.example.org", From: from, Security: "ssl"}, 0, "unknown security"},
		{mailer.Config{Host: "smtp.example.org", From: "nobody"}, 0, "From address"},
		{mailer.Config{Host: "smtp.example.org", From: from, Username: "u"}, 0, "both"},
	} {
		cfg := c.cfg
		err := cfg.Validate()
		switch {
		case c.wantErr == "" && err != nil:
			t.Errorf("%+v: %v", c.cfg, err)
		case c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)):
			t.Errorf("%+v: error %v, want %q", c.cfg, err, c.wantErr)
		case c.wantErr == "" && (cfg.Port != c.wantPort || cfg.Timeout <= 0 || cfg.Security == ""):
			t.Errorf("%+v: port %d (want %d), timeout %v, security %q", c.cfg, cfg.Port, c.wantPort, cfg.Timeout, cfg.Security)
		}
	}
	id := mailer.MessageID(&meibo.MailMessage{ID: 7, CreatedAt: created}, "broken")
	if id != "meibo.7."+strconv.FormatInt(created.UnixMicro(), 10)+"@meibo.invalid" {
		t.Errorf("Message-ID without a From domain: %q", id)
	}
}
