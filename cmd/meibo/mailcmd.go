package main

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/mailer"
	"github.com/meibo/meibo/service"
)

// mailConfig is how meibo builds links and sends mail: flags shared by the
// server and the commands that queue or send mail.
type mailConfig struct {
	PublicURL        string
	SMTP             mailer.Config
	SMTPPasswordFile string
	InvitationTTL    time.Duration
	ResetTTL         time.Duration
	GiveUp           time.Duration
}

func mailFlags(fs *flagSet, c *mailConfig) {
	fs.StringVar(&c.PublicURL, "public-url", "", "meibo's address as people reach it, for links in mail (e.g. https://meibo.example.org)")
	fs.StringVar(&c.SMTP.Host, "smtp-host", "", "SMTP server (none: mail stays in the outbox)")
	fs.IntVar(&c.SMTP.Port, "smtp-port", 0, "SMTP port (default 587; 465 with --smtp-security tls; 25 with none)")
	fs.Func("smtp-security", "starttls (required), starttls-opportunistic, tls or none (default starttls)", func(s string) error {
		c.SMTP.Security = mailer.Security(s)
		return nil
	})
	fs.StringVar(&c.SMTP.Username, "smtp-username", "", "SMTP AUTH user name")
	fs.StringVar(&c.SMTP.Password, "smtp-password", "", "SMTP AUTH password")
	fs.StringVar(&c.SMTPPasswordFile, "smtp-password-file", "", "file holding --smtp-password")
	fs.StringVar(&c.SMTP.From, "mail-from", "meibo <meibo@localhost>", "the From address of mail")
	fs.DurationVar(&c.SMTP.Timeout, "smtp-timeout", 30*time.Second, "time limit of one SMTP conversation")
	fs.DurationVar(&c.InvitationTTL, "invitation-ttl", 72*time.Hour, "how long an invitation link works")
	fs.DurationVar(&c.ResetTTL, "reset-ttl", time.Hour, "how long a password reset link works")
	fs.DurationVar(&c.GiveUp, "mail-give-up", 24*time.Hour, "how long a message is retried before it is marked failed")
}

// apply checks the mail settings and fills cfg: the public URL, the link
// lifetimes and, when an SMTP host is set, the sender.
func (c *mailConfig) apply(cfg *service.Config) error {
	if c.PublicURL != "" {
		if err := service.CheckPublicURL(c.PublicURL); err != nil {
			return usagef("--public-url: %v", err)
		}
	}
	cfg.PublicURL, cfg.InvitationTTL, cfg.ResetTTL, cfg.MailGiveUp = c.PublicURL, c.InvitationTTL, c.ResetTTL, c.GiveUp
	if c.SMTP.Host == "" {
		return nil
	}
	pw, err := secret(c.SMTP.Password, c.SMTPPasswordFile)
	if err != nil {
		return err
	}
	c.SMTP.Password = pw
	// Validate here, not only in mailer.New (which works on a copy), so
	// that c.SMTP holds the defaults it is used with (the port that
	// `mail test` reports).
	if err := c.SMTP.Validate(); err != nil {
		return usagef("%v", err)
	}
	m, err := mailer.New(c.SMTP)
	if err != nil {
		return usagef("%v", err)
	}
	cfg.Sender = m
	return nil
}

// defaultPublicURL is the address a server on addr is reached at when no
// --public-url is given: fine on one machine, wrong for everyone else.
func defaultPublicURL(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return ""
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

var mailNoun = &noun{name: "mail", verbs: []verb{
	{name: "list", args: "[--status pending|sent|failed] [--limit N] [--json | --csv]", summary: "list the outbox, newest first", list: true,
		setup: func(fs *flagSet) func(*verbRun) error {
			status := fs.String("status", "", "only messages in this state: pending, sent or failed")
			limit := fs.Int("limit", 50, "messages to list")
			return func(x *verbRun) error {
				switch meibo.MailStatus(*status) {
				case "", meibo.MailPending, meibo.MailSent, meibo.MailFailed:
				default:
					return usagef("--status must be pending, sent or failed")
				}
				msgs, err := x.c.svc.Mails(x.c.ctx, meibo.MailFilter{Status: meibo.MailStatus(*status), Limit: *limit})
				if err != nil {
					return err
				}
				t := newTable("ID", "STATUS", "KIND", "GROUP", "TO", "SUBJECT", "ATTEMPTS", "CREATED", "LAST ERROR")
				for _, m := range msgs {
					t.add(m.ID, m.Status, m.Kind, orDash(m.GroupID), m.To, m.Subject, m.Attempts, m.CreatedAt.Local().Format(time.DateTime), oneLine(m.LastError))
				}
				return x.emit(t, msgs)
			}
		}},
	{name: "show", args: "ID [--json]", summary: "show a message of the outbox with its text", setup: func(fs *flagSet) func(*verbRun) error {
		asJSON := fs.Bool("json", false, "print JSON")
		return func(x *verbRun) error {
			id, err := x.id()
			if err != nil {
				return err
			}
			m, err := x.c.svc.Mail(x.c.ctx, id)
			if err != nil {
				return err
			}
			if *asJSON {
				return printJSON(x.env.stdout, m)
			}
			fmt.Fprintf(x.env.stdout, "To: %s\nSubject: %s\nStatus: %s (%d attempts)%s\n\n%s\n", m.To, m.Subject, m.Status, m.Attempts,
				map[bool]string{true: "\nLast error: " + m.LastError, false: ""}[m.LastError != ""], m.Text)
			return nil
		}
	}},
	{name: "test", args: "ADDRESS [--lang en|ja] --smtp-host HOST [SMTP flags]", summary: "send a test message now, through the SMTP server",
		mail: true, setup: func(fs *flagSet) func(*verbRun) error {
			lang := fs.String("lang", "en", "language of the test message: en or ja")
			return func(x *verbRun) error {
				if err := x.need(1, "one ADDRESS"); err != nil {
					return err
				}
				if *lang != "en" && *lang != "ja" {
					return usagef("--lang must be en or ja")
				}
				if !x.c.svc.MailConfigured() {
					return usagef("set --smtp-host (MEIBO_SMTP_HOST) and the other SMTP flags to send mail")
				}
				if err := x.c.svc.SendTestMail(x.c.ctx, x.pos[0], meibo.Lang(*lang)); err != nil {
					return err
				}
				fmt.Fprintf(x.env.stdout, "sent a test message to %s\n", x.pos[0])
				return nil
			}
		}},
}}

// id reads the one positional argument as a number.
func (x *verbRun) id() (int64, error) {
	if err := x.need(1, "one ID"); err != nil {
		return 0, err
	}
	id, err := strconv.ParseInt(x.pos[0], 10, 64)
	if err != nil {
		return 0, usagef("ID must be a number")
	}
	return id, nil
}

func oneLine(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if len(s) > 80 {
		s = s[:77] + "..."
	}
	return s
}
