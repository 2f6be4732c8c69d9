package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/meibo/meibo/store/storetest"
)

const transportPassword = "Transport-test-pw1"

// startTransport starts Main on engine with the changes of edit, the
// built-in admin's password known, and its log in the returned buffer.
func startTransport(t *testing.T, engine string, edit func(*Config)) (*Main, *syncBuffer) {
	t.Helper()
	var db string
	switch engine {
	case "sqlite":
		db = migratedDB(t)
	case "postgres":
		db = storetest.SchemaDSN(t, storetest.PostgresDSN(t))
	}
	logs := &syncBuffer{}
	cfg := testConfig(db, io.Discard)
	cfg.AdminPassword = transportPassword
	cfg.Logger = slog.New(slog.NewTextHandler(logs, nil))
	if edit != nil {
		edit(&cfg)
	}
	m := NewMain(cfg)
	if err := m.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m, logs
}

// apiLogin posts a login from a client that a proxy says is at forwardedFor
// ("" for none) and returns the status and token.
func apiLogin(t *testing.T, base, forwardedFor, password string) (int, string) {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"loginId": "admin", "password": password})
	req, _ := http.NewRequest("POST", base+"/api/v1/login", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if forwardedFor != "" {
		req.Header.Set("X-Forwarded-For", forwardedFor)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out struct{ Token string }
	json.NewDecoder(res.Body).Decode(&out)
	return res.StatusCode, out.Token
}

func auditText(t *testing.T, base, token string) string {
	t.Helper()
	req, _ := http.NewRequest("GET", base+"/api/v1/audit?limit=200", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 {
		t.Fatalf("audit: %d %s", res.StatusCode, b)
	}
	return string(b)
}

// TestTrustedProxies: behind a trusted proxy two clients are told apart in
// the audit log and the request log; the same headers from a peer that is
// not a trusted proxy are ignored.
func TestTrustedProxies(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		t.Run("trusted", func(t *testing.T) {
			m, logs := startTransport(t, engine, func(c *Config) { c.HTTP.TrustedProxies = "127.0.0.1/32, ::1" })
			base := m.URL()
			if st, _ := apiLogin(t, base, "198.51.100.1", "wrong-password-1"); st != http.StatusUnauthorized {
				t.Fatalf("wrong password: %d", st)
			}
			// A client that puts its own X-Forwarded-For before the proxy's
			// does not choose its address: the right-most hop counts.
			if st, _ := apiLogin(t, base, "192.0.2.99, 203.0.113.2", "wrong-password-2"); st != http.StatusUnauthorized {
				t.Fatalf("wrong password: %d", st)
			}
			st, tok := apiLogin(t, base, "192.0.2.3", transportPassword)
			if st != 200 {
				t.Fatalf("login: %d", st)
			}
			audit := auditText(t, base, tok)
			for _, want := range []string{`"addr":"198.51.100.1"`, `"addr":"203.0.113.2"`, `"addr":"192.0.2.3"`} {
				if !strings.Contains(audit, want) {
					t.Errorf("the audit log has no %s:\n%s", want, audit)
				}
			}
			if strings.Contains(audit, `"addr":"127.0.0.1"`) || strings.Contains(audit, "192.0.2.99") {
				t.Errorf("the audit log has the proxy's or a forged address:\n%s", audit)
			}
			for _, want := range []string{"addr=198.51.100.1", "addr=203.0.113.2"} {
				if !strings.Contains(logs.String(), want) {
					t.Errorf("the request log has no %s", want)
				}
			}
		})
		t.Run("untrusted", func(t *testing.T) {
			m, logs := startTransport(t, engine, nil)
			base := m.URL()
			if st, _ := apiLogin(t, base, "198.51.100.1", "wrong-password-1"); st != http.StatusUnauthorized {
				t.Fatalf("wrong password: %d", st)
			}
			st, tok := apiLogin(t, base, "", transportPassword)
			if st != 200 {
				t.Fatalf("login: %d", st)
			}
			audit := auditText(t, base, tok)
			if strings.Contains(audit, "198.51.100.1") || !strings.Contains(audit, `"addr":"127.0.0.1"`) {
				t.Errorf("an untrusted X-Forwarded-For was believed:\n%s", audit)
			}
			if strings.Contains(logs.String(), "addr=198.51.100.1") {
				t.Error("the request log believed an untrusted X-Forwarded-For")
			}
		})
	})
}

