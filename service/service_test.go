package service_test

// Service tests run every case on every engine (storetest.Each), each on a
// fresh database, with argon2id's test hasher (real hashes at the smallest
// parameters) wrapped to count its calls, and a clock that the test moves.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/argon2id"
	"github.com/meibo/meibo/service"
	"github.com/meibo/meibo/store/sqlstore"
	"github.com/meibo/meibo/store/storetest"
)

var bg = context.Background()

// countingHasher counts the hashes made and the passwords checked.
type countingHasher struct {
	h        *argon2id.Hasher
	hashes   atomic.Int64
	verifies atomic.Int64
}

func (c *countingHasher) Hash(pw string) (string, error) {
	c.hashes.Add(1)
	return c.h.Hash(pw)
}

func (c *countingHasher) Verify(hash, pw string) (bool, bool, error) {
	c.verifies.Add(1)
	return c.h.Verify(hash, pw)
}

// testClock is a clock that only the test moves.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// env is one service on a fresh database.
type env struct {
	t      *testing.T
	engine string
	db     *sqlstore.DB
	svc    *service.Service
	hasher *countingHasher
	clock  *testClock
	sys    context.Context // the system actor (command line)
	seq    atomic.Int64
}

func newEnv(t *testing.T, engine string) *env {
	t.Helper()
	h := argon2id.ForTests()
	clock := &testClock{now: time.Date(2024, 4, 1, 9, 0, 0, 0, time.UTC)}
	db := storetest.Open(t, engine, clock.Now)
	ch := &countingHasher{h: h}
	svc := service.New(db, service.Config{Hasher: ch, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), HashWorkers: 2})
	t.Cleanup(svc.WaitAudits) // before the database closes
	return &env{t: t, engine: engine, db: db, svc: svc, hasher: ch, clock: clock, sys: meibo.WithActor(bg, meibo.System("cli"))}
}

// as returns a context acting as a.
func as(a *meibo.Actor) context.Context { return meibo.WithActor(bg, a) }

// name returns a fresh name with prefix.
func (e *env) name(prefix string) string { return fmt.Sprintf("%s%03d", prefix, e.seq.Add(1)) }

