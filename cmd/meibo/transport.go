package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/meibo/meibo/api"
	"github.com/meibo/meibo/request"
	"github.com/meibo/meibo/scim"
	"github.com/meibo/meibo/store/sqlstore"
	"github.com/meibo/meibo/web"
)

// httpConfig is how meibo meets the network: TLS, the proxies in front of
// it, bounds on request bodies and how long browser sessions last.
type httpConfig struct {
	TLSCert, TLSKey string // serve https with these PEM files (reloaded when they change)
	// TrustedProxies are CIDRs (or addresses) whose X-Forwarded-For,
	// X-Forwarded-Proto and Forwarded headers are believed.
	TrustedProxies string
	// JSONMaxBytes bounds JSON bodies (default and most 1 MiB);
	// FormMaxBytes the forms of the sign-in, public and portal pages
	// (default 64 KiB). Uploads have --import-max-bytes.
	JSONMaxBytes, FormMaxBytes int64
	// BodyReadTimeout is how long a JSON or form body may take to arrive
	// (default 10 s): each is read whole before its credentials are
	// checked, so anyone can send one. Uploads are read after.
	BodyReadTimeout time.Duration
	// Portal and console session lifetimes (see service.Config).
	SessionIdle, SessionMax           time.Duration
	AdminSessionIdle, AdminSessionMax time.Duration
}

func httpFlags(fs *flagSet, c *httpConfig) {
	fs.StringVar(&c.TLSCert, "tls-cert", "", "serve https with this certificate (PEM, with its chain); reloaded when the file changes")
	fs.StringVar(&c.TLSKey, "tls-key", "", "private key (PEM) of --tls-cert")
	fs.StringVar(&c.TrustedProxies, "trusted-proxies", "", "CIDRs of reverse proxies whose X-Forwarded-For/-Proto and Forwarded headers are believed (e.g. 127.0.0.1/32,::1/128)")
	fs.Int64Var(&c.JSONMaxBytes, "json-max-bytes", 1<<20, "largest JSON request body in bytes (at most 1 MiB)")
	fs.Int64Var(&c.FormMaxBytes, "form-max-bytes", 64<<10, "largest form body of the sign-in, password and portal pages in bytes")
	fs.DurationVar(&c.BodyReadTimeout, "body-read-timeout", 10*time.Second, "time a JSON or form request body may take to arrive (each is read before its credentials are checked; uploads, read after, are not bound by it)")
	fs.DurationVar(&c.SessionIdle, "session-idle", 30*time.Minute, "a portal session ends after so long without a request")
	fs.DurationVar(&c.SessionMax, "session-max", 12*time.Hour, "a portal session ends so long after sign-in")
	fs.DurationVar(&c.AdminSessionIdle, "admin-session-idle", 15*time.Minute, "a console session ends after so long without a request")
	fs.DurationVar(&c.AdminSessionMax, "admin-session-max", 8*time.Hour, "a console session ends so long after sign-in")
}

func (c *httpConfig) defaults() {
	if c.JSONMaxBytes <= 0 || c.JSONMaxBytes > 1<<20 {
		c.JSONMaxBytes = 1 << 20
	}
	if c.FormMaxBytes <= 0 {
		c.FormMaxBytes = 64 << 10
	}
	if c.BodyReadTimeout <= 0 {
		c.BodyReadTimeout = 10 * time.Second
	}
}

// bodyRule is the bound of each request's body. JSON bodies and forms are
// small, and request.Bodies reads each whole before the handler checks its
// credentials: anyone can send one (a made-up token too), so each must
// arrive within --body-read-timeout, not hold its memory and connection
// for the server's read timeout. An import upload, SCIM and the console's
// forms (which carry uploads) bound themselves, read after their
// credentials are checked.
func (c *httpConfig) bodyRule(r *http.Request) request.BodyRule {
	p := r.URL.Path
	json := request.BodyRule{Max: c.JSONMaxBytes, Flag: "json-max-bytes", Timeout: c.BodyReadTimeout}
	form := request.BodyRule{Max: c.FormMaxBytes, Flag: "form-max-bytes", Timeout: c.BodyReadTimeout}
	switch {
	case p == "/api/v1/imports" || (strings.HasPrefix(p, "/api/v1/imports/") && strings.HasSuffix(p, "/confirm")):
		// An import's file (sent again to confirm a dry run when it held
		// passwords) is read after the token is checked, up to
		// --import-max-bytes, and may take long on a slow link.
		return request.BodyRule{}
	case strings.HasPrefix(p, scim.Prefix):
		// The SCIM service bounds its bodies itself (by --json-max-bytes
		// too), answering as a SCIM error.
		return request.BodyRule{}
	case request.IsAPI(r):
		return json
	case p == "/console/signin":
		return form
	case p == "/console" || strings.HasPrefix(p, "/console/"):
		return request.BodyRule{}
	}
	return form
}

