package portal_test

// The portal over a real service and store on every engine, served by
// httptest: sign-in answers, the isolation of users, groups and devices,
// commands and their live status. Browsers are HTTP clients with a cookie
// jar that do not follow redirects.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/argon2id"
	"github.com/meibo/meibo/portal"
	"github.com/meibo/meibo/service"
	"github.com/meibo/meibo/store/sqlstore"
	"github.com/meibo/meibo/store/storetest"
	"github.com/meibo/meibo/web"
)

var bg = context.Background()

// password is every test user's portal password.
const password = "Quiet-harbour-42"

// countingHasher counts the passwords checked.
type countingHasher struct {
	h        *argon2id.Hasher
	verifies atomic.Int64
}

func (c *countingHasher) Hash(pw string) (string, error) { return c.h.Hash(pw) }

func (c *countingHasher) Verify(hash, pw string) (bool, bool, error) {
	c.verifies.Add(1)
	return c.h.Verify(hash, pw)
}

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

type portalEnv struct {
	t      *testing.T
	db     *sqlstore.DB
	svc    *service.Service
	hasher *countingHasher
	clock  *clock
	srv    *httptest.Server
	sys    context.Context
}

func newPortalEnv(t *testing.T, engine string) *portalEnv {
	t.Helper()
	h := argon2id.ForTests()
	c := &clock{now: time.Date(2025, 9, 1, 9, 0, 0, 0, time.UTC)}
	db := storetest.Open(t, engine, c.Now)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ch := &countingHasher{h: h}
	svc := service.New(db, service.Config{Hasher: ch, Logger: log, Clock: c.Now})
	t.Cleanup(svc.WaitAudits) // the audits of refused requests, before the store closes
	pub, err := web.NewPublic(svc, web.PublicOptions{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	p, err := portal.New(svc, portal.Options{Logger: log, Assets: pub.Assets()})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	pub.Register(mux)
	p.Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &portalEnv{t: t, db: db, svc: svc, hasher: ch, clock: c, srv: srv, sys: meibo.WithActor(bg, meibo.System("cli:test"))}
}

func (e *portalEnv) group(id string) {
	e.t.Helper()
	if _, err := e.svc.CreateGroup(e.sys, meibo.Group{ID: id}); err != nil {
		e.t.Fatal(err)
	}
}

func (e *portalEnv) user(group, name string, admin bool) *meibo.User {
	e.t.Helper()
	u, err := e.svc.CreateUser(e.sys, group, service.UserInput{Name: name, Email: name + "@example.org", Password: password, Admin: admin})
	if err != nil {
		e.t.Fatal(err)
	}
	return u
}

// device enrols a device for user (blank: nobody) of group.
func (e *portalEnv) device(group, user, name string) (string, *meibo.Device) {
	e.t.Helper()
	tok, _, err := e.svc.CreateEnrolmentToken(e.sys, group, user, 0)
	if err != nil {
		e.t.Fatal(err)
	}
	secret, d, err := e.svc.Enrol(bg, service.EnrolInfo{Token: tok, Name: name, Model: "T1", Serial: "SN-" + name}, "192.0.2.1")
	if err != nil {
		e.t.Fatal(err)
	}
	return secret, d
}

// command queues a command as the system (an administrator).
func (e *portalEnv) command(deviceID int64, action meibo.Action) *meibo.Command {
	e.t.Helper()
	c, err := e.svc.SendAdminCommand(e.sys, deviceID, action, "")
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

func (e *portalEnv) stored(id int64) *meibo.Command {
	e.t.Helper()
	var c *meibo.Command
	if err := e.db.View(bg, func(tx meibo.Tx) error {
		var err error
		c, err = tx.Command(bg, id)
		return err
	}); err != nil {
		e.t.Fatal(err)
	}
	return c
}

// state is what a refused request must leave unchanged: every command,
// every device, and the audit trail.
func (e *portalEnv) state() string {
	e.t.Helper()
	var b strings.Builder
	if err := e.db.View(bg, func(tx meibo.Tx) error {
		cmds, err := tx.Commands(bg, meibo.CommandFilter{Limit: 500})
		if err != nil {
			return err
		}
		for _, c := range cmds {
			fmt.Fprintf(&b, "command %d %d %s %s %v %v\n", c.ID, c.DeviceID, c.Action, c.Status, c.DeliveredAt, c.FinishedAt)
		}
		for _, g := range []string{"G1", "G2"} {
			ds, err := tx.Devices(bg, meibo.DeviceFilter{GroupID: g, IncludeRevoked: true, Limit: 1000})
			if err != nil {
				return err
			}
			for _, d := range ds {
				user := int64(0)
				if d.UserID != nil {
					user = *d.UserID
				}
				fmt.Fprintf(&b, "device %d %s %d %v %v %v\n", d.ID, d.Name, user, d.Locked, d.RevokedAt, d.UpdatedAt)
			}
		}
		evs, err := tx.AuditEvents(bg, meibo.AuditFilter{Limit: 1000})
		if err != nil {
			return err
		}
		// Refused requests are audited (refused.*, written in the
		// background); every other event is a change.
		changes := 0
		for _, ev := range evs {
			if !strings.HasPrefix(ev.Action, "refused.") {
				changes++
			}
		}
		fmt.Fprintf(&b, "audit events %d\n", changes)
		return nil
	}); err != nil {
		e.t.Fatal(err)
	}
	return b.String()
}

// browser is one browser: it keeps cookies and does not follow redirects.
type browser struct {
	e      *portalEnv
	client *http.Client
	csrf   string // of the signed-in session
}

type page struct {
	status   int
	body     string
	location string
}

func (e *portalEnv) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{e: e, client: &http.Client{Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (b *browser) do(method, path string, form url.Values) page {
	b.e.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.e.srv.URL+path, body)
	if err != nil {
		b.e.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	res, err := b.client.Do(req)
	if err != nil {
		b.e.t.Fatal(err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		b.e.t.Fatal(err)
	}
	return page{res.StatusCode, string(data), res.Header.Get("Location")}
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]*)"`)

func (b *browser) formToken(p page) string {
	b.e.t.Helper()
	m := csrfRE.FindStringSubmatch(p.body)
	if m == nil || len(m[1]) < 16 {
		b.e.t.Fatalf("no CSRF token in the page (%d):\n%s", p.status, p.body)
	}
	return m[1]
}

// signInForm opens the sign-in page and posts the form.
func (b *browser) signInForm(group, user, pw string) page {
	b.e.t.Helper()
	tok := b.formToken(b.do("GET", "/", nil))
	return b.do("POST", "/signin", url.Values{"csrf": {tok}, "group": {group}, "user": {user}, "password": {pw}})
}

// signIn signs in and keeps the session's CSRF token.
func (b *browser) signIn(group, user string) *browser {
	b.e.t.Helper()
	p := b.signInForm(group, user, password)
	if p.status != http.StatusSeeOther || p.location != "/" {
		b.e.t.Fatalf("sign-in as %s/%s: %d %s\n%s", group, user, p.status, p.location, p.body)
	}
	home := b.do("GET", "/", nil)
	if home.status != http.StatusOK || !strings.Contains(home.body, `action="/signout"`) {
		b.e.t.Fatalf("home after sign-in: %d\n%s", home.status, home.body)
	}
	b.csrf = b.formToken(home)
	return b
}

func (b *browser) post(path string, form url.Values) page {
	b.e.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	form.Set("csrf", b.csrf)
	return b.do("POST", path, form)
}

// normalSignIn removes from a sign-in page what differs between two
// browsers (the form token) and what the person typed (echoed back in the
// form, as every form does).
func normalSignIn(body string) string {
	body = csrfRE.ReplaceAllString(body, `name="csrf" value=""`)
	body = regexp.MustCompile(`(name="(group|user)" value=)"[^"]*"`).ReplaceAllString(body, `$1""`)
	return body
}

// TestSignInSameAnswer: unknown group, unknown user, wrong password,
// disabled user, user without a password: one status, one page, one
// password verification each.
func TestSignInSameAnswer(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newPortalEnv(t, engine)
		e.group("G1")
		e.group("G2")
		e.user("G1", "alice", false)
		off := e.user("G1", "off", false)
		if _, err := e.svc.UpdateUser(e.sys, off.ID, meibo.UserUpdate{Disabled: ptr(true)}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.CreateUser(e.sys, "G1", service.UserInput{Name: "nopw", Email: "nopw@example.org"}); err != nil {
			t.Fatal(err)
		}
		e.user("G2", "zed", false)

		cases := []struct{ name, group, user, password string }{
			{"unknown group", "G9", "alice", password},
			{"unknown user", "G1", "nobody", password},
			{"wrong password", "G1", "alice", "Quiet-harbour-43"},
			{"user of another group", "G1", "zed", password},
			{"disabled user", "G1", "off", password},
			{"user without a password", "G1", "nopw", password},
			{"user without a password, nothing typed", "G1", "nopw", ""},
		}
		var first page
		for i, c := range cases {
			b := e.browser()
			before := e.hasher.verifies.Load()
			p := b.signInForm(c.group, c.user, c.password)
			if n := e.hasher.verifies.Load() - before; n != 1 {
				t.Errorf("%s: %d password verifications, want 1", c.name, n)
			}
			if p.status != http.StatusUnauthorized {
				t.Errorf("%s: status %d", c.name, p.status)
			}
			if !strings.Contains(p.body, "The group ID, user ID or password is not correct.") {
				t.Errorf("%s: no generic message:\n%s", c.name, p.body)
			}
			// What was typed is shown again, but never the password.
			if !strings.Contains(p.body, `value="`+c.user+`"`) || (c.password != "" && strings.Contains(p.body, c.password)) {
				t.Errorf("%s: the form was not refilled as typed, or shows the password", c.name)
			}
			if i == 0 {
				first = p
				continue
			}
			if p.status != first.status || normalSignIn(p.body) != normalSignIn(first.body) {
				t.Errorf("%s answers differently from %s:\n%s\n---\n%s", c.name, cases[0].name, normalSignIn(p.body), normalSignIn(first.body))
			}
		}
		// In Japanese too, and without naming a field.
		b := e.browser()
		b.do("GET", "/?lang=ja", nil)
		p := b.signInForm("G1", "alice", "wrong")
		if p.status != http.StatusUnauthorized || !strings.Contains(p.body, "グループID、ユーザーID、パスワードのいずれかが正しくありません。") ||
			strings.Contains(p.body, "aria-invalid") {
			t.Errorf("Japanese refusal: %d\n%s", p.status, p.body)
		}
		// A form without its token is refused before any password is
		// checked.
		before := e.hasher.verifies.Load()
		p = e.browser().do("POST", "/signin", url.Values{"group": {"G1"}, "user": {"alice"}, "password": {password}})
		if p.status != http.StatusForbidden || e.hasher.verifies.Load() != before {
			t.Errorf("sign-in without a form token: %d", p.status)
		}
	})
}

// TestSignInThrottledOverHTTP: a burst of wrong passwords from browsers
// checks at most the free number of passwords and then answers 429, even
// for the right password.
func TestSignInThrottledOverHTTP(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newPortalEnv(t, engine)
		e.group("G1")
		e.user("G1", "alice", false)
		tokens := make([]string, 30)
		browsers := make([]*browser, len(tokens))
		for i := range browsers {
			browsers[i] = e.browser()
			tokens[i] = browsers[i].formToken(browsers[i].do("GET", "/", nil))
		}
		before := e.hasher.verifies.Load()
		statuses := make(chan int, len(browsers))
		var wg sync.WaitGroup
		for i, b := range browsers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res, err := b.client.PostForm(e.srv.URL+"/signin", url.Values{"csrf": {tokens[i]}, "group": {"G1"}, "user": {"alice"}, "password": {fmt.Sprint("guess ", i)}})
				if err != nil {
					statuses <- 0
					return
				}
				res.Body.Close()
				statuses <- res.StatusCode
			}()
		}
		wg.Wait()
		close(statuses)
		count := map[int]int{}
		for s := range statuses {
			count[s]++
		}
		checked := e.hasher.verifies.Load() - before
		if checked > 5 || count[http.StatusUnauthorized] != int(checked) || count[http.StatusTooManyRequests] != len(browsers)-int(checked) {
			t.Errorf("answers %v, %d passwords checked: want at most 5 checked, the rest 429", count, checked)
		}
		p := e.browser().signInForm("G1", "alice", password)
		if p.status != http.StatusTooManyRequests || !strings.Contains(p.body, "Too many attempts") {
			t.Errorf("the right password during the wait: %d\n%s", p.status, p.body)
		}
		e.clock.Add(time.Second)
		e.browser().signIn("G1", "alice")
	})
}