// must returns v, or fails the test given to the returned function on err:
// must(svc.User(ctx, id))(t).
func must[T any](v T, err error) func(*testing.T) T {
	return func(t *testing.T) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// noErr fails the test on err.
func noErr(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// wantCode fails the test unless err is an *Error with code, and returns it.
func wantCode(t *testing.T, err error, code meibo.Code) *meibo.Error {
	t.Helper()
	var e *meibo.Error
	if !errors.As(err, &e) || e.Code != code {
		t.Fatalf("error %v (%T), want code %q", err, err, code)
	}
	return e
}

// group creates a group (with its default profile) as the system.
func (e *env) group(id string) *meibo.Group {
	e.t.Helper()
	return must(e.svc.CreateGroup(e.sys, meibo.Group{ID: id}))(e.t)
}

// user creates a user without a password as the system.
func (e *env) user(group, name, email string) *meibo.User {
	e.t.Helper()
	return must(e.svc.CreateUser(e.sys, group, service.UserInput{Name: name, Email: email}))(e.t)
}

// admin creates an administrator with authorities, department groups and
// password pw (blank: none) as the system.
func (e *env) admin(loginID, pw string, auth meibo.Authorities, groups ...string) *meibo.Admin {
	e.t.Helper()
	return must(e.svc.CreateAdmin(e.sys, service.AdminInput{LoginID: loginID, Name: loginID, Password: pw, Authorities: auth, Groups: groups}))(e.t)
}

// actor returns the actor of a stored administrator as Authenticate builds
// it, by signing in with pw.
func (e *env) actor(a *meibo.Admin, pw string) *meibo.Actor {
	e.t.Helper()
	tok, _, err := e.svc.Login(bg, a.LoginID, pw, "198.51.100."+fmt.Sprint(e.seq.Add(1)%250))
	if err != nil {
		e.t.Fatalf("sign in as %s: %v", a.LoginID, err)
	}
	act, err := e.svc.Authenticate(bg, tok, "198.51.100.1")
	if err != nil {
		e.t.Fatalf("authenticate %s: %v", a.LoginID, err)
	}
	return act
}

// events returns every audit event, newest first, read by the system.
func (e *env) events() []*meibo.AuditEvent {
	e.t.Helper()
	var out []*meibo.AuditEvent
	if err := e.db.View(bg, func(tx meibo.Tx) error {
		var err error
		out, err = tx.AuditEvents(bg, meibo.AuditFilter{Limit: 1000})
		return err
	}); err != nil {
		e.t.Fatal(err)
	}
	return out
}

// eventsFor returns the audit events of action, newest first.
func (e *env) eventsFor(action string) []*meibo.AuditEvent {
	var out []*meibo.AuditEvent
	for _, ev := range e.events() {
		if ev.Action == action {
			out = append(out, ev)
		}
	}
	return out
}

// unified returns the licence count.
func (e *env) unified() int {
	e.t.Helper()
	return must(e.svc.Licence(e.sys))(e.t).Used
}

func TestBootstrap(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		created, pw, err := e.svc.Bootstrap(bg, "")
		if err != nil || !created || len(pw) < 16 {
			t.Fatalf("first Bootstrap = %v, %q, %v", created, pw, err)
		}
		created2, pw2, err := e.svc.Bootstrap(bg, "")
		if err != nil || created2 || pw2 != "" {
			t.Fatalf("second Bootstrap = %v, %q, %v: the password must be shown once", created2, pw2, err)
		}
		admins := must(e.svc.Admins(e.sys))(t)
		if len(admins) != 2 || admins[0].LoginID != meibo.BuiltinBackup || admins[1].LoginID != meibo.BuiltinAdmin {
			t.Fatalf("admins after Bootstrap: %v", admins)
		}
		backup, root := admins[0], admins[1]
		if !root.Builtin || root.Authorities != meibo.EveryAuthority || !root.IsManager() || !root.MustChangePassword() {
			t.Errorf("admin = %+v: a printed password must be changed first", root)
		}
		if !backup.Builtin || backup.Authorities != meibo.BackupAuthorities || backup.PasswordHash != "" || backup.CanSignIn() {
			t.Errorf("AUTOBACKUPUSER = %+v", backup)
		}
		// The API refuses the printed password; the console lets it in,
		// to choose a new one.
		_, _, err = e.svc.Login(bg, meibo.BuiltinAdmin, pw, "203.0.113.1")
		if wantCode(t, err, meibo.CodeForbidden).Msg.Key != "login.password.first" {
			t.Errorf("API login with the printed password: %v", err)
		}
		secret, _, err := e.svc.SignIn(bg, meibo.BuiltinAdmin, pw, "203.0.113.1", "test", meibo.English)
		if err != nil {
			t.Fatalf("console sign-in with the generated password: %v", err)
		}
		act, _, err := e.svc.ConsoleActor(bg, secret, "203.0.113.1")
		if err != nil || !act.MustChangePassword {
			t.Fatalf("console actor %+v, %v: must change the password", act, err)
		}
		actx := meibo.WithActor(bg, act)
		if f := wantCode(t, e.svc.ChangeOwnPassword(actx, pw, pw), meibo.CodeInvalid).Fields["password"]; f.Key != "password.same" {
			t.Errorf("the printed password again: %v", f)
		}
		if err := e.svc.ChangeOwnPassword(actx, pw, "a new pass phrase 9"); err != nil {
			t.Fatal(err)
		}
		if act, _, err := e.svc.ConsoleActor(bg, secret, "203.0.113.1"); err != nil || act.MustChangePassword {
			t.Errorf("after the change: %+v, %v", act, err)
		}
		if _, _, err := e.svc.Login(bg, meibo.BuiltinAdmin, "a new pass phrase 9", "203.0.113.1"); err != nil {
			t.Errorf("API login with the new password: %v", err)
		}
		if n := len(e.eventsFor("install")); n != 1 {
			t.Errorf("%d install events", n)
		}
		s := must(e.svc.Settings(e.sys))(t)
		if s != meibo.DefaultSettings {
			t.Errorf("settings %+v", s)
		}
	})
}

