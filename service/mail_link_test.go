package service_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/service"
	"github.com/meibo/meibo/store/storetest"
)

// mlLogs is a logger's output that tests can read while it is written.
type mlLogs struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *mlLogs) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *mlLogs) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestLinkOnlyInDeliveredMail: an invitation and a reset are stored, listed
// and shown with a placeholder, never a link (in the outbox, the database,
// the audit trail and the log); the link is minted when the message is
// handed to the SMTP server, works once, and a retry mints a new one.
func TestLinkOnlyInDeliveredMail(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		logs := &mlLogs{}
		e := newMlEnv(t, engine, func(c *service.Config) { c.Logger = slog.New(slog.NewTextHandler(logs, nil)) })
		e.group("G1", "")
		taro := e.invite("G1", "taro", "taro@example.org")
		must(e.svc.CreateUser(e.sys, "G1", service.UserInput{Name: "hanako", Email: "hanako@example.org", Password: "Old-lantern-orbit-1"}))(t)
		e.must(e.svc.RequestPasswordReset(bg, "G1", "hanako", "192.0.2.1", meibo.Japanese))

		noLink := func(when string) {
			t.Helper()
			msgs := e.outbox("")
			if len(msgs) != 2 {
				t.Fatalf("%s: %d messages", when, len(msgs))
			}
			for _, m := range msgs {
				one, err := e.svc.Mail(e.sys, m.ID)
				e.must(err)
				for _, text := range []string{m.Text, m.HTML, one.Text, one.HTML} {
					if strings.Contains(text, "mbl_") || strings.Contains(text, service.PasswordPath) {
						t.Errorf("%s: the outbox shows a link:\n%s", when, text)
					}
				}
				want := map[meibo.Lang]string{meibo.English: "[link sent only to the addressee]", meibo.Japanese: "[リンクは宛先の本人にのみ送信されます]"}[m.Lang]
				if !strings.Contains(m.Text, want) || !strings.Contains(m.HTML, want) || m.LinkExpiresAt == nil {
					t.Errorf("%s: message %d (%s) without its placeholder or expiry:\n%s", when, m.ID, m.Lang, m.Text)
				}
			}
			var stored int
			e.must(e.db.ReadDB().QueryRowContext(bg, `SELECT count(*) FROM mail_outbox WHERE text_body LIKE '%mbl%' OR html_body LIKE '%mbl%'`).Scan(&stored))
			if stored != 0 {
				t.Errorf("%s: %d messages stored with a link", when, stored)
			}
			evs, err := e.svc.AuditEvents(e.sys, meibo.AuditFilter{Limit: 1000})
			e.must(err)
			for _, ev := range evs {
				if d := fmt.Sprint(ev.Details); strings.Contains(d, "mbl_") {
					t.Errorf("%s: event %s holds a link: %s", when, ev.Action, d)
				}
			}
			if strings.Contains(logs.String(), "mbl_") {
				t.Errorf("%s: the log holds a link:\n%s", when, logs.String())
			}
		}
		noLink("queued")
		if n := e.count("user_tokens"); n != 0 {
			t.Errorf("%d links minted before delivery", n)
		}

		// The first attempt at taro's invitation fails for now; the retry
		// mints a new link, and only the delivered one works.
		e.smtp.Refuse(1, 451)
		e.deliver()
		e.clock.Add(time.Minute)
		e.deliver()
		got := e.smtp.Wait(t, 2, 10*time.Second)
		noLink("delivered")
		secrets := map[string]string{}
		for _, m := range got {
			secrets[m.To[0]] = mlSecret(t, m.Text)
			if mlSecret(t, m.HTML) != secrets[m.To[0]] {
				t.Errorf("the parts to %s carry different links", m.To[0])
			}
		}
		var minted, live int
		e.must(e.db.ReadDB().QueryRowContext(bg, fmt.Sprintf(`SELECT count(*) FROM user_tokens WHERE user_id = %d`, taro.ID)).Scan(&minted))
		e.must(e.db.ReadDB().QueryRowContext(bg, fmt.Sprintf(`SELECT count(*) FROM user_tokens WHERE user_id = %d AND revoked_at IS NULL`, taro.ID)).Scan(&live))
		if minted != 2 || live != 1 {
			t.Errorf("taro's invitation: %d links minted, %d live; want 2 and 1", minted, live)
		}
		info, err := e.svc.CheckLink(bg, secrets["taro@example.org"])
		if err != nil || info.Purpose != meibo.MailInvitation || info.UserName != "taro" || !info.ExpiresAt.Equal(time.Date(2025, 9, 4, 9, 0, 0, 0, time.UTC)) {
			t.Fatalf("the delivered invitation: %+v, %v", info, err)
		}
		reset := secrets["hanako@example.org"]
		if info, err := e.svc.CheckLink(bg, reset); err != nil || info.Purpose != meibo.MailReset {
			t.Fatalf("the delivered reset: %+v, %v", info, err)
		}
		if _, err := e.svc.SetPasswordByLink(bg, reset, "Amber-canyon-17", "192.0.2.1"); err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.SetPasswordByLink(bg, reset, "Other-pass-phrase-3", "192.0.2.1")
		mlWantInvalid(t, err, "the delivered reset link twice")

		// With a mail server, links are mailed, never issued to an
		// administrator.
		_, err = e.svc.IssuePasswordLink(e.sys, taro.ID, meibo.MailReset)
		if me := wantCode(t, err, meibo.CodeConflict); me.Msg.Key != "link.issue.smtp" {
			t.Errorf("issue with SMTP: %v", err)
		}
	})
}