func ptr[T any](v T) *T { return &v }

// TestIsolation: whatever device or command ID a portal user sends, one
// that is not theirs to see answers 404 and nothing changes; a group admin
// user sees and acts on every device of the group and no other.
func TestIsolation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newPortalEnv(t, engine)
		e.group("G1")
		e.group("G2")
		e.user("G1", "alice", false)
		e.user("G1", "bob", false)
		dora := e.user("G1", "dora", true) // admin of G1
		e.user("G2", "carol", false)
		e.user("G2", "gina", true) // admin of G2
		_, devA := e.device("G1", "alice", "alice-phone")
		_, devB := e.device("G1", "bob", "bob-phone")
		_, devU := e.device("G1", "", "spare-tablet")
		_, devC := e.device("G2", "carol", "carol-phone")
		_, devR := e.device("G1", "alice", "alice-old-phone")
		cmdR := e.command(devR.ID, meibo.ActionRing)
		if err := e.svc.RevokeDevice(e.sys, devR.ID); err != nil {
			t.Fatal(err)
		}
		cmdA, cmdB, cmdU, cmdC := e.command(devA.ID, meibo.ActionRing), e.command(devB.ID, meibo.ActionRing),
			e.command(devU.ID, meibo.ActionRing), e.command(devC.ID, meibo.ActionRing)

		devs := map[string]*meibo.Device{"A": devA, "B": devB, "U": devU, "C": devC, "R": devR}
		cmds := map[string]*meibo.Command{"A": cmdA, "B": cmdB, "U": cmdU, "C": cmdC, "R": cmdR}
		actors := []struct {
			group, user string
			sees        string // the devices the user may see
		}{
			{"G1", "alice", "A"},
			{"G1", "bob", "B"},
			{"G1", "dora", "ABU"},
			{"G2", "carol", "C"},
			{"G2", "gina", "C"},
		}
		browsers := map[string]*browser{}
		for _, a := range actors {
			browsers[a.user] = e.browser().signIn(a.group, a.user)
		}
		// Every ID that is nobody's, or not a number.
		bogus := []string{"0", "-1", "999999", "9223372036854775807", "9223372036854775808", "abc", "1.0", "0x1", "%20", "1%2F2", "1e3"}

		// Each list shows the devices the user may see, and no other.
		for _, a := range actors {
			p := browsers[a.user].do("GET", "/", nil)
			// The title says whose devices these are, as the heading does.
			title := "<title>My devices"
			if a.user == "dora" || a.user == "gina" {
				title = "<title>Devices of the group"
			}
			if !strings.Contains(p.body, title) {
				t.Errorf("%s's device list is not titled %q", a.user, title)
			}
			for key, d := range devs {
				if strings.Contains(a.sees, key) != strings.Contains(p.body, ">"+d.Name+"<") {
					t.Errorf("%s's device list and %s: sees %v\n%s", a.user, d.Name, strings.Contains(a.sees, key), p.body)
				}
			}
		}

		refused := func(who, what string, p page, secretNames ...string) {
			t.Helper()
			if p.status != http.StatusNotFound {
				t.Errorf("%s %s: status %d, want 404\n%s", who, what, p.status, p.body)
			}
			for _, n := range secretNames {
				if n != "" && strings.Contains(p.body, n) {
					t.Errorf("%s %s: the answer names %q", who, what, n)
				}
			}
		}
		requests := 0
		for _, a := range actors {
			b := browsers[a.user]
			var targets []string
			for key := range devs {
				if !strings.Contains(a.sees, key) {
					targets = append(targets, key)
				}
			}
			type target struct{ id, name, cmd string }
			var ts []target
			for _, k := range targets {
				ts = append(ts, target{fmt.Sprint(devs[k].ID), devs[k].Name, fmt.Sprint(cmds[k].ID)})
				// The same ID with a leading zero is the same device.
				ts = append(ts, target{fmt.Sprint("0", devs[k].ID), devs[k].Name, fmt.Sprint("0", cmds[k].ID)})
			}
			for _, id := range bogus {
				ts = append(ts, target{id, "", id})
			}
			for _, tg := range ts {
				before := e.state()
				refused(a.user, "GET /devices/"+tg.id, b.do("GET", "/devices/"+tg.id, nil), tg.name)
				for _, act := range []string{"lock", "ring", "locate", "message", "wipe", "", "explode"} {
					form := url.Values{"action": {act}, "message": {"hello"}, "password": {password}, "confirmName": {tg.name}}
					refused(a.user, "POST /devices/"+tg.id+"/commands "+act, b.post("/devices/"+tg.id+"/commands", form), tg.name)
				}
				refused(a.user, "GET /commands/"+tg.cmd+"/status", b.do("GET", "/commands/"+tg.cmd+"/status", nil), tg.name)
				refused(a.user, "POST /commands/"+tg.cmd+"/cancel", b.post("/commands/"+tg.cmd+"/cancel", nil), tg.name)
				requests += 10
				if after := e.state(); after != before {
					t.Errorf("%s's refused requests on %s changed something:\n%s\n---\n%s", a.user, tg.id, before, after)
				}
			}
		}
		t.Logf("%d refused requests", requests)

		// The group admin user sees and acts on the group's devices.
		d := browsers["dora"]
		for _, k := range []string{"A", "B", "U"} {
			if p := d.do("GET", fmt.Sprint("/devices/", devs[k].ID), nil); p.status != http.StatusOK || !strings.Contains(p.body, devs[k].Name) {
				t.Errorf("dora on %s: %d", devs[k].Name, p.status)
			}
		}
		p := d.post(fmt.Sprint("/devices/", devA.ID, "/commands"), url.Values{"action": {"lock"}})
		if p.status != http.StatusSeeOther || p.location != fmt.Sprint("/devices/", devA.ID, "?sent=1") {
			t.Errorf("dora locks alice's phone: %d %s\n%s", p.status, p.location, p.body)
		}
		// Dora cancels what bob sent, not what an administrator sent.
		if p := browsers["bob"].post(fmt.Sprint("/devices/", devB.ID, "/commands"), url.Values{"action": {"ring"}}); p.status != http.StatusSeeOther {
			t.Fatalf("bob rings his phone: %d", p.status)
		}
		bobs, err := e.svc.DeviceCommands(e.sys, devB.ID, 0)
		if err != nil || len(bobs) == 0 || bobs[0].RequestedBy != "bob" {
			t.Fatalf("bob's ring: %+v, %v", bobs, err)
		}
		if p := d.post(fmt.Sprint("/commands/", bobs[0].ID, "/cancel"), nil); p.status != http.StatusSeeOther {
			t.Errorf("dora cancels bob's command: %d", p.status)
		}
		if s := e.stored(bobs[0].ID); s.Status != meibo.CommandCancelled {
			t.Errorf("bob's command after dora cancelled it: %s", s.Status)
		}
		if p := d.post(fmt.Sprint("/commands/", cmdB.ID, "/cancel"), nil); p.status != http.StatusForbidden {
			t.Errorf("dora cancels an administrator's command: %d", p.status)
		}
		if s := e.stored(cmdB.ID); s.Status != meibo.CommandQueued {
			t.Errorf("an administrator's command after dora tried to cancel it: %s", s.Status)
		}
		cs, err := e.svc.DeviceCommands(e.sys, devA.ID, 0)
		if err != nil || len(cs) != 2 || cs[0].RequestedBy != "dora" || cs[0].Action != meibo.ActionLock {
			t.Errorf("alice's phone's commands %+v, %v", cs, err)
		}
		// The flag is read at every request: taken away, it ends at once.
		if _, err := e.svc.UpdateUser(e.sys, dora.ID, meibo.UserUpdate{Admin: ptr(false)}); err != nil {
			t.Fatal(err)
		}
		before := e.state()
		refused("dora (no longer admin)", "GET", d.do("GET", fmt.Sprint("/devices/", devA.ID), nil), "alice-phone")
		refused("dora (no longer admin)", "lock", d.post(fmt.Sprint("/devices/", devA.ID, "/commands"), url.Values{"action": {"lock"}}), "alice-phone")
		if e.state() != before {
			t.Error("a refused request changed something")
		}
		// A user's own device and command answer.
		a := browsers["alice"]
		if p := a.do("GET", fmt.Sprint("/devices/", devA.ID), nil); p.status != http.StatusOK {
			t.Errorf("alice's own phone: %d", p.status)
		}
		if p := a.do("GET", fmt.Sprint("/commands/", cmdA.ID, "/status"), nil); p.status != http.StatusOK {
			t.Errorf("alice's own command: %d", p.status)
		}
		// Signed out, every page sends to the sign-in page and changes
		// nothing.
		anon := e.browser()
		before = e.state()
		for _, path := range []string{fmt.Sprint("/devices/", devA.ID), "/password"} {
			if p := anon.do("GET", path, nil); p.status != http.StatusSeeOther || !strings.HasPrefix(p.location, "/?") {
				t.Errorf("GET %s signed out: %d %s", path, p.status, p.location)
			}
		}
		if p := anon.do("POST", fmt.Sprint("/devices/", devA.ID, "/commands"), url.Values{"action": {"lock"}}); p.status != http.StatusSeeOther {
			t.Errorf("POST signed out: %d", p.status)
		}
		if p := anon.do("GET", fmt.Sprint("/commands/", cmdA.ID, "/status"), nil); p.status != http.StatusUnauthorized {
			t.Errorf("status signed out: %d", p.status)
		}
		// Without the session's CSRF token, nothing is done.
		if p := a.do("POST", fmt.Sprint("/devices/", devA.ID, "/commands"), url.Values{"action": {"lock"}, "csrf": {"forged"}}); p.status != http.StatusForbidden {
			t.Errorf("POST with a forged CSRF token: %d", p.status)
		}
		if e.state() != before {
			t.Error("a request without a session or token changed something")
		}
	})
}