func TestBootstrapPassword(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		_, _, err := e.svc.Bootstrap(bg, "short")
		wantCode(t, err, meibo.CodeInvalid)
		_, _, err = e.svc.Bootstrap(bg, "myadminpassword")
		if f := wantCode(t, err, meibo.CodeInvalid).Fields["password"]; f.Key != "password.own_id" {
			t.Errorf("a password holding the ID: %v", err)
		}
		if admins := must(e.svc.Admins(e.sys))(t); len(admins) != 0 {
			t.Fatalf("a refused Bootstrap created %d administrators", len(admins))
		}
		created, pw, err := e.svc.Bootstrap(bg, "a chosen pass phrase")
		if err != nil || !created || pw != "" {
			t.Fatalf("Bootstrap with a password = %v, %q, %v", created, pw, err)
		}
		if _, _, err := e.svc.Login(bg, "admin", "a chosen pass phrase", "203.0.113.1"); err != nil {
			t.Fatal(err)
		}
		if ad := must(e.svc.Admins(e.sys))(t)[1]; ad.MustChangePassword() {
			t.Error("a password chosen at the first start need not be changed")
		}
	})
}

// TestBootstrapConcurrent has two servers start on one new database at once:
// one creates the administrators, the other finds them.
func TestBootstrapConcurrent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		other := service.New(e.db, service.Config{Hasher: e.hasher, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		t.Cleanup(other.WaitAudits)
		var wg sync.WaitGroup
		results := make([]bool, 2)
		errs := make([]error, 2)
		for i, s := range []*service.Service{e.svc, other} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				results[i], _, errs[i] = s.Bootstrap(bg, "")
			}()
		}
		wg.Wait()
		if errs[0] != nil || errs[1] != nil || results[0] == results[1] {
			t.Fatalf("Bootstrap results %v, errors %v: want exactly one creation", results, errs)
		}
		if n := len(must(e.svc.Admins(e.sys))(t)); n != 2 {
			t.Fatalf("%d administrators", n)
		}
	})
}

func TestSettings(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		s, err := e.svc.UpdateSettings(e.sys, map[string]string{meibo.SettingLicenceLimit: "10", meibo.SettingAdminCSVEncoding: "cp932"})
		if err != nil || s.LicenceLimit != 10 || s.AdminCSVEncoding != "cp932" {
			t.Fatalf("UpdateSettings = %+v, %v", s, err)
		}
		_, err = e.svc.UpdateSettings(e.sys, map[string]string{meibo.SettingLicenceLimit: "20", meibo.SettingAdminCSVEncoding: "latin1"})
		if f := wantCode(t, err, meibo.CodeInvalid).Fields; f[meibo.SettingAdminCSVEncoding].Key != "settings.encoding" {
			t.Errorf("fields %v", f)
		}
		if s := must(e.svc.Settings(e.sys))(t); s.LicenceLimit != 10 {
			t.Errorf("a refused update changed the settings: %+v", s)
		}
		ev := e.eventsFor("settings.update")
		if len(ev) != 1 || ev[0].ActorName != "cli" || ev[0].Category != meibo.CategoryConfig {
			t.Fatalf("settings events %v", ev)
		}
		b, _ := json.Marshal(ev[0].Details)
		if !strings.Contains(string(b), `"licence_limit":"10"`) || !strings.Contains(string(b), `"licence_limit":"0"`) {
			t.Errorf("settings event details %s", b)
		}
	})
}
