package main

// End to end: the real server (Main, as `meibo serve` starts it) and real
// `meibo agent` processes built from this package; a person signs in to the
// portal over HTTP and sends commands, and the server's recorded times show
// how fast they reached the device.

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/service"
	"github.com/meibo/meibo/store/storetest"
)

// e2ePassword is the portal password of the end-to-end users.
const e2ePassword = "Quiet-harbour-42"

// e2eBinary is the meibo binary of this package, built by the first test
// that needs it and removed by TestMain.
var e2eBinary struct {
	once sync.Once
	dir  string
	path string
	err  error
}

// e2eBuild builds the meibo binary of this package (once for all the tests)
// into a temporary folder and returns its path.
func e2eBuild(t *testing.T) string {
	t.Helper()
	e2eBinary.once.Do(func() {
		dir, err := os.MkdirTemp("", "meibo-e2e-")
		if err != nil {
			e2eBinary.err = err
			return
		}
		e2eBinary.dir = dir
		bin := filepath.Join(dir, "meibo")
		if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
			e2eBinary.err = fmt.Errorf("go build: %w\n%s", err, out)
			return
		}
		e2eBinary.path = bin
	})
	if e2eBinary.err != nil {
		t.Fatal(e2eBinary.err)
	}
	return e2eBinary.path
}

// e2eClock is the real time plus an offset the test moves forward.
type e2eClock struct{ offset atomic.Int64 }

func (c *e2eClock) Now() time.Time      { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *e2eClock) Add(d time.Duration) { c.offset.Add(int64(d)) }

// e2eServer starts a server on db and closes it when the test ends.
func e2eServer(t *testing.T, db string, clock func() time.Time) *Main {
	t.Helper()
	cfg := testConfig(db, io.Discard)
	cfg.AdminPassword = "A-chosen-pass-phrase-9"
	cfg.Clock = clock
	m := NewMain(cfg)
	if err := m.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

// e2eAgentProc is a running `meibo agent` process.
type e2eAgentProc struct {
	t    *testing.T
	cmd  *exec.Cmd
	out  *syncBuffer
	done chan struct{}
	code int
}

// e2eStartAgent runs `meibo agent` with args; it is stopped when the test
// ends, before the servers.
func e2eStartAgent(t *testing.T, bin string, args ...string) *e2eAgentProc {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"agent"}, args...)...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "MEIBO_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	a := &e2eAgentProc{t: t, cmd: cmd, out: &syncBuffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = a.out, a.out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		err := cmd.Wait()
		a.code = cmd.ProcessState.ExitCode()
		if err != nil && a.code == 0 {
			a.code = -1
		}
		close(a.done)
	}()
	t.Cleanup(func() { a.stop() })
	return a
}

// stop ends the agent as SIGTERM does and waits for it.
func (a *e2eAgentProc) stop() {
	select {
	case <-a.done:
		return
	default:
	}
	a.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-a.done:
	case <-time.After(10 * time.Second):
		a.cmd.Process.Kill()
		<-a.done
	}
}

// exited waits up to d for the agent to end by itself and returns its exit
// code, or fails the test.
func (a *e2eAgentProc) exited(d time.Duration) int {
	a.t.Helper()
	select {
	case <-a.done:
		return a.code
	case <-time.After(d):
		a.t.Fatalf("the agent still runs after %v:\n%s", d, a.out.String())
		return 0
	}
}

