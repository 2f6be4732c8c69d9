package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/argon2id"
	"github.com/meibo/meibo/store/storetest"
)

// syncBuffer is a buffer safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func testConfig(db string, out io.Writer) Config {
	return Config{
		Addr:              "127.0.0.1:0",
		DB:                db,
		Argon2:            argon2id.Params{Memory: 7 * 1024, Time: 5, Threads: 1},
		testHasher:        argon2id.ForTests(),
		TimeZone:          "UTC",
		Logger:            slog.New(slog.NewTextHandler(io.Discard, nil)),
		BootstrapPassword: out,
		ShutdownTimeout:   5 * time.Second,
	}
}

// migratedDB is a new SQLite database in the test's folder with every
// migration applied (a copy of one migrated once per process), for tests
// about anything but a first start: migrating a new file costs more CPU
// than most of these tests' own work under the race detector.
func migratedDB(t testing.TB) string {
	t.Helper()
	db := filepath.Join(t.TempDir(), "meibo.db")
	if err := storetest.CopySQLiteTemplate(db); err != nil {
		t.Fatal(err)
	}
	return db
}

// TestDatabaseFileOpenToOthers checks that the server warns, at its start,
// about a SQLite file that other users of the machine may read, and says
// how to close it; a file of its owner's alone draws no warning.
func TestDatabaseFileOpenToOthers(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		mode os.FileMode
		warn bool
	}{{0o644, true}, {0o600, false}} {
		db := migratedDB(t)
		if err := os.Chmod(db, c.mode); err != nil {
			t.Fatal(err)
		}
		var logs syncBuffer
		cfg := testConfig(db, io.Discard)
		cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
		m := NewMain(cfg)
		if err := m.Open(context.Background()); err != nil {
			t.Fatal(err)
		}
		m.Close()
		warned := strings.Contains(logs.String(), "other users of this machine may read the database file "+db+" (mode -rw-r--r--)") &&
			strings.Contains(logs.String(), "chmod 600 "+db)
		if warned != c.warn {
			t.Errorf("a file of mode %v: warned %v; log:\n%s", c.mode, warned, logs.String())
		}
	}
}

// TestPlainHTTPForOthers checks that the server warns when it answers
// plain http to other machines with a public URL that is not https, and
// not when it listens on loopback only or sits behind an https proxy.
func TestPlainHTTPForOthers(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		addr, publicURL string
		warn            bool
	}{
		{"0.0.0.0:0", "", true},
		{"127.0.0.1:0", "", false},
		{"0.0.0.0:0", "https://meibo.example.org", false},
	} {
		var logs syncBuffer
		cfg := testConfig(migratedDB(t), io.Discard)
		cfg.Addr, cfg.Mail.PublicURL = c.addr, c.publicURL
		cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
		m := NewMain(cfg)
		if err := m.Open(context.Background()); err != nil {
			t.Fatal(err)
		}
		m.Close()
		warned := strings.Contains(logs.String(), "meibo answers plain http on") &&
			strings.Contains(logs.String(), "passwords and session cookies cross the network unencrypted")
		if warned != c.warn {
			t.Errorf("%s, public URL %q: warned %v; log:\n%s", c.addr, c.publicURL, warned, logs.String())
		}
	}
}

// TestMetricsExposedWarning checks that the server warns, naming the flags
// that close it, when it serves /metrics without a token on its main
// listener to other machines (a listener that is not loopback, or one a
// trusted proxy forwards to), and not on a laptop's loopback listener nor
// when the metrics have a token, an address of their own or are off.
func TestMetricsExposedWarning(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name string
		addr string
		edit func(*Config)
		warn bool
	}{
		{"every interface", "0.0.0.0:0", nil, true},
		{"loopback", "127.0.0.1:0", nil, false},
		{"loopback behind a proxy", "127.0.0.1:0", func(c *Config) { c.HTTP.TrustedProxies = "127.0.0.1/32" }, true},
		{"a token", "0.0.0.0:0", func(c *Config) { c.Metrics.Token = "scraper-token" }, false},
		{"an address of their own", "0.0.0.0:0", func(c *Config) { c.Metrics.Addr = "127.0.0.1:0" }, false},
		{"no metrics", "0.0.0.0:0", func(c *Config) { c.Metrics.Disable = true }, false},
	} {
		var logs syncBuffer
		cfg := testConfig(migratedDB(t), io.Discard)
		cfg.Addr = c.addr
		cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
		if c.edit != nil {
			c.edit(&cfg)
		}
		m := NewMain(cfg)
		if err := m.Open(context.Background()); err != nil {
			t.Fatal(err)
		}
		m.Close()
		log := logs.String()
		warned := strings.Contains(log, "/metrics is served on")
		if warned != c.warn {
			t.Errorf("%s: warned %v; log:\n%s", c.name, warned, log)
		}
		if warned && (!strings.Contains(log, "--metrics-token-file") || !strings.Contains(log, "--metrics-addr") || !strings.Contains(log, "level=WARN")) {
			t.Errorf("%s: the warning names neither flag:\n%s", c.name, log)
		}
	}
}