// TestBodyLimits: a JSON body over 1 MiB is 413 with a JSON error naming
// the limit; a form too large for the sign-in page is 413 too, and a SCIM
// request a SCIM error.
func TestBodyLimits(t *testing.T) {
	m, _ := startTransport(t, "sqlite", nil)
	base := m.URL()
	_, tok := apiLogin(t, base, "", transportPassword)

	big := `{"name":"` + strings.Repeat("x", 1<<20) + `"}`
	for _, c := range []struct{ method, path, token string }{
		{"POST", "/api/v1/groups", tok},
		{"POST", "/api/v1/login", ""},
	} {
		req, _ := http.NewRequest(c.method, base+c.path, strings.NewReader(big))
		req.Header.Set("Content-Type", "application/json")
		if c.token != "" {
			req.Header.Set("Authorization", "Bearer "+c.token)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body struct {
			Error struct{ Code, Message string }
		}
		json.NewDecoder(res.Body).Decode(&body)
		res.Body.Close()
		if res.StatusCode != http.StatusRequestEntityTooLarge || body.Error.Code != "too_large" ||
			!strings.Contains(body.Error.Message, "1 MiB") || !strings.Contains(body.Error.Message, "--json-max-bytes") {
			t.Errorf("%s %s over 1 MiB: %d %+v", c.method, c.path, res.StatusCode, body)
		}
	}
	// Just under the limit is read (and refused for what it says).
	req, _ := http.NewRequest("POST", base+"/api/v1/groups", strings.NewReader(`{"id":"G1","name":"`+strings.Repeat("x", 1000)+`"}`))
	req.Header.Set("Authorization", "Bearer "+tok)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode == http.StatusRequestEntityTooLarge {
		t.Errorf("a small body: %d", res.StatusCode)
	}

	// A SCIM request over the bound is answered by the SCIM service, as a
	// SCIM error.
	req, _ = http.NewRequest("POST", base+"/scim/v2/G1/Users", strings.NewReader(strings.Repeat(" ", 2<<20)))
	req.Header.Set("Content-Type", "application/scim+json")
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusRequestEntityTooLarge || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/scim+json") ||
		!strings.Contains(string(b), "urn:ietf:params:scim:api:messages:2.0:Error") {
		t.Errorf("a large SCIM request: %d %s %s", res.StatusCode, res.Header.Get("Content-Type"), b)
	}

	form := url.Values{"loginId": {"admin"}, "password": {strings.Repeat("p", 100<<10)}}
	res, err = http.PostForm(base+"/console/signin", form)
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(res.Body)
	res.Body.Close()
	// A page speaks to the person who sent the form, not to the operator:
	// what to do, without the flag that sets the limit.
	if res.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(b), "64 KiB") || !strings.Contains(string(b), "Go back and send less at once") ||
		strings.Contains(string(b), "--form-max-bytes") {
		t.Errorf("a large sign-in form: %d %s", res.StatusCode, b)
	}
}

// TestDeclaredTooLarge: a form whose declared Content-Length is over the
// limit is answered 413 at once and its connection closed, without waiting
// for a body that may never come (a body under 256 KiB would otherwise be
// read to its end, up to --body-read-timeout, before the answer).
func TestDeclaredTooLarge(t *testing.T) {
	m, _ := startTransport(t, "sqlite", nil) // --body-read-timeout of 10 s
	u, _ := url.Parse(m.URL())
	for _, p := range []string{"/console/signin", "/signin", "/reset"} {
		conn, err := net.Dial("tcp", u.Host)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		start := time.Now()
		fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-www-form-urlencoded\r\n"+
			"Content-Length: 100000\r\n\r\nloginId=admin", p, u.Host)
		conn.SetReadDeadline(time.Now().Add(3 * time.Second))
		res, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatalf("%s: no answer within 3 s: %v", p, err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(b), "64 KiB") {
			t.Errorf("%s: %d %s", p, res.StatusCode, b)
		}
		if took := time.Since(start); took > 2*time.Second {
			t.Errorf("%s: answered after %v", p, took)
		}
		if !res.Close {
			t.Errorf("%s: no Connection: close", p)
		}
		// Closed by the server within a moment, not left to time out.
		if n, err := conn.Read(make([]byte, 1)); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("%s: the connection is still open (%d bytes, %v)", p, n, err)
		}
	}
}

// slowPost sends the headers of a POST to path with a body of 100 bytes,
// then only 10 of them, and returns the connection (its answer unread).
// A bearer token, when given, is sent too.
func slowPost(t *testing.T, base, path, contentType, bearer string) net.Conn {
	t.Helper()
	u, _ := url.Parse(base)
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	auth := ""
	if bearer != "" {
		auth = "Authorization: Bearer " + bearer + "\r\n"
	}
	fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: %s\r\n%sContent-Length: 100\r\n\r\n0123456789", path, u.Host, contentType, auth)
	return conn
}

