// Package smtptest runs a real SMTP server (github.com/emersion/go-smtp) on
// 127.0.0.1 for tests. It records every message it accepts, parsed with
// net/mail and mime/multipart; it can refuse the next deliveries with a
// chosen reply, require AUTH PLAIN, and offer STARTTLS or TLS from the first
// byte with a self-signed certificate made when it starts.
//
// Only tests import it; it must not be imported by meibo's own packages.
package smtptest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"log"
	"math/big"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/meibo/meibo/mailer"
)

// Options say what the server offers and demands.
type Options struct {
	StartTLS    bool // offer STARTTLS
	ImplicitTLS bool // speak TLS from the first byte
	// Username and Password, when set, make AUTH PLAIN required before MAIL.
	Username, Password string
	// Delay is how long the server takes to accept each message.
	Delay time.Duration
}

// Message is one accepted message.
type Message struct {
	From     string   // envelope sender
	To       []string // envelope recipients
	Raw      []byte
	Header   mail.Header
	Subject  string // decoded (RFC 2047)
	Text     string // the text/plain part, decoded
	HTML     string // the text/html part, decoded
	TLS      bool   // it came over TLS
	AuthUser string // who authenticated, if anyone
	ParseErr error  // why Raw could not be parsed, if it could not
}

// Server is a running test SMTP server.
type Server struct {
	Host    string
	Port    int
	RootCAs *x509.CertPool // trusts the server's certificate
	opts    Options
	srv     *smtp.Server

	mu       sync.Mutex
	msgs     []*Message
	refuse   int
	code     int
	drop     int
	mailCmds int
	datas    int
}

// Start starts a server on 127.0.0.1 and stops it when the test ends.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	s := &Server{opts: opts}
	srv := smtp.NewServer(backend{s})
	srv.Domain = "localhost"
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	srv.MaxMessageBytes = 1 << 20
	srv.ErrorLog = log.New(io.Discard, "", 0)
	var tc *tls.Config
	if opts.StartTLS || opts.ImplicitTLS {
		cert, pool, err := selfSigned()
		if err != nil {
			t.Fatal(err)
		}
		tc = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		s.RootCAs = pool
		if opts.StartTLS {
			srv.TLSConfig = tc
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if opts.ImplicitTLS {
		ln = tls.NewListener(ln, tc)
	}
	addr := ln.Addr().(*net.TCPAddr)
	s.Host, s.Port, s.srv = "127.0.0.1", addr.Port, srv
	go srv.Serve(ln) //nolint:errcheck // ends with Close
	t.Cleanup(func() { srv.Close() })
	return s
}

// Addr is the server's host:port.
func (s *Server) Addr() string { return fmt.Sprintf("%s:%d", s.Host, s.Port) }

// Mailer is a mailer configuration for this server: its security mode,
// credentials and certificate, sending as from.
func (s *Server) Mailer(from string) mailer.Config {
	c := mailer.Config{Host: s.Host, Port: s.Port, From: from, Username: s.opts.Username, Password: s.opts.Password,
		Timeout: 5 * time.Second, Security: mailer.Plain}
	switch {
	case s.opts.ImplicitTLS:
		c.Security = mailer.ImplicitTLS
	case s.opts.StartTLS:
		c.Security = mailer.StartTLS
	}
	if s.RootCAs != nil {
		c.TLS = &tls.Config{RootCAs: s.RootCAs}
	}
	return c
}

// Refuse makes the next n deliveries fail at the end of DATA with code (a
// 4xx or 5xx reply); the refused messages are not recorded.
func (s *Server) Refuse(n, code int) {
	s.mu.Lock()
	s.refuse, s.code = n, code
	s.mu.Unlock()
}

// DropAfterAccept makes the server close the connection right after it
// accepted each of the next n messages (its 250 reply sent), as a relay
// that goes away before the client's RSET or QUIT.
func (s *Server) DropAfterAccept(n int) {
	s.mu.Lock()
	s.drop = n
	s.mu.Unlock()
}

// Messages returns the accepted messages in the order they arrived.
func (s *Server) Messages() []*Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*Message(nil), s.msgs...)
}

// Counts returns how many MAIL commands the server took and how many
// messages it read to the end (accepted or refused).
func (s *Server) Counts() (mailCmds, datas int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mailCmds, s.datas
}