// TestReadOnlyDatabase checks that the server refuses, at its start and
// saying why, a PostgreSQL database that takes no writes (here: read-only
// transactions by default, as on a standby), while a command still reads
// from it.
func TestReadOnlyDatabase(t *testing.T) {
	t.Parallel()
	dsn := storetest.SchemaDSN(t, storetest.PostgresDSN(t))
	m := NewMain(testConfig(dsn, io.Discard))
	if err := m.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	m.Close()
	readOnly := dsn + "&default_transaction_read_only=on"
	m = NewMain(testConfig(readOnly, io.Discard))
	err := m.Open(context.Background())
	if err == nil {
		m.Close()
		t.Fatal("the server started on a read-only database")
	}
	if !strings.Contains(err.Error(), "takes no writes: its transactions are read-only (default_transaction_read_only is on") {
		t.Errorf("error %q", err)
	}
	c := newCLI(t)
	if r := c.run([]string{"group", "list", "--db", readOnly}); r.code != 0 {
		t.Errorf("group list on the read-only database: %s", r)
	}
	// A backup of it is made, without the backup log it cannot take.
	mbk := filepath.Join(c.dir, "standby.mbk")
	if r := c.run([]string{"backup", "--db", readOnly, "-o", mbk}); r.code != 0 || !strings.Contains(r.stderr, "without its entry in the backup log") ||
		!strings.Contains(r.stderr, "default_transaction_read_only is on") {
		t.Errorf("backup of the read-only database: %s", r)
	}
	if r := c.run([]string{"backup", "--verify", mbk}); r.code != 0 {
		t.Errorf("verify the backup of the read-only database: %s", r)
	}
}

// asUnprivileged runs the calling test again as the user nobody when this
// process is root, whom no file's mode keeps from writing: it reports
// whether the caller should run its body in this process.
func asUnprivileged(t *testing.T) bool {
	t.Helper()
	if os.Getenv("MEIBO_TEST_UNPRIVILEGED") != "" || os.Geteuid() != 0 {
		return true
	}
	const nobody = 65534
	dir, err := os.MkdirTemp("", "meibo-unprivileged-") // t.TempDir's parent is closed to others
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	tmp := filepath.Join(dir, "tmp")
	bin := filepath.Join(dir, "meibo.test")
	data, err := os.ReadFile(os.Args[0])
	if err == nil {
		err = os.WriteFile(bin, data, 0o755)
	}
	if err == nil {
		err = os.Mkdir(tmp, 0o700)
	}
	if err == nil {
		err = os.Chown(tmp, nobody, nobody)
	}
	if err == nil {
		err = os.Chmod(dir, 0o755)
	}
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-test.run=^"+t.Name()+"$", "-test.count=1", "-test.v")
	cmd.Dir, cmd.Env = tmp, append(os.Environ(), "MEIBO_TEST_UNPRIVILEGED=1", "TMPDIR="+tmp)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
	out, err := cmd.CombinedOutput()
	if err != nil || !bytes.Contains(out, []byte("--- PASS: "+t.Name())) {
		t.Errorf("as the user nobody: %v\n%s", err, out)
	}
	return false
}

