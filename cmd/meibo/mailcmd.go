package main

import (
	"context"
	"fmt"
	"net"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/argon2id"
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

func runMail(ctx context.Context, env *cliEnv, args []string) error {
	if len(args) == 0 {
		return usagef("mail list [--status pending|sent|failed] | mail test ADDRESS")
	}
	fs := newFlags(env, "mail", "mail list [--status pending|sent|failed] [--limit N] [--json] | mail test ADDRESS [--lang en|ja] [SMTP flags]")
	var dsn string
	dbFlag(fs, &dsn)
	var mc mailConfig
	mailFlags(fs, &mc)
	status := fs.String("status", "", "only messages in this state: pending, sent or failed")
	limit := fs.Int("limit", 50, "messages to list")
	asJSON := fs.Bool("json", false, "print JSON (with the messages' text)")
	lang := fs.String("lang", "en", "language of the test message: en or ja")
	pos, err := fs.parse(args[1:])
	if err != nil {
		return err
	}
	c, err := openCLI(ctx, dsn, argon2id.Default, "", 0)
	if err != nil {
		return err
	}
	defer c.Close()
	switch args[0] {
	case "list":
		switch meibo.MailStatus(*status) {
		case "", meibo.MailPending, meibo.MailSent, meibo.MailFailed:
		default:
			return usagef("--status must be pending, sent or failed")
		}
		msgs, err := c.svc.Mails(c.ctx, meibo.MailFilter{Status: meibo.MailStatus(*status), Limit: *limit})
		if err != nil {
			return err
		}
		if *asJSON {
			return printJSON(env.stdout, msgs)
		}
		tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tSTATUS\tKIND\tGROUP\tTO\tSUBJECT\tATTEMPTS\tCREATED\tLAST ERROR")
		for _, m := range msgs {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", m.ID, m.Status, m.Kind, orDash(m.GroupID), m.To, m.Subject, m.Attempts,
				m.CreatedAt.Local().Format(time.DateTime), oneLine(m.LastError))
		}
		return tw.Flush()
	case "test":
		if len(pos) != 1 {
			return usagef("mail test needs one ADDRESS")
		}
		if *lang != "en" && *lang != "ja" {
			return usagef("--lang must be en or ja")
		}
		cfg := service.Config{Hasher: mustHasher(), Location: time.Local, Logger: discardLogger()}
		if err := mc.apply(&cfg); err != nil {
			return err
		}
		if cfg.Sender == nil {
			return usagef("set --smtp-host (MEIBO_SMTP_HOST) and the other SMTP flags to send mail")
		}
		svc := service.New(c.db, cfg)
		if err := svc.SendTestMail(c.ctx, pos[0], meibo.Lang(*lang)); err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "sent a test message to %s through %s:%d\n", pos[0], mc.SMTP.Host, mc.SMTP.Port)
		return nil
	}
	return usagef("unknown mail command %q", args[0])
}

func oneLine(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if len(s) > 80 {
		s = s[:77] + "..."
	}
	return s
}

func mustHasher() meibo.PasswordHasher {
	h, err := argon2id.New(argon2id.Default)
	if err != nil {
		panic(err)
	}
	return h
}