// Wait waits until at least n messages were accepted and returns them; it
// fails the test after timeout.
func (s *Server) Wait(t testing.TB, n int, timeout time.Duration) []*Message {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		msgs := s.Messages()
		if len(msgs) >= n {
			return msgs
		}
		if time.Now().After(deadline) {
			t.Fatalf("smtptest: %d messages after %v, want %d", len(msgs), timeout, n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

type backend struct{ s *Server }

func (b backend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	_, isTLS := c.TLSConnectionState()
	return &session{s: b.s, tls: isTLS, conn: c}, nil
}

type session struct {
	s    *Server
	conn *smtp.Conn
	tls  bool
	user string
	from string
	to   []string
	drop bool // close the connection at the reset that follows the reply
}

func (x *session) AuthMechanisms() []string {
	if x.s.opts.Username == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (x *session) Auth(mech string) (sasl.Server, error) {
	if mech != sasl.Plain || x.s.opts.Username == "" {
		return nil, smtp.ErrAuthUnknownMechanism
	}
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if username != x.s.opts.Username || password != x.s.opts.Password {
			return smtp.ErrAuthFailed
		}
		x.user = username
		return nil
	}), nil
}

func (x *session) Mail(from string, _ *smtp.MailOptions) error {
	x.s.mu.Lock()
	x.s.mailCmds++
	x.s.mu.Unlock()
	if x.s.opts.Username != "" && x.user == "" {
		return smtp.ErrAuthRequired
	}
	x.from = from
	return nil
}

func (x *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	x.to = append(x.to, to)
	return nil
}

func (x *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if x.s.opts.Delay > 0 {
		time.Sleep(x.s.opts.Delay)
	}
	_, isTLS := x.conn.TLSConnectionState()
	s := x.s
	s.mu.Lock()
	defer s.mu.Unlock()
	s.datas++
	if s.refuse > 0 {
		s.refuse--
		if s.code >= 500 {
			return &smtp.SMTPError{Code: s.code, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "Mailbox unavailable (smtptest)"}
		}
		return &smtp.SMTPError{Code: s.code, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Try again later (smtptest)"}
	}
	m := &Message{From: x.from, To: append([]string(nil), x.to...), Raw: raw, TLS: isTLS || x.tls, AuthUser: x.user}
	m.ParseErr = m.parse()
	s.msgs = append(s.msgs, m)
	if s.drop > 0 {
		s.drop--
		x.drop = true
	}
	return nil
}

// Reset follows every DATA, after its reply is written.
func (x *session) Reset() {
	x.from, x.to = "", nil
	if x.drop {
		x.drop = false
		x.conn.Conn().Close()
	}
}

func (x *session) Logout() error { return nil }

// parse fills the header, the decoded subject and the text and HTML parts.
func (m *Message) parse() error {
	pm, err := mail.ReadMessage(bytes.NewReader(m.Raw))
	if err != nil {
		return err
	}
	m.Header = pm.Header
	var dec mime.WordDecoder
	if m.Subject, err = dec.DecodeHeader(pm.Header.Get("Subject")); err != nil {
		return fmt.Errorf("subject: %w", err)
	}
	return m.part(pm.Header.Get("Content-Type"), pm.Header.Get("Content-Transfer-Encoding"), pm.Body)
}

func (m *Message) part(contentType, cte string, body io.Reader) error {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return fmt.Errorf("content type %q: %w", contentType, err)
	}
	if strings.HasPrefix(mt, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextPart() // decodes quoted-printable itself
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return err
			}
			if err := m.part(p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p); err != nil {
				return err
			}
		}
	}
	if strings.EqualFold(cte, "quoted-printable") {
		body = quotedprintable.NewReader(body)
	}
	b, err := io.ReadAll(body)
	if err != nil {
		return err
	}
	switch mt {
	case "text/plain":
		m.Text = string(b)
	case "text/html":
		m.HTML = string(b)
	}
	return nil
}

// selfSigned makes a certificate for 127.0.0.1 and localhost, and a pool
// that trusts it.
func selfSigned() (tls.Certificate, *x509.CertPool, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "smtptest"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool, nil
}