// TestLinkMailNotMinted: a message whose link can no longer be given fails
// without being sent: a newer link asked for, the password set, the user
// disabled, their address changed, or the link expired before delivery.
func TestLinkMailNotMinted(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newMlEnv(t, engine, func(c *service.Config) { c.InvitationTTL = time.Hour; c.MailGiveUp = 48 * time.Hour })
		e.group("G1", "")
		pw := "Quiet-harbour-42"
		cases := []struct {
			name, key string
			after     func(u *meibo.User)
		}{
			{"expired", "mail.link.expired", func(*meibo.User) {}},
			{"resent", "mail.link.superseded", func(u *meibo.User) { e.must(e.svc.ResendInvitation(e.sys, u.ID)) }},
			{"password", "mail.link.superseded", func(u *meibo.User) {
				must(e.svc.UpdateUser(e.sys, u.ID, meibo.UserUpdate{Password: &pw}))(t)
			}},
			{"disabled", "mail.link.disabled", func(u *meibo.User) {
				must(e.svc.UpdateUser(e.sys, u.ID, meibo.UserUpdate{Disabled: ptr(true)}))(t)
			}},
			{"moved", "mail.link.address", func(u *meibo.User) {
				must(e.svc.UpdateUser(e.sys, u.ID, meibo.UserUpdate{Email: ptr("elsewhere@example.org")}))(t)
			}},
		}
		ids := map[string]int64{}
		for _, c := range cases {
			u := e.invite("G1", c.name, c.name+"@example.org")
			ids[c.name] = e.outbox("")[0].ID
			e.clock.Add(time.Second)
			c.after(u)
		}
		// The expiring one and the resent one are refused for now by the
		// server, the others fail at once. A minute later the resent one
		// goes out, the other is refused again, and an hour later its link
		// has expired.
		e.smtp.Refuse(2, 451)
		e.deliver()
		e.clock.Add(time.Minute)
		e.smtp.Refuse(1, 451)
		e.deliver()
		e.clock.Add(time.Hour)
		e.deliver()
		for _, c := range cases {
			m, err := e.svc.Mail(e.sys, ids[c.name])
			e.must(err)
			if m.Status != meibo.MailFailed || m.LastError != meibo.M(c.key).In(meibo.English) {
				t.Errorf("%s: %s %q, want failed with %s", c.name, m.Status, m.LastError, c.key)
			}
		}
		for _, m := range e.smtp.Messages() {
			if m.To[0] != "resent@example.org" {
				t.Errorf("a message to %s was sent", m.To[0])
			}
		}
	})
}

// TestLinkRedactedInOldMessages: a message written before links were minted
// at delivery, its link in its text, is shown with the placeholder.
func TestLinkRedactedInOldMessages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newMlEnv(t, engine, func(c *service.Config) { c.Sender = nil })
		link := mlPublic + "/password/mbl_" + strings.Repeat("A", 43)
		m := &meibo.MailMessage{Kind: meibo.MailReset, Lang: meibo.English, To: "taro@example.org", Subject: "Reset",
			Text: "Choose a new password here:\n\n  " + link + "\n", HTML: `<a href="` + link + `">Choose</a> ` + link}
		e.must(e.db.Update(bg, func(tx meibo.Tx) error { return tx.CreateMails(bg, []*meibo.MailMessage{m}) }))
		got, err := e.svc.Mail(e.sys, m.ID)
		e.must(err)
		const p = "[link sent only to the addressee]"
		if got.Text != "Choose a new password here:\n\n  "+p+"\n" || got.HTML != `<a href="`+p+`">Choose</a> `+p {
			t.Errorf("shown as:\n%s\n%s", got.Text, got.HTML)
		}
		if list := e.outbox(""); len(list) != 1 || strings.Contains(list[0].Text+list[0].HTML, "mbl_") {
			t.Errorf("listed as %+v", list)
		}
	})
}