// TestSlowBodies: a JSON or form body that does not arrive within
// --body-read-timeout is answered 408 and the connection closed, while
// other clients are served meanwhile. Such a body is read before its
// credentials are checked: on the sign-in addresses, and on every address
// of the API, the device protocol and the pages, whatever token it claims.
func TestSlowBodies(t *testing.T) {
	m, _ := startTransport(t, "sqlite", func(c *Config) { c.HTTP.BodyReadTimeout = 1500 * time.Millisecond })
	base := m.URL()
	paths := []struct{ path, ct, bearer string }{
		{"/api/v1/login", "application/json", ""},
		{"/console/signin", "application/x-www-form-urlencoded", ""},
		{"/signin", "application/x-www-form-urlencoded", ""},
		{"/reset", "application/x-www-form-urlencoded", ""},
		{"/device/v1/enrol", "application/json", ""},
		{"/api/v1/groups", "application/json", ""},
		{"/api/v1/groups", "application/json", "mbt_" + strings.Repeat("x", 40)},
		{"/device/v1/checkin", "application/json", "mbd_" + strings.Repeat("x", 40)},
		{"/portal/password", "application/x-www-form-urlencoded", ""},
	}
	start := time.Now()
	conns := make([]net.Conn, len(paths))
	for i, p := range paths {
		conns[i] = slowPost(t, base, p.path, p.ct, p.bearer)
	}
	// The slow clients block no one.
	if st, _ := apiLogin(t, base, "", transportPassword); st != 200 {
		t.Errorf("login beside slow clients: %d", st)
	}
	if took := time.Since(start); took >= 1500*time.Millisecond {
		t.Errorf("a login beside slow clients took %v: it waited for them", took)
	}
	for i, conn := range conns {
		conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		res, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatalf("%s: %v", paths[i].path, err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		// The API names the flag, for its operator; a page says what to do.
		want := "--body-read-timeout"
		if !strings.HasPrefix(paths[i].path, "/api/") && !strings.HasPrefix(paths[i].path, "/device/") {
			want = "Go back and send it again."
		}
		if res.StatusCode != http.StatusRequestTimeout || !strings.Contains(string(b), "1.5s") || !strings.Contains(string(b), want) {
			t.Errorf("%s: %d %s", paths[i].path, res.StatusCode, b)
		}
		// The connection is closed.
		if n, err := conn.Read(make([]byte, 1)); err == nil {
			t.Errorf("%s: the connection is still open (%d bytes)", paths[i].path, n)
		}
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("cutting the slow bodies off took %v", took)
	}

	// An import's file (of 10 MiB here), which may take long on a slow
	// link, is read only after its token is checked: a made-up one is
	// answered at once.
	u, _ := url.Parse(base)
	for _, p := range []string{"/api/v1/imports", "/api/v1/imports/1/confirm"} {
		conn, err := net.Dial("tcp", u.Host)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: multipart/form-data; boundary=x\r\nAuthorization: Bearer mbt_%s\r\n"+
			"Content-Length: %d\r\n\r\n--x\r\n", p, u.Host, strings.Repeat("x", 40), 10<<20)
		conn.SetReadDeadline(time.Now().Add(time.Second))
		res, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatalf("%s with a made-up token: %v", p, err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s with a made-up token: %d", p, res.StatusCode)
		}
	}
}

// TestSecurityHeadersEverywhere: a 404 for an unknown path, an API answer
// and the health check carry the security headers too.
func TestSecurityHeadersEverywhere(t *testing.T) {
	m, _ := startTransport(t, "sqlite", nil)
	for _, p := range []string{"/no-such-page", "/api/v1/no-such-thing", "/healthz", "/console/nothing-here"} {
		res, err := http.Get(m.URL() + p)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		h := res.Header
		if !strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors 'none'") || h.Get("X-Content-Type-Options") != "nosniff" ||
			h.Get("X-Frame-Options") != "DENY" || h.Get("Referrer-Policy") != "no-referrer" {
			t.Errorf("%s (%d) lacks security headers: %v", p, res.StatusCode, h)
		}
		if h.Get("Strict-Transport-Security") != "" {
			t.Errorf("%s: HSTS over plain http", p)
		}
	}
}