// e2eWait polls cond every few milliseconds until it holds or d passes.
func e2eWait(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s", d, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// e2ePortal is a person's browser on the portal: cookies, no redirects
// followed.
type e2ePortal struct {
	t      *testing.T
	base   string
	client *http.Client
	csrf   string
}

var e2eCSRF = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func newE2EPortal(t *testing.T, base string) *e2ePortal {
	jar, _ := cookiejar.New(nil)
	return &e2ePortal{t: t, base: base, client: &http.Client{Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (p *e2ePortal) do(method, path string, form url.Values) (int, string, string) {
	p.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, p.base+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	res, err := p.client.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b), res.Header.Get("Location")
}

func (p *e2ePortal) token(body string) string {
	p.t.Helper()
	m := e2eCSRF.FindStringSubmatch(body)
	if m == nil {
		p.t.Fatalf("no CSRF token in:\n%s", body)
	}
	return m[1]
}

// signIn signs in through the sign-in form, its token taken from the page.
func (p *e2ePortal) signIn(group, user, password string) {
	p.t.Helper()
	_, page, _ := p.do("GET", "/", nil)
	status, body, loc := p.do("POST", "/signin", url.Values{"csrf": {p.token(page)}, "group": {group}, "user": {user}, "password": {password}})
	if status != http.StatusSeeOther || loc != "/" {
		p.t.Fatalf("sign-in: %d %s\n%s", status, loc, body)
	}
	_, home, _ := p.do("GET", "/", nil)
	p.csrf = p.token(home)
}

// post posts a form with the session's CSRF token.
func (p *e2ePortal) post(path string, form url.Values) (int, string, string) {
	p.t.Helper()
	form.Set("csrf", p.csrf)
	return p.do("POST", path, form)
}

// press presses a remote action's button on the device page and returns
// the command it queued.
func (p *e2ePortal) press(svc *service.Service, deviceID int64, form url.Values) *meibo.Command {
	p.t.Helper()
	before := e2eLastCommand(p.t, svc, deviceID)
	status, body, loc := p.post(fmt.Sprint("/devices/", deviceID, "/commands"), form)
	want := fmt.Sprint("/devices/", deviceID, "?sent=1")
	if form.Get("action") == "wipe" {
		want = "/?sent=wipe" // the device may be gone before its page shows
	}
	if status != http.StatusSeeOther || loc != want {
		p.t.Fatalf("%s: %d %s\n%s", form.Get("action"), status, loc, body)
	}
	c := e2eLastCommand(p.t, svc, deviceID)
	if c == nil || (before != nil && c.ID == before.ID) || string(c.Action) != form.Get("action") {
		p.t.Fatalf("no %s command queued: %+v", form.Get("action"), c)
	}
	return c
}

var e2eSys = meibo.WithActor(context.Background(), meibo.System("cli:e2e"))

// e2eLastCommand is a device's newest command, as stored.
func e2eLastCommand(t *testing.T, svc *service.Service, deviceID int64) *meibo.Command {
	t.Helper()
	cs, err := svc.DeviceCommands(e2eSys, deviceID, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) == 0 {
		return nil
	}
	return cs[0]
}

func e2eCommand(t *testing.T, svc *service.Service, id int64) *meibo.Command {
	t.Helper()
	var c *meibo.Command
	if err := svc.Store().View(context.Background(), func(tx meibo.Tx) error {
		var err error
		c, err = tx.Command(context.Background(), id)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return c
}

// e2eFinished waits for a command to reach a final status and checks that
// it was delivered within a second of being queued, by the server's
// recorded times.
func e2eFinished(t *testing.T, svc *service.Service, c *meibo.Command, want meibo.CommandStatus) *meibo.Command {
	t.Helper()
	e2eWait(t, 5*time.Second, fmt.Sprintf("command %d (%s) is not e2eFinished", c.ID, c.Action), func() bool {
		c = e2eCommand(t, svc, c.ID)
		return c.Status.Final()
	})
	if c.Status != want {
		t.Errorf("command %d (%s): %s %q, want %s", c.ID, c.Action, c.Status, c.Result, want)
	}
	if c.DeliveredAt == nil {
		t.Fatalf("command %d: no delivery time", c.ID)
	}
	lat := c.DeliveredAt.Sub(c.CreatedAt)
	t.Logf("%s: queued %s, delivered after %v, finished after %v", c.Action, c.CreatedAt.Format(time.RFC3339Nano), lat, c.FinishedAt.Sub(c.CreatedAt))
	if lat < 0 || lat >= time.Second {
		t.Errorf("command %d (%s) reached the device %v after it was queued, want under a second", c.ID, c.Action, lat)
	}
	return c
}

func e2eDevice(t *testing.T, svc *service.Service, id int64) *meibo.Device {
	t.Helper()
	d, err := svc.Device(e2eSys, id)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// e2eSetUp makes group G1 with user alice and n enrolment tokens for her.
func e2eSetUp(t *testing.T, svc *service.Service, n int) []string {
	t.Helper()
	if _, err := svc.CreateGroup(e2eSys, meibo.Group{ID: "G1", Name: "Sales"}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CreateUser(e2eSys, "G1", service.UserInput{Name: "alice", Email: "alice@example.org", Password: e2ePassword}); err != nil {
		t.Fatal(err)
	}
	var toks []string
	for range n {
		tok, _, err := svc.CreateEnrolmentToken(e2eSys, "G1", "alice", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		toks = append(toks, tok)
	}
	return toks
}

// deviceID is the ID of the device of group G1 named name.
func e2eDeviceID(t *testing.T, svc *service.Service, name string) int64 {
	t.Helper()
	var id int64
	e2eWait(t, 10*time.Second, "device "+name+" is not enrolled", func() bool {
		ds, err := svc.Devices(e2eSys, meibo.DeviceFilter{GroupID: "G1", Keyword: name})
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range ds {
			if d.Name == name {
				id = d.ID
			}
		}
		return id != 0
	})
	return id
}

// TestE2EDevices builds the meibo binary once and runs real agent
// processes against real servers: on SQLite, the whole flow; on
// PostgreSQL, two servers sharing the database.
func TestE2EDevices(t *testing.T) {
	bin := e2eBuild(t)
	t.Run("sqlite", func(t *testing.T) { e2eAgents(t, bin) })
	t.Run("postgres-two-servers", func(t *testing.T) { e2eTwoServers(t, bin) })
}

// e2eAgents runs the whole flow on SQLite with real agent processes: lock,
// locate and message reach the device within a second and are done; a
// queued command is cancelled, another expires while its device is off; a
// resumed agent takes new commands; a wipe asks for the name and the
// password, revokes the device and ends its agent; a revoked device's agent
// is refused and stops at once, though it was waiting.
func e2eAgents(t *testing.T, bin string) {
	clock := &e2eClock{}
	m := e2eServer(t, migratedDB(t), clock.Now)
	svc := m.Service
	toks := e2eSetUp(t, svc, 2)
	stateB := t.TempDir()
	agentA := e2eStartAgent(t, bin, "--server", m.URL(), "--token", toks[0], "--name", "alice-phone", "--lat", "35.6586", "--lon", "139.7454")
	agentB := e2eStartAgent(t, bin, "--server", m.URL(), "--token", toks[1], "--name", "alice-tablet", "--state", stateB)
	phone, tablet := e2eDeviceID(t, svc, "alice-phone"), e2eDeviceID(t, svc, "alice-tablet")
	e2eWait(t, 10*time.Second, "two agents do not long-poll", func() bool { return svc.Waiting() == 2 })

	alice := newE2EPortal(t, m.URL())
	alice.signIn("G1", "alice", e2ePassword)
	_, home, _ := alice.do("GET", "/", nil)
	for _, n := range []string{"alice-phone", "alice-tablet"} {
		if !strings.Contains(home, n) {
			t.Errorf("the device list lacks %s", n)
		}
	}

	// Lock, locate, message: each reaches the phone within a second and
	// is done.
	lock := e2eFinished(t, svc, alice.press(svc, phone, url.Values{"action": {"lock"}}), meibo.CommandDone)
	if d := e2eDevice(t, svc, phone); !d.Locked {
		t.Errorf("the phone is not locked after the lock: %+v", d)
	}
	status, body, _ := alice.do("GET", fmt.Sprint("/commands/", lock.ID, "/status"), nil)
	if status != http.StatusOK || !strings.Contains(body, `"status":"done"`) || !strings.Contains(body, `"final":true`) {
		t.Errorf("live status of the lock: %d %s", status, body)
	}
	e2eFinished(t, svc, alice.press(svc, phone, url.Values{"action": {"locate"}}), meibo.CommandDone)
	if d := e2eDevice(t, svc, phone); d.Location == nil || d.Location.Latitude != 35.6586 || d.Location.Longitude != 139.7454 {
		t.Errorf("the phone's location after locate: %+v", d.Location)
	}
	_, page, _ := alice.do("GET", fmt.Sprint("/devices/", phone), nil)
	if !strings.Contains(page, "35.65860, 139.74540") {
		t.Errorf("the device page does not show the location:\n%s", page)
	}
	msg := e2eFinished(t, svc, alice.press(svc, phone, url.Values{"action": {"message"}, "message": {"Please call the office"}}), meibo.CommandDone)
	if msg.Result != "shown" {
		t.Errorf("message result %q", msg.Result)
	}
	e2eWait(t, 5*time.Second, "the agent did not show the message", func() bool { return strings.Contains(agentA.out.String(), "Please call the office") })

	// The tablet goes off: a ring is cancelled while queued, a lock
	// expires.
	agentB.stop()
	if agentB.code != 0 {
		t.Errorf("agent stopped by SIGTERM: exit %d\n%s", agentB.code, agentB.out.String())
	}
	e2eWait(t, 10*time.Second, "the server still holds the stopped agent's poll", func() bool { return svc.Waiting() == 1 })
	ring := alice.press(svc, tablet, url.Values{"action": {"ring"}})
	if status, body, _ := alice.post(fmt.Sprint("/commands/", ring.ID, "/cancel"), url.Values{}); status != http.StatusSeeOther {
		t.Fatalf("cancel: %d\n%s", status, body)
	}
	if c := e2eCommand(t, svc, ring.ID); c.Status != meibo.CommandCancelled || c.FinishedAt == nil {
		t.Errorf("cancelled ring %+v", c)
	}
	stale := alice.press(svc, tablet, url.Values{"action": {"lock"}})
	clock.Add(meibo.CommandTTL + time.Minute)
	ctx, cancel := context.WithCancel(context.Background())
	cleaned := make(chan struct{})
	go func() { defer close(cleaned); svc.RunCleaner(ctx) }()
	e2eWait(t, 10*time.Second, "the cleaner did not expire the lock", func() bool { return e2eCommand(t, svc, stale.ID).Status == meibo.CommandExpired })
	cancel()
	<-cleaned
	// The tablet comes back from its saved state and takes neither; a new
	// command reaches it at once.
	agentB = e2eStartAgent(t, bin, "--server", m.URL(), "--state", stateB, "--name", "alice-tablet")
	e2eWait(t, 10*time.Second, "the resumed agent does not long-poll", func() bool { return svc.Waiting() == 2 })
	for _, c := range []*meibo.Command{ring, stale} {
		if got := e2eCommand(t, svc, c.ID); got.DeliveredAt != nil {
			t.Errorf("the resumed tablet was handed %s command %d", got.Status, got.ID)
		}
	}
	// The session has outlived a day of the moved clock: sign in again.
	alice = newE2EPortal(t, m.URL())
	alice.signIn("G1", "alice", e2ePassword)
	e2eFinished(t, svc, alice.press(svc, tablet, url.Values{"action": {"lock"}}), meibo.CommandDone)

	// Wipe: the name typed out and the password again, else nothing.
	for _, form := range []url.Values{
		{"action": {"wipe"}, "confirmName": {"alice phone"}, "password": {e2ePassword}},
		{"action": {"wipe"}, "confirmName": {"alice-phone"}, "password": {"Quiet-harbour-43"}},
	} {
		before := e2eLastCommand(t, svc, phone)
		if status, _, _ := alice.post(fmt.Sprint("/devices/", phone, "/commands"), form); status != http.StatusUnprocessableEntity {
			t.Errorf("wipe with %v: %d", form, status)
		}
		if c := e2eLastCommand(t, svc, phone); c.ID != before.ID {
			t.Errorf("a refused wipe was queued: %+v", c)
		}
	}
	wipe := e2eFinished(t, svc, alice.press(svc, phone, url.Values{"action": {"wipe"}, "confirmName": {"alice-phone"}, "password": {e2ePassword}}), meibo.CommandDone)
	if code := agentA.exited(5 * time.Second); code != 0 {
		t.Errorf("the wiped agent exited with %d:\n%s", code, agentA.out.String())
	}
	if d := e2eDevice(t, svc, phone); d.RevokedAt == nil {
		t.Errorf("the wiped phone is still enrolled: %+v", d)
	}
	if ev, err := svc.AuditEvents(e2eSys, meibo.AuditFilter{ObjectKind: "command", ObjectID: fmt.Sprint(wipe.ID), Limit: 10}); err != nil || len(ev) != 3 {
		t.Errorf("the wipe's audit events (queue, deliver, done): %d, %v", len(ev), err)
	}
	if status, _, _ := alice.do("GET", fmt.Sprint("/devices/", phone), nil); status != http.StatusNotFound {
		t.Errorf("the wiped phone's page: %d", status)
	}

	// Revoked by an administrator while it waits, the tablet's agent is
	// refused and stops.
	if err := svc.RevokeDevice(e2eSys, tablet); err != nil {
		t.Fatal(err)
	}
	if code := agentB.exited(5 * time.Second); code != 1 || !strings.Contains(agentB.out.String(), "revoked") {
		t.Errorf("the revoked agent exited with %d:\n%s", code, agentB.out.String())
	}

	// With no device waiting, the server stops at once.
	start := time.Now()
	if err := m.Close(); err != nil {
		t.Error(err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Close took %v", d)
	}
}

// e2eTwoServers: two servers share one PostgreSQL database; a command
// queued in the portal of server A reaches an agent long-polling server B
// within a second (LISTEN/NOTIFY), and the other way round; a server with a
// device waiting stops at once.
func e2eTwoServers(t *testing.T, bin string) {
	dsn := storetest.SchemaDSN(t, storetest.PostgresDSN(t))
	a := e2eServer(t, dsn, nil)
	b := e2eServer(t, dsn, nil)
	toks := e2eSetUp(t, a.Service, 2)
	e2eStartAgent(t, bin, "--server", b.URL(), "--token", toks[0], "--name", "on-b")
	e2eStartAgent(t, bin, "--server", a.URL(), "--token", toks[1], "--name", "on-a")
	onB, onA := e2eDeviceID(t, a.Service, "on-b"), e2eDeviceID(t, a.Service, "on-a")
	e2eWait(t, 10*time.Second, "the agents do not long-poll", func() bool { return a.Service.Waiting() == 1 && b.Service.Waiting() == 1 })

	alice := newE2EPortal(t, a.URL())
	alice.signIn("G1", "alice", e2ePassword)
	for range 3 {
		e2eFinished(t, a.Service, alice.press(a.Service, onB, url.Values{"action": {"lock"}}), meibo.CommandDone)
	}
	bob := newE2EPortal(t, b.URL())
	bob.signIn("G1", "alice", e2ePassword)
	e2eFinished(t, b.Service, bob.press(b.Service, onA, url.Values{"action": {"ring"}}), meibo.CommandDone)
	if d := e2eDevice(t, b.Service, onB); !d.Locked {
		t.Errorf("the device on B is not locked: %+v", d)
	}
	// A server stops at once though a device waits on it.
	start := time.Now()
	if err := b.Close(); err != nil {
		t.Error(err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Close with a device waiting took %v", d)
	}
}