// TestReadOnlySQLite checks that a SQLite file this user cannot write, or
// whose folder takes no new file, is refused by the server naming the file
// or the folder and what to do, and that a backup of a read-only file is
// made without the backup log it cannot take.
func TestReadOnlySQLite(t *testing.T) {
	if !asUnprivileged(t) {
		return
	}
	c := newCLI(t)
	c.ok("group", "create", "G1")

	// Its folder takes no new file: SQLite cannot make -wal and -shm.
	roDir := filepath.Join(t.TempDir(), "ro")
	if err := os.Mkdir(roDir, 0o700); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(c.db)
	if err != nil {
		t.Fatal(err)
	}
	inRO := filepath.Join(roDir, "r.db")
	if err := os.WriteFile(inRO, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(roDir, 0o500); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(roDir, 0o700) })
	want := "may not create files in the folder " + roDir
	if r := c.run([]string{"group", "list", "--db", inRO}); r.code != 1 || !strings.Contains(r.stderr, want) {
		t.Errorf("group list in a read-only folder: %s", r)
	}
	m := NewMain(testConfig(inRO, io.Discard))
	if err := m.Open(context.Background()); err == nil || !strings.Contains(err.Error(), want) {
		if err == nil {
			m.Close()
		}
		t.Errorf("serve in a read-only folder: %v", err)
	}

	// The file itself read-only.
	for _, f := range []string{c.db, c.db + "-wal", c.db + "-shm"} {
		if err := os.Chmod(f, 0o400); err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}
	m = NewMain(testConfig(c.db, io.Discard))
	if err := m.Open(context.Background()); err == nil || !strings.Contains(err.Error(), "the file "+c.db+" is read-only for this user") {
		if err == nil {
			m.Close()
		}
		t.Errorf("serve on a read-only file: %v", err)
	}
	mbk := filepath.Join(c.dir, "ro.mbk")
	if r := c.run([]string{"backup", "-o", mbk}); r.code != 0 || !strings.Contains(r.stderr, "without its entry in the backup log") {
		t.Errorf("backup of a read-only file: %s", r)
	}
	if r := c.run([]string{"backup", "--verify", mbk}); r.code != 0 {
		t.Errorf("verify the backup of a read-only file: %s", r)
	}
}

var printedPassword = regexp.MustCompile(`created administrator "admin" with password: (\S+)`)

// TestServe starts the real server as the binary does, on port 0: it
// answers /healthz, prints a generated admin password once, serves the API
// with it, and shuts down gracefully; a second start on the same database
// prints no password.
func TestServe(t *testing.T) {
	db := filepath.Join(t.TempDir(), "meibo.db")
	var out syncBuffer
	m := NewMain(testConfig(db, &out))
	if err := m.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	closed := false
	defer func() {
		if !closed {
			m.Close()
		}
	}()
	base := m.URL()
	res, err := http.Get(base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(body), `"ok"`) {
		t.Errorf("healthz: %d %s", res.StatusCode, body)
	}
	match := printedPassword.FindAllStringSubmatch(out.String(), -1)
	if len(match) != 1 {
		t.Fatalf("the generated password was printed %d times:\n%s", len(match), out.String())
	}
	pw := match[0][1]

	// The printed password must be changed first: the API says so.
	login, _ := json.Marshal(map[string]string{"loginId": "admin", "password": pw})
	res, err = http.Post(base+"/api/v1/login", "application/json", bytes.NewReader(login))
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusForbidden || !strings.Contains(string(body), "must be changed") {
		t.Fatalf("API login with the printed password: %d %s", res.StatusCode, body)
	}
	// Changed (in the console, as the browser test does), the new one
	// signs in; the API runs.
	secret, _, err := m.Service.SignIn(context.Background(), "admin", pw, "127.0.0.1", "test", meibo.English)
	if err != nil {
		t.Fatal(err)
	}
	act, _, err := m.Service.ConsoleActor(context.Background(), secret, "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Service.ChangeOwnPassword(meibo.WithActor(context.Background(), act), pw, pw+"-changed"); err != nil {
		t.Fatal(err)
	}
	login, _ = json.Marshal(map[string]string{"loginId": "admin", "password": pw + "-changed"})
	res, err = http.Post(base+"/api/v1/login", "application/json", bytes.NewReader(login))
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		Token string `json:"token"`
	}
	json.NewDecoder(res.Body).Decode(&tok)
	res.Body.Close()
	if res.StatusCode != 200 || tok.Token == "" {
		t.Fatalf("login with the changed password: %d", res.StatusCode)
	}
	if res.Header.Get("X-Request-ID") == "" {
		t.Error("no request ID")
	}

	req, _ := http.NewRequest("GET", base+"/api/v1/admins", nil)
	req.Header.Set("Authorization", "Bearer "+tok.Token)
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(body), "AUTOBACKUPUSER") || strings.Contains(string(body), "$argon2id") {
		t.Errorf("admins: %d %s", res.StatusCode, body)
	}

	if err := m.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	closed = true
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Error("the server still answers after Close")
	}

	// Second start: the administrators exist, no password is printed.
	var out2 syncBuffer
	m2 := NewMain(testConfig(db, &out2))
	if err := m2.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer m2.Close()
	if s := out2.String(); s != "" {
		t.Errorf("a second start printed %q", s)
	}
	res, err = http.Post(m2.URL()+"/api/v1/login", "application/json", bytes.NewReader(login))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Errorf("login after a restart: %d", res.StatusCode)
	}
}