// TestCommandPages: a command sent from the device page shows on it with
// its status; the status answers as JSON while it changes; a queued command
// can be cancelled; a wipe asks for the name and the password again.
func TestCommandPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newPortalEnv(t, engine)
		e.group("G1")
		e.user("G1", "alice", false)
		secret, d := e.device("G1", "alice", "alice-phone")
		b := e.browser().signIn("G1", "alice")
		path := fmt.Sprint("/devices/", d.ID)
		p := b.do("GET", path, nil)
		for _, want := range []string{"alice-phone", ">Lock<", ">Ring<", ">Locate<", `name="confirmName"`, `name="password"`, "Type the device&#39;s name (alice-phone) to confirm",
			"Not known yet: use Locate."} {
			if !strings.Contains(p.body, want) {
				t.Errorf("device page lacks %q", want)
			}
		}
		// Without Locate in the profile, the page does not send the user
		// to a button it lacks.
		if _, err := e.svc.CreateProfile(e.sys, "G1", meibo.Profile{Name: "lock-only", Actions: []meibo.Action{meibo.ActionLock}}); err != nil {
			t.Fatal(err)
		}
		alice, err := e.svc.UserByName(e.sys, "G1", "alice")
		if err != nil {
			t.Fatal(err)
		}
		for _, profile := range []string{"lock-only", meibo.DefaultProfileName} {
			if _, err := e.svc.UpdateUser(e.sys, alice.ID, meibo.UserUpdate{Profile: &profile}); err != nil {
				t.Fatal(err)
			}
			if profile != "lock-only" {
				break
			}
			if p := b.do("GET", path, nil); strings.Contains(p.body, "use Locate") || strings.Contains(p.body, ">Locate<") || !strings.Contains(p.body, "Not known.") {
				t.Errorf("device page without Locate:\n%s", p.body)
			}
		}
		p = b.post(path+"/commands", url.Values{"action": {"lock"}})
		if p.status != http.StatusSeeOther {
			t.Fatalf("lock: %d\n%s", p.status, p.body)
		}
		p = b.do("GET", p.location, nil)
		cs, _ := e.svc.DeviceCommands(e.sys, d.ID, 0)
		if len(cs) != 1 {
			t.Fatalf("commands %+v", cs)
		}
		lock := cs[0]
		if !strings.Contains(p.body, fmt.Sprintf(`data-command="%d" data-action="lock" data-final="false"`, lock.ID)) || !strings.Contains(p.body, "Waiting for the device") ||
			!strings.Contains(p.body, fmt.Sprintf(`action="/commands/%d/cancel"`, lock.ID)) {
			t.Errorf("device page after lock:\n%s", p.body)
		}
		status := func(id int64) map[string]any {
			t.Helper()
			p := b.do("GET", fmt.Sprint("/commands/", id, "/status"), nil)
			var v map[string]any
			if p.status != http.StatusOK || json.Unmarshal([]byte(p.body), &v) != nil {
				t.Fatalf("status: %d %s", p.status, p.body)
			}
			return v
		}
		if v := status(lock.ID); v["status"] != "queued" || v["final"] != false || v["label"] != "Waiting for the device" {
			t.Errorf("queued status %v", v)
		}
		dev, _ := e.svc.AuthenticateDevice(bg, secret)
		if _, err := e.svc.CheckIn(bg, dev, meibo.DeviceStatus{}, 0); err != nil {
			t.Fatal(err)
		}
		if v := status(lock.ID); v["status"] != "delivered" || v["final"] != false {
			t.Errorf("delivered status %v", v)
		}
		locked := true
		if _, err := e.svc.ReportResult(bg, dev, lock.ID, service.CommandResult{Status: meibo.CommandDone, Result: "locked", Locked: &locked}); err != nil {
			t.Fatal(err)
		}
		if v := status(lock.ID); v["status"] != "done" || v["final"] != true || v["label"] != "Done" {
			t.Errorf("done status %v", v)
		}

		// Cancel a queued ring.
		b.post(path+"/commands", url.Values{"action": {"ring"}})
		cs, _ = e.svc.DeviceCommands(e.sys, d.ID, 0)
		ring := cs[0]
		p = b.post(fmt.Sprint("/commands/", ring.ID, "/cancel"), nil)
		if p.status != http.StatusSeeOther || p.location != path+"?done=cancelled" {
			t.Errorf("cancel: %d %s", p.status, p.location)
		}
		if v := status(ring.ID); v["status"] != "cancelled" || v["final"] != true {
			t.Errorf("cancelled status %v", v)
		}
		if p := b.do("GET", p.location, nil); !strings.Contains(p.body, "The command was cancelled") {
			t.Errorf("the page after cancelling does not say so:\n%s", p.body)
		}
		// Again, too late: the page says so.
		if p := b.post(fmt.Sprint("/commands/", ring.ID, "/cancel"), nil); p.location != path+"?done=late" ||
			!strings.Contains(b.do("GET", p.location, nil).body, "Too late to cancel") {
			t.Errorf("cancelling a finished command: %d %s", p.status, p.location)
		}

		// Wipe: the name and the password, each refused with its field.
		p = b.post(path+"/commands", url.Values{"action": {"wipe"}, "confirmName": {"alice phone"}, "password": {password}})
		if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, `id="confirmName-error"`) || !strings.Contains(p.body, "<details class=\"wipe\" open>") {
			t.Errorf("wipe with a wrong name: %d\n%s", p.status, p.body)
		}
		p = b.post(path+"/commands", url.Values{"action": {"wipe"}, "confirmName": {"alice-phone"}, "password": {"not it"}})
		if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, `id="password-error"`) || strings.Contains(p.body, "not it") {
			t.Errorf("wipe with a wrong password: %d\n%s", p.status, p.body)
		}
		if cs, _ := e.svc.DeviceCommands(e.sys, d.ID, 0); len(cs) != 2 {
			t.Errorf("a refused wipe was queued: %+v", cs)
		}
		p = b.post(path+"/commands", url.Values{"action": {"wipe"}, "confirmName": {"alice-phone"}, "password": {password}})
		if p.status != http.StatusSeeOther || p.location != "/?sent=wipe" {
			t.Errorf("wipe: %d %s\n%s", p.status, p.location, p.body)
		}
		if p := b.do("GET", "/?sent=wipe", nil); !strings.Contains(p.body, "The wipe is on its way.") {
			t.Errorf("the list after a wipe:\n%s", p.body)
		}
		// A message needs a text.
		p = b.post(path+"/commands", url.Values{"action": {"message"}, "message": {"  "}})
		if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, `id="message-error"`) {
			t.Errorf("an empty message: %d\n%s", p.status, p.body)
		}

		// Sign-out ends the session.
		p = b.post("/signout", nil)
		if p.status != http.StatusSeeOther || p.location != "/?out=1" {
			t.Errorf("sign-out: %d %s", p.status, p.location)
		}
		if p := b.do("GET", path, nil); p.status != http.StatusSeeOther {
			t.Errorf("the device page after sign-out: %d", p.status)
		}
	})
}