// TestOriginCheck: a form post naming another origin is refused with a
// page that says so, before its CSRF token is looked at.
func TestOriginCheck(t *testing.T) {
	m, _ := startTransport(t, "sqlite", nil)
	for _, h := range []map[string]string{{"Origin": "http://evil.example.net"}, {"Sec-Fetch-Site": "cross-site"}} {
		for _, p := range []string{"/console/signin", "/signin", "/reset", "/console/users/1"} {
			req, _ := http.NewRequest("POST", m.URL()+p, strings.NewReader("loginId=admin"))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			for k, v := range h {
				req.Header.Set(k, v)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != http.StatusForbidden || !strings.Contains(string(b), "sent from another site") {
				t.Errorf("%s with %v: %d %s", p, h, res.StatusCode, b)
			}
		}
	}
	// The own origin passes the check (and meets the CSRF check).
	req, _ := http.NewRequest("POST", m.URL()+"/console/signin", strings.NewReader("loginId=admin"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", m.URL())
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if strings.Contains(string(b), "sent from another site") {
		t.Errorf("the own origin was refused: %d", res.StatusCode)
	}
}

// TestDurabilityCheck: PostgreSQL with synchronous_commit off (set by the
// DSN) is refused at start, and started with a warning when allowed;
// SQLite's pragmas read back as set.
func TestDurabilityCheck(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		m, _ := startTransport(t, "sqlite", nil)
		problems, err := m.DB.CheckDurability(context.Background())
		if err != nil || len(problems) != 0 {
			t.Errorf("SQLite: %v %v", problems, err)
		}
	})
	t.Run("postgres", func(t *testing.T) {
		u, err := url.Parse(storetest.SchemaDSN(t, storetest.PostgresDSN(t)))
		if err != nil {
			t.Fatal(err)
		}
		q := u.Query()
		q.Set("options", "-c synchronous_commit=off")
		u.RawQuery = strings.ReplaceAll(q.Encode(), "+", "%20") // pgx reads no "+" as a space
		cfg := testConfig(u.String(), io.Discard)
		cfg.AdminPassword = transportPassword
		err = NewMain(cfg).Open(context.Background())
		if err == nil || !strings.Contains(err.Error(), "synchronous_commit is off") || !strings.Contains(err.Error(), "--allow-unsafe-durability") {
			t.Fatalf("synchronous_commit=off: %v", err)
		}
		logs := &syncBuffer{}
		cfg.Logger = slog.New(slog.NewTextHandler(logs, nil))
		cfg.AllowUnsafeDurability = true
		m := NewMain(cfg)
		if err := m.Open(context.Background()); err != nil {
			t.Fatalf("allowed: %v", err)
		}
		defer m.Close()
		if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), "synchronous_commit is off") {
			t.Errorf("no warning:\n%s", logs)
		}
		// The settings of a normal connection pass.
		m2, _ := startTransport(t, "postgres", nil)
		if problems, err := m2.DB.CheckDurability(context.Background()); err != nil || len(problems) != 0 {
			t.Errorf("PostgreSQL: %v %v", problems, err)
		}
	})
}

// TestAgentRefusesAdminTokenFlag: the administrator's token is never taken
// from the command line.
func TestAgentRefusesAdminTokenFlag(t *testing.T) {
	c := newCLI(t)
	for _, args := range [][]string{
		{"agent", "--admin-token", "mbo_secret", "--group", "G001"},
		{"agent", "--group", "G001", "-admin-token=mbo_secret"},
	} {
		r := c.run(args)
		if r.code != exitUsage || !strings.Contains(r.stderr, "--admin-token-file") || !strings.Contains(r.stderr, "MEIBO_ADMIN_TOKEN") {
			t.Errorf("%v: %s", args, r)
		}
	}
	// An empty token file is refused too.
	empty := filepath.Join(c.dir, "token")
	os.WriteFile(empty, []byte("\n"), 0o600)
	if r := c.run([]string{"agent", "--admin-token-file", empty, "--group", "G001"}); r.code != exitUsage || !strings.Contains(r.stderr, "empty") {
		t.Errorf("empty token file: %s", r)
	}
}

// testCert writes a self-signed certificate for 127.0.0.1 and localhost
// with serial into dir and returns the paths of the certificate and key.
func testCert(t *testing.T, dir string, serial int64) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial),
		Subject:      pkix.Name{CommonName: "meibo test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:     []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	// Written beside and renamed, as a renewal does, so that a handshake
	// never reads half a file.
	for _, f := range []struct {
		path, typ string
		b         []byte
	}{{certFile, "CERTIFICATE", der}, {keyFile, "EC PRIVATE KEY", kb}} {
		tmp := f.path + ".new"
		if err := os.WriteFile(tmp, pem.EncodeToMemory(&pem.Block{Type: f.typ, Bytes: f.b}), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, f.path); err != nil {
			t.Fatal(err)
		}
	}
	return certFile, keyFile
}

