// Package mailer delivers outbox messages by SMTP with go-mail
// (github.com/wneessen/go-mail): STARTTLS (required or opportunistic) or TLS
// from the first byte, and SMTP AUTH. It knows nothing of the outbox itself:
// the service hands it one message at a time and learns whether a failure is
// worth a retry.
package mailer

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/mail"
	"net/textproto"
	"strings"
	"syscall"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/meibo/meibo"
)

// Security says how the connection to the SMTP server is protected.
type Security string

// The connection security modes.
const (
	StartTLS              Security = "starttls"               // STARTTLS required (default)
	StartTLSOpportunistic Security = "starttls-opportunistic" // STARTTLS when offered
	ImplicitTLS           Security = "tls"                    // TLS from the first byte (port 465)
	Plain                 Security = "none"                   // no encryption (a local relay)
)

// Config is where and how to send mail.
type Config struct {
	Host     string
	Port     int // 0: 587, or 465 with ImplicitTLS, or 25 with Plain
	Security Security
	Username string // with Password: SMTP AUTH (PLAIN, LOGIN or CRAM-MD5 as offered)
	Password string
	From     string // the From address, "meibo <noreply@example.org>"
	HELO     string // the name this client gives (default: the system's)
	Timeout  time.Duration
	// TLS, when set, configures TLS (a private CA, say); its ServerName
	// defaults to Host.
	TLS *tls.Config
}

// Validate checks the configuration.
func (c *Config) Validate() error {
	if c.Host == "" {
		return errors.New("mailer: no SMTP host")
	}
	switch c.Security {
	case "":
		c.Security = StartTLS
	case StartTLS, StartTLSOpportunistic, ImplicitTLS, Plain:
	default:
		return fmt.Errorf("mailer: unknown security %q: use starttls, starttls-opportunistic, tls or none", c.Security)
	}
	if _, err := mail.ParseAddress(c.From); err != nil {
		return fmt.Errorf("mailer: the From address %q is not valid: %w", c.From, err)
	}
	if (c.Username == "") != (c.Password == "") {
		return errors.New("mailer: give both an SMTP username and password, or neither")
	}
	if c.Timeout <= 0 {
		c.Timeout = 30 * time.Second
	}
	if c.Port == 0 {
		switch c.Security {
		case ImplicitTLS:
			c.Port = 465
		case Plain:
			c.Port = 25
		default:
			c.Port = 587
		}
	}
	return nil
}

// Mailer sends messages by SMTP.
type Mailer struct {
	cfg Config
}

// New returns a mailer for cfg.
func New(cfg Config) (*Mailer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Mailer{cfg: cfg}, nil
}

// Error is a failed delivery: Temp when a later attempt may succeed (a 4xx
// reply, a connection that failed or timed out).
type Error struct {
	Temp bool
	Err  error
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// Temporary reports whether a later attempt may succeed.
func (e *Error) Temporary() bool { return e.Temp }

// Send delivers one message. The Message-ID is derived from the message's ID
// so that every attempt of one outbox message carries the same one.
func (m *Mailer) Send(ctx context.Context, msg *meibo.MailMessage) error {
	gm, err := m.message(msg)
	if err != nil {
		return &Error{Temp: false, Err: err}
	}
	c, err := m.client()
	if err != nil {
		return &Error{Temp: false, Err: err}
	}
	if err := c.DialAndSendWithContext(ctx, gm); err != nil {
		if gm.IsDelivered() {
			// The server accepted the message (its reply to the end of
			// DATA); only what followed (RSET, QUIT) failed. The message
			// is the server's now: sending it again would deliver it twice.
			return nil
		}
		return classify(err)
	}
	return nil
}

func (m *Mailer) client() (*gomail.Client, error) {
	cfg := m.cfg
	opts := []gomail.Option{gomail.WithPort(cfg.Port), gomail.WithTimeout(cfg.Timeout)}
	tc := cfg.TLS
	if tc == nil {
		tc = &tls.Config{}
	} else {
		tc = tc.Clone()
	}
	if tc.ServerName == "" {
		tc.ServerName = cfg.Host
	}
	if tc.MinVersion == 0 {
		tc.MinVersion = tls.VersionTLS12
	}
	opts = append(opts, gomail.WithTLSConfig(tc))
	switch cfg.Security {
	case StartTLS:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	case StartTLSOpportunistic:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	case ImplicitTLS:
		opts = append(opts, gomail.WithSSL())
	case Plain:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	}
	if cfg.Username != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover), gomail.WithUsername(cfg.Username), gomail.WithPassword(cfg.Password))
	}
	if cfg.HELO != "" {
		opts = append(opts, gomail.WithHELO(cfg.HELO))
	}
	return gomail.NewClient(cfg.Host, opts...)
}

// message builds the MIME message: plain text, with an HTML alternative when
// there is one, UTF-8, quoted-printable.
func (m *Mailer) message(msg *meibo.MailMessage) (*gomail.Msg, error) {
	gm := gomail.NewMsg(gomail.WithCharset(gomail.CharsetUTF8), gomail.WithEncoding(gomail.EncodingQP))
	if err := gm.From(m.cfg.From); err != nil {
		return nil, fmt.Errorf("the From address: %w", err)
	}
	if err := gm.To(msg.To); err != nil {
		return nil, fmt.Errorf("the address %q: %w", msg.To, err)
	}
	gm.Subject(msg.Subject)
	gm.SetMessageIDWithValue(MessageID(msg, m.cfg.From))
	gm.SetDateWithValue(msg.CreatedAt)
	gm.SetGenHeader("Auto-Submitted", "auto-generated")
	if msg.Lang != "" {
		gm.SetGenHeader(gomail.HeaderContentLang, string(msg.Lang))
	}
	gm.SetBodyString(gomail.TypeTextPlain, msg.Text)
	if msg.HTML != "" {
		gm.AddAlternativeString(gomail.TypeTextHTML, msg.HTML)
	}
	return gm, nil
}

// MessageID is the Message-ID of an outbox message (without angle brackets):
// its ID and creation time at the From address's domain.
func MessageID(msg *meibo.MailMessage, from string) string {
	domain := "meibo.invalid"
	if a, err := mail.ParseAddress(from); err == nil {
		if _, d, ok := strings.Cut(a.Address, "@"); ok && d != "" {
			domain = d
		}
	}
	return fmt.Sprintf("meibo.%d.%d@%s", msg.ID, msg.CreatedAt.UnixMicro(), domain)
}

// classify tells temporary failures (4xx replies, network trouble) from
// permanent ones (5xx replies, a refused address, a failed TLS or AUTH).
func classify(err error) error {
	var se *gomail.SendError
	if errors.As(err, &se) {
		code := se.ErrorCode()
		switch {
		case code >= 400 && code < 500:
			return &Error{Temp: true, Err: err}
		case code >= 500:
			return &Error{Temp: false, Err: err}
		}
		return &Error{Temp: se.IsTemp() || se.Reason == gomail.ErrConnCheck, Err: err}
	}
	var tpe *textproto.Error
	if errors.As(err, &tpe) {
		return &Error{Temp: tpe.Code >= 400 && tpe.Code < 500, Err: err}
	}
	var ne net.Error
	var oe *net.OpError
	var de *net.DNSError
	switch {
	case errors.As(err, &ne), errors.As(err, &oe), errors.As(err, &de),
		errors.Is(err, context.DeadlineExceeded), errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return &Error{Temp: true, Err: err}
	}
	return &Error{Temp: false, Err: err}
}