// TestServeChosenPassword: with an admin password configured, none is
// printed; a weak one is refused at start.
func TestServeChosenPassword(t *testing.T) {
	db := filepath.Join(t.TempDir(), "meibo.db")
	var out syncBuffer
	cfg := testConfig(db, &out)
	cfg.AdminPassword = "short"
	failed := NewMain(cfg)
	if err := failed.Open(context.Background()); err == nil {
		t.Fatal("a weak admin password was taken")
	}
	// A start that fails leaves nothing open behind it.
	if err := failed.DB.View(context.Background(), func(meibo.Tx) error { return nil }); err == nil {
		t.Error("a failed start left its database open")
	}
	cfg.AdminPassword = "A-chosen-pass-phrase-9"
	m := NewMain(cfg)
	if err := m.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if out.String() != "" {
		t.Errorf("printed %q", out.String())
	}
}

// TestServeCommand runs `meibo serve` itself and stops it with its context,
// as SIGTERM does.
func TestServeCommand(t *testing.T) {
	c := newCLI(t)
	c.ok("migrate")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan result, 1)
	go func() {
		var o, e syncBuffer
		env := &cliEnv{stdin: strings.NewReader(""), stdout: &o, stderr: &e, getenv: func(k string) (string, bool) {
			v, ok := c.env[k]
			if k == "MEIBO_ADDR" {
				return "127.0.0.1:0", true
			}
			if k == "MEIBO_ADMIN_PASSWORD" {
				return "A-chosen-pass-phrase-9", true
			}
			if k == "MEIBO_LOG_LEVEL" {
				return "error", true
			}
			return v, ok
		}}
		code := run(ctx, env, []string{"serve"})
		done <- result{code, o.String(), e.String()}
	}()
	// The database appears with the administrators once the server runs.
	deadline := time.Now().Add(10 * time.Second)
	for {
		r := c.run([]string{"admin", "list"})
		if r.code == 0 && strings.Contains(r.stdout, "AUTOBACKUPUSER") {
			break
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("the server did not start: %s", r)
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	select {
	case r := <-done:
		if r.code != 0 {
			t.Errorf("serve: %s", r)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop")
	}
	if r := c.run([]string{"serve", "extra"}); r.code != 2 {
		t.Errorf("serve with an argument: %s", r)
	}
	if r := c.run([]string{"serve", "--migrate", "sometimes"}, "MEIBO_ADDR=127.0.0.1:0"); r.code != 2 {
		t.Errorf("serve --migrate sometimes: %s", r)
	}
	// A first start's password that the policy refuses: the refusal says
	// where the password came from.
	fresh := filepath.Join(t.TempDir(), "fresh.db")
	if r := c.run([]string{"serve"}, "MEIBO_DB="+fresh, "MEIBO_ADDR=127.0.0.1:0", "MEIBO_ADMIN_PASSWORD=My-admin-pass-7"); r.code != 2 ||
		!strings.Contains(r.stderr, "MEIBO_ADMIN_PASSWORD") || !strings.Contains(r.stderr, "user ID") {
		t.Errorf("serve with a refused first password: %s", r)
	}
}

// TestServeGracefulClose: Close stops taking connections but lets a request
// that is under way finish, and only then returns.
func TestServeGracefulClose(t *testing.T) {
	m := NewMain(testConfig(migratedDB(t), io.Discard))
	if err := m.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	addr := strings.TrimPrefix(m.URL(), "http://")
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	body := `{"loginId":"admin","password":"Wrong-pass-phrase-1"}`
	// With "Expect: 100-continue" the server says when the handler has
	// begun to read the body: the request is then under way.
	fmt.Fprintf(conn, "POST /api/v1/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\nExpect: 100-continue\r\n\r\n", len(body))
	br := bufio.NewReader(conn)
	cont, err := http.ReadResponse(br, nil)
	if err != nil || cont.StatusCode != http.StatusContinue {
		t.Fatalf("100 Continue: %v, %v", cont, err)
	}

	closed := make(chan error, 1)
	go func() { closed <- m.Close() }()
	// Wait until the server takes no new connections: shutting down.
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			break
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatal("the server still takes connections")
		}
		time.Sleep(10 * time.Millisecond)
	}
	select {
	case err := <-closed:
		t.Fatalf("Close returned (%v) while a request was under way", err)
	default:
	}
	io.WriteString(conn, body)
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("the request under way was cut off: %v", err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusUnauthorized {
		t.Errorf("status %d", res.StatusCode)
	}
	select {
	case err := <-closed:
		if err != nil {
			t.Errorf("Close: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not return")
	}
}