// TestOwnPasswordThrottled: a signed-in user's password, asked again for a
// wipe or a password change, is throttled like a sign-in: after five wrong
// ones the form says to wait (429), even for the right one, and nothing is
// done.
func TestOwnPasswordThrottled(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newPortalEnv(t, engine)
		e.group("G1")
		e.user("G1", "alice", false)
		_, d := e.device("G1", "alice", "alice-phone")
		b := e.browser().signIn("G1", "alice")
		path := fmt.Sprint("/devices/", d.ID, "/commands")
		for i := range 5 {
			p := b.post(path, url.Values{"action": {"wipe"}, "confirmName": {"alice-phone"}, "password": {fmt.Sprint("guess ", i)}})
			if p.status != http.StatusUnprocessableEntity {
				t.Fatalf("wrong wipe password %d: %d", i, p.status)
			}
		}
		before := e.hasher.verifies.Load()
		p := b.post(path, url.Values{"action": {"wipe"}, "confirmName": {"alice-phone"}, "password": {password}})
		if p.status != http.StatusTooManyRequests || !strings.Contains(p.body, "Too many attempts") || !strings.Contains(p.body, `id="password-error"`) {
			t.Errorf("the right password after five wrong ones: %d\n%s", p.status, p.body)
		}
		if e.hasher.verifies.Load() != before {
			t.Error("a throttled wipe checked the password")
		}
		if cs, _ := e.svc.DeviceCommands(e.sys, d.ID, 0); len(cs) != 0 {
			t.Errorf("a throttled wipe was queued: %+v", cs)
		}
		// Other actions go on.
		if p := b.post(path, url.Values{"action": {"lock"}}); p.status != http.StatusSeeOther {
			t.Errorf("lock while the password is throttled: %d", p.status)
		}
		e.clock.Add(time.Second)
		if p := b.post(path, url.Values{"action": {"wipe"}, "confirmName": {"alice-phone"}, "password": {password}}); p.status != http.StatusSeeOther {
			t.Errorf("wipe after the wait: %d\n%s", p.status, p.body)
		}

		// The password page: the same.
		c := e.browser().signIn("G1", "alice")
		for i := range 5 {
			p := c.post("/password", url.Values{"currentPassword": {fmt.Sprint("guess ", i)}, "newPassword": {"Amber-canyon-17"}, "newPassword2": {"Amber-canyon-17"}})
			if p.status != http.StatusUnprocessableEntity {
				t.Fatalf("wrong current password %d: %d", i, p.status)
			}
		}
		p = c.post("/password", url.Values{"currentPassword": {password}, "newPassword": {"Amber-canyon-17"}, "newPassword2": {"Amber-canyon-17"}})
		if p.status != http.StatusTooManyRequests || !strings.Contains(p.body, "Too many attempts") {
			t.Errorf("the right current password after five wrong ones: %d\n%s", p.status, p.body)
		}
	})
}

// TestAddressBar: the address a form is sent to, opened in the address
// bar (a refused sign-in stays at /signin), leads back to the form's page;
// an address the portal does not have gets its page, in the person's
// language.
func TestAddressBar(t *testing.T) {
	e := newPortalEnv(t, "sqlite")
	b := e.browser()
	for path, to := range map[string]string{"/signin": "/", "/signout": "/", "/devices/7/commands": "/devices/7",
		"/commands/3/cancel": "/", "/tokens/4/revoke": "/tokens"} {
		if p := b.do("GET", path, nil); p.status != http.StatusSeeOther || p.location != to {
			t.Errorf("GET %s: %d to %q, want 303 to %s", path, p.status, p.location, to)
		}
	}
	for _, c := range []struct{ lang, want string }{{"en", "Page not found"}, {"ja", "ページが見つかりません"}} {
		p := b.do("GET", "/no/such/page?lang="+c.lang, nil)
		if p.status != http.StatusNotFound || !strings.Contains(p.body, c.want) || !strings.Contains(p.body, "<html") {
			t.Errorf("an unknown address (%s): %d\n%s", c.lang, p.status, p.body)
		}
	}
}