// handler wraps the whole mux: the client resolved through trusted
// proxies, request IDs and logs, security headers on every answer, the
// Origin check of forms, and bounded bodies.
func (c *httpConfig) handler(log *slog.Logger, rv *request.Resolver, public *web.Public, mux http.Handler) http.Handler {
	h := request.Bodies(mux, c.bodyRule, public.Refuse)
	h = public.CheckOrigin(h)
	h = web.Secure(h)
	h = api.WithRequestID(log, h)
	return rv.Middleware(h)
}

// certFiles serves the certificate of two PEM files, loading them again at
// the first handshake after either changed (a renewal), so that the server
// need not restart. A pair that does not load (half written) leaves the
// previous certificate in use.
type certFiles struct {
	cert, key string
	log       *slog.Logger

	mu     sync.Mutex
	loaded *tls.Certificate
	stamp  string
}

func newCertFiles(cert, key string, log *slog.Logger) (*certFiles, error) {
	c := &certFiles{cert: cert, key: key, log: log}
	if err := c.reload(); err != nil {
		return nil, err
	}
	// Readable by its owner and, on Debian, the ssl-cert group: anyone
	// else who can read it can pose as this server.
	if st, err := os.Stat(key); err == nil && st.Mode().Perm()&0o004 != 0 {
		log.Warn(fmt.Sprintf("every user of this machine may read the TLS private key %s (mode %s): chmod 600 %s (or 640, with a group of the server's own)",
			key, st.Mode().Perm(), key), "key", key)
	}
	return c, nil
}

// fileStamp identifies the versions of the two files.
func (c *certFiles) fileStamp() (string, error) {
	var b strings.Builder
	for _, f := range []string{c.cert, c.key} {
		st, err := os.Stat(f)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(&b, "%d/%d;", st.ModTime().UnixNano(), st.Size())
	}
	return b.String(), nil
}

func (c *certFiles) reload() error {
	stamp, err := c.fileStamp()
	if err != nil {
		return fmt.Errorf("TLS certificate: %w", err)
	}
	pair, err := tls.LoadX509KeyPair(c.cert, c.key)
	if err != nil {
		return fmt.Errorf("TLS certificate %s, key %s: %w", c.cert, c.key, err)
	}
	c.loaded, c.stamp = &pair, stamp
	return nil
}

func (c *certFiles) getCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if stamp, err := c.fileStamp(); err == nil && stamp != c.stamp {
		if err := c.reload(); err != nil {
			c.log.Warn("the TLS certificate changed but does not load: still serving the previous one", "err", err)
			c.stamp = stamp // try again when the files change again
		} else {
			c.log.Info("loaded the new TLS certificate", "cert", c.cert)
		}
	}
	return c.loaded, nil
}

// tlsConfig is TLS 1.2 or later, HTTP/2 and HTTP/1.1, with the certificate
// of certFiles.
func (c *certFiles) tlsConfig() *tls.Config {
	return &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: c.getCertificate, NextProtos: []string{"h2", "http/1.1"}}
}

// checkDurability refuses a database whose settings could lose committed
// changes in a crash, unless allowed (then each is logged as a warning).
func checkDurability(ctx context.Context, db *sqlstore.DB, allow bool, log *slog.Logger) error {
	problems, err := db.CheckDurability(ctx)
	if err != nil {
		return err
	}
	if len(problems) == 0 {
		return nil
	}
	if !allow {
		return fmt.Errorf("the database could lose committed changes in a crash: %s (fix the setting, or start with --allow-unsafe-durability to run anyway)",
			strings.Join(problems, "; "))
	}
	for _, p := range problems {
		log.Warn("unsafe database durability, allowed by --allow-unsafe-durability: committed changes can be lost in a crash", "setting", p)
	}
	return nil
}