// TestTLSKeyReadableByAll: a private key every user of the machine may
// read draws a warning at the start, with the chmod; one of its owner
// (and a group, as Debian's ssl-cert) does not.
func TestTLSKeyReadableByAll(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		mode os.FileMode
		warn bool
	}{{0o644, true}, {0o640, false}, {0o600, false}} {
		cert, key := testCert(t, t.TempDir(), 7)
		if err := os.Chmod(key, c.mode); err != nil {
			t.Fatal(err)
		}
		var logs syncBuffer
		if _, err := newCertFiles(cert, key, slog.New(slog.NewTextHandler(&logs, nil))); err != nil {
			t.Fatal(err)
		}
		warned := strings.Contains(logs.String(), "every user of this machine may read the TLS private key "+key+" (mode -rw-r--r--)") &&
			strings.Contains(logs.String(), "chmod 600 "+key)
		if warned != c.warn {
			t.Errorf("a key of mode %v: warned %v; log:\n%s", c.mode, warned, logs.String())
		}
	}
}

// servedSerial makes a TLS handshake with addr and returns the serial of
// the certificate served and the protocol agreed.
func servedSerial(t *testing.T, addr string, cfg *tls.Config) (int64, string) {
	t.Helper()
	conn, err := tls.Dial("tcp", addr, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	st := conn.ConnectionState()
	return st.PeerCertificates[0].SerialNumber.Int64(), st.NegotiatedProtocol
}

// TestTLS: meibo serves https itself with TLS 1.2 or later and HTTP/2,
// and a replaced certificate is served from the next handshake on.
func TestTLS(t *testing.T) {
	dir := t.TempDir()
	cert, key := testCert(t, dir, 1001)
	m, _ := startTransport(t, "sqlite", func(c *Config) { c.HTTP.TLSCert, c.HTTP.TLSKey = cert, key })
	if !strings.HasPrefix(m.URL(), "https://") {
		t.Fatalf("URL %s", m.URL())
	}
	addr := strings.TrimPrefix(m.URL(), "https://")
	serial, proto := servedSerial(t, addr, &tls.Config{InsecureSkipVerify: true, NextProtos: []string{"h2", "http/1.1"}})
	if serial != 1001 || proto != "h2" {
		t.Errorf("served serial %d over %q", serial, proto)
	}
	if _, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true, MaxVersion: tls.VersionTLS11}); err == nil {
		t.Error("TLS 1.1 was accepted")
	}

	// An https request: HSTS, and Secure __Host- cookies.
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	res, err := client.Get(m.URL() + "/console/signin")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if !strings.HasPrefix(res.Header.Get("Strict-Transport-Security"), "max-age=") {
		t.Errorf("no HSTS: %v", res.Header)
	}
	cookies := res.Cookies()
	if len(cookies) == 0 {
		t.Fatal("no form cookie")
	}
	for _, c := range cookies {
		if !strings.HasPrefix(c.Name, "__Host-") || !c.Secure || c.Path != "/" || c.Domain != "" {
			t.Errorf("cookie %+v", c)
		}
	}

	// A renewal: the next handshake serves the new certificate.
	time.Sleep(10 * time.Millisecond) // a later modification time
	testCert(t, dir, 2002)
	if serial, _ := servedSerial(t, addr, &tls.Config{InsecureSkipVerify: true}); serial != 2002 {
		t.Errorf("after the renewal: serial %d", serial)
	}
	// A broken renewal keeps the certificate in use.
	os.WriteFile(cert, []byte("not a certificate"), 0o600)
	if serial, _ := servedSerial(t, addr, &tls.Config{InsecureSkipVerify: true}); serial != 2002 {
		t.Errorf("after a broken renewal: serial %d", serial)
	}
}

// secureJar keeps cookies as a browser does for http://localhost, which
// it counts as a secure context: Secure cookies (meibo sets them when its
// public URL is https) are kept and sent back over plain http too.
type secureJar struct{ http.CookieJar }

func localhostJar() http.CookieJar {
	jar, _ := cookiejar.New(nil)
	return secureJar{jar}
}

func asHTTPS(u *url.URL) *url.URL {
	v := *u
	v.Scheme = "https"
	return &v
}

func (j secureJar) SetCookies(u *url.URL, cs []*http.Cookie) { j.CookieJar.SetCookies(asHTTPS(u), cs) }
func (j secureJar) Cookies(u *url.URL) []*http.Cookie        { return j.CookieJar.Cookies(asHTTPS(u)) }
