package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/service"
)

// The portal in headless Chromium, on a phone: sign-in (a generic refusal,
// then the right password), the device list, a device, Lock pressed and its
// status followed live to Done without a reload while a simulated device
// (the agent's own code, in process) carries it out, the wipe form asking
// for the name and the password, sign-out. It reuses the console's browser
// helpers (browser_test.go) and leaves screenshots of the portal in
// screenshots/portal-<page>-<lang>-<device>.png.

// portalPhone is the phone viewport of the portal tests.
var portalPhone = chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulatePortrait)

func TestPortalInBrowser(t *testing.T) {
	t.Parallel()
	chromium := requireChromium(t)
	clock := &e2eClock{}
	m := e2eServer(t, migratedDB(t), clock.Now)
	svc := m.Service
	if _, err := svc.CreateGroup(e2eSys, meibo.Group{ID: "G001", Name: "Sales"}); err != nil {
		t.Fatal(err)
	}
	for _, u := range []service.UserInput{
		{Name: "alice", Email: "alice@example.com", Password: e2ePassword},
		{Name: "bob", Email: "bob@example.com", Password: e2ePassword},
	} {
		if _, err := svc.CreateUser(e2eSys, "G001", u); err != nil {
			t.Fatal(err)
		}
	}
	// Alice's phone is a simulated device (the agent's code); her tablet
	// and Bob's phone only checked in once.
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	enrol := func(user, name string, st meibo.DeviceStatus) (*agent, int64) {
		tok, _, err := svc.CreateEnrolmentToken(e2eSys, "G001", user, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		a := &agent{base: m.URL(), client: &http.Client{}, log: slog.New(slog.NewTextHandler(io.Discard, nil)), name: name,
			platform: "iOS", lat: 35.681236, lon: 139.767125, wait: 25}
		if err := a.enrol(ctx, tok); err != nil {
			t.Fatal(err)
		}
		d, err := svc.AuthenticateDevice(ctx, a.st.Secret)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.CheckIn(ctx, d, st, 0); err != nil {
			t.Fatal(err)
		}
		return a, d.ID
	}
	battery := func(n int) *int { return &n }
	phone, phoneID := enrol("alice", "Alice's iPhone", meibo.DeviceStatus{Model: "iPhone 15", OSVersion: "iOS 17.5", Battery: battery(76)})
	enrol("alice", "Alice's iPad", meibo.DeviceStatus{Model: "iPad Air", OSVersion: "iPadOS 17.5", Battery: battery(31),
		Location: &meibo.Location{Latitude: 34.702485, Longitude: 135.495951, Accuracy: 30}})
	enrol("bob", "Bob's Pixel", meibo.DeviceStatus{Model: "Pixel 8", OSVersion: "Android 14", Battery: battery(90)})
	// A device named by a long serial, without a space to break at.
	_, longID := enrol("alice", "SM-"+strings.Repeat("A1B2C3", 10), meibo.DeviceStatus{Model: "Galaxy Tab", Battery: battery(55)})

	browser := startChromium(t, chromium)
	tab := newTab(t, browser, m.URL())
	tab.do(portalPhone)
	shots := portalScreenshots(t)

	t.Run("sign-in refused with one message", func(t *testing.T) {
		b := tab.with(t)
		b.open("/?lang=en")
		shots.take(b, "signin", "en")
		for _, c := range []struct{ group, user, password string }{
			{"G001", "alice", "Quiet-harbour-43"}, // wrong password
			{"G009", "alice", e2ePassword},        // unknown group
			{"G001", "nobody", e2ePassword},       // unknown user
		} {
			b.set("#group", c.group)
			b.set("#user", c.user)
			b.set("#password", c.password)
			if st := b.submit(`form[action="/signin"] button[type=submit]`); st != http.StatusUnauthorized {
				t.Errorf("%+v: status %d", c, st)
			}
			if got := b.text(".alert.error"); got != "The group ID, user ID or password is not correct." {
				t.Errorf("%+v: the message is %q", c, got)
			}
			if b.exists("[aria-invalid]") {
				t.Errorf("%+v: a field is marked as the wrong one", c)
			}
			if got := evalJS[string](b, `document.getElementById("password").value`); got != "" {
				t.Errorf("%+v: the password is kept in the form", c)
			}
		}
		shots.take(b, "signin-error", "en")
	})

	t.Run("sign in and see the devices", func(t *testing.T) {
		b := tab.with(t)
		b.set("#group", "G001")
		b.set("#user", "alice")
		b.set("#password", e2ePassword)
		if st := b.submit(`form[action="/signin"] button[type=submit]`); st != http.StatusOK {
			t.Fatalf("sign in: status %d", st)
		}
		b.wantText("My devices", "Alice's iPhone", "Alice's iPad", "76%", "iPhone 15")
		if strings.Contains(b.mainText(), "Bob's Pixel") {
			t.Error("Bob's device is listed to Alice")
		}
		// Nothing is wider than the phone.
		if w := evalJS[float64](b, `document.documentElement.scrollWidth`); w > 390 {
			t.Errorf("the device list is %vpx wide on a 390px phone", w)
		}
		shots.take(b, "devices", "en")
		b.open(fmt.Sprintf("/devices/%d", longID))
		if w := evalJS[float64](b, `document.documentElement.scrollWidth`); w > 390 {
			t.Errorf("the page of a device with a 63-character name is %vpx wide on a 390px phone", w)
		}
		b.open("/")
	})

	t.Run("lock, followed live", func(t *testing.T) {
		b := tab.with(t)
		if st := b.submit(fmt.Sprintf(`a[href="/devices/%d"]`, phoneID)); st != http.StatusOK {
			t.Fatalf("open the phone: status %d", st)
		}
		b.wantText("Alice's iPhone", "Remote actions", "iPhone 15")
		shots.take(b, "device", "en")
		if st := b.submit(`form input[name=action][value=lock] ~ button`); st != http.StatusOK {
			t.Fatalf("lock: status %d", st)
		}
		b.wantText("The command is on its way")
		if got := b.text(".commands li .status"); got != "Waiting for the device" {
			t.Errorf("the lock's status right after it was sent: %q", got)
		}
		// The device comes online now: the page follows without a reload.
		evalJS[bool](b, `window.stayed = true`)
		go phone.run(ctx)
		b.waitFor(`document.querySelector(".commands li .status").textContent === "Done"`, 5*time.Second)
		if !evalJS[bool](b, `window.stayed === true`) {
			t.Error("the page was reloaded")
		}
		if b.exists(".commands li form") {
			t.Error("a done command can still be cancelled")
		}
		c := e2eLastCommand(t, svc, phoneID)
		if c.Status != meibo.CommandDone || c.Action != meibo.ActionLock || c.RequestedBy != "alice" {
			t.Errorf("the lock: %+v", c)
		}
		// Without a reload either, the facts follow: the device is locked.
		b.waitFor(`document.querySelector("dl.facts").textContent.includes("Locked")`, 5*time.Second)
		if !evalJS[bool](b, `window.stayed === true`) {
			t.Error("the page was reloaded to show the lock")
		}
		b.wantText("by you")
		// Reloaded, the page shows the device locked.
		b.open(fmt.Sprintf("/devices/%d", phoneID))
		b.wantText("Locked")
		shots.take(b, "device-done", "en")
	})

	t.Run("wipe asks for the name and the password", func(t *testing.T) {
		b := tab.with(t)
		b.open(fmt.Sprintf("/devices/%d", phoneID))
		if evalJS[bool](b, `document.querySelector("details.wipe").open`) {
			t.Error("the wipe form is open before it is asked for")
		}
		b.click("details.wipe summary")
		for _, sel := range []string{"#confirmName[required]", "#wipePassword[required][type=password]"} {
			if !b.exists(sel) {
				t.Errorf("the wipe form has no %s", sel)
			}
		}
		b.wantText("Type the device's name (Alice's iPhone) to confirm")
		shots.take(b, "wipe", "en")
		b.set("#confirmName", "Alices iPhone")
		b.set("#wipePassword", e2ePassword)
		if st := b.submit(`details.wipe button[type=submit]`); st != http.StatusUnprocessableEntity {
			t.Errorf("a wrong name: status %d", st)
		}
		if got := b.text("#confirmName-error"); !strings.Contains(got, "Type the device's name exactly") {
			t.Errorf("the name's error: %q", got)
		}
		if !evalJS[bool](b, `document.querySelector("details.wipe").open`) {
			t.Error("the refused wipe form is closed")
		}
		if got := evalJS[string](b, `document.getElementById("wipePassword").value`); got != "" {
			t.Error("the password is kept in the refused form")
		}
		b.set("#confirmName", "Alice's iPhone")
		b.set("#wipePassword", "Quiet-harbour-43")
		if st := b.submit(`details.wipe button[type=submit]`); st != http.StatusUnprocessableEntity {
			t.Errorf("a wrong password: status %d", st)
		}
		if got := b.text("#password-error"); got != "Your password is not correct." {
			t.Errorf("the password's error: %q", got)
		}
		if c := e2eLastCommand(t, svc, phoneID); c.Action == meibo.ActionWipe {
			t.Errorf("a refused wipe was queued: %+v", c)
		}
		// The right name and password: the phone takes it and is gone.
		b.set("#confirmName", "Alice's iPhone")
		b.set("#wipePassword", e2ePassword)
		if st := b.submit(`details.wipe button[type=submit]`); st != http.StatusOK {
			t.Fatalf("wipe: status %d", st)
		}
		// Back on the list, which says what happens next.
		b.wantText("The wipe is on its way.", "My devices")
		shots.take(b, "wipe-sent", "en")
		e2eWait(t, 5*time.Second, "the phone is not wiped", func() bool { return e2eDevice(t, svc, phoneID).RevokedAt != nil })
		b.open("/")
		if strings.Contains(b.mainText(), "Alice's iPhone") {
			t.Error("the wiped phone is still listed")
		}
	})

	t.Run("Japanese", func(t *testing.T) {
		b := tab.with(t)
		_, ipadID := portalDeviceByName(t, svc, "Alice's iPad")
		b.open("/?lang=ja")
		b.wantText("マイデバイス", "Alice's iPad")
		shots.take(b, "devices", "ja")
		b.open(fmt.Sprintf("/devices/%d", ipadID))
		b.wantText("リモート操作", "ロック")
		shots.take(b, "device", "ja")
		b.click("details.wipe summary")
		shots.take(b, "wipe", "ja")
		b.open("/?lang=en")
	})

	t.Run("desktop", func(t *testing.T) {
		b := tab.with(t)
		_, ipadID := portalDeviceByName(t, svc, "Alice's iPad")
		b.do(chromedp.EmulateViewport(1280, 800))
		for _, lang := range []string{"en", "ja"} {
			b.open("/?lang=" + lang)
			shots.take(b, "devices", lang)
			b.open(fmt.Sprintf("/devices/%d", ipadID))
			shots.take(b, "device", lang)
		}
		b.open("/?lang=en")
		b.do(portalPhone)
	})

	t.Run("sign out", func(t *testing.T) {
		b := tab.with(t)
		b.open("/")
		if st := b.submit(`form[action="/signout"] button[type=submit]`); st != http.StatusOK {
			t.Fatalf("sign out: status %d", st)
		}
		b.wantText("You are signed out.")
		_, ipadID := portalDeviceByName(t, svc, "Alice's iPad")
		b.open(fmt.Sprintf("/devices/%d", ipadID))
		if loc := b.location(); !strings.HasSuffix(loc, "/?ended=1") {
			t.Errorf("a device page after signing out went to %s", loc)
		}
		b.wantText("Your session has ended")
	})

	t.Run("signed-out pages", func(t *testing.T) {
		// The sign-in page in Japanese and on a desktop, from a fresh tab.
		b := newTab(t, browser, m.URL())
		b.do(portalPhone)
		b.open("/?lang=ja")
		b.wantText("デバイス管理にサインイン")
		shots.take(b, "signin", "ja")
		b.set("#group", "G001")
		b.set("#user", "alice")
		b.set("#password", "wrong")
		b.submit(`form[action="/signin"] button[type=submit]`)
		b.wantText("グループID、ユーザーID、パスワードのいずれかが正しくありません。")
		shots.take(b, "signin-error", "ja")
		b.do(chromedp.EmulateViewport(1280, 800))
		for _, lang := range []string{"en", "ja"} {
			b.open("/?lang=" + lang)
			shots.take(b, "signin", lang)
		}
	})
	t.Logf("%d screenshots of the portal in %s", shots.n, shots.dir)
}

func portalDeviceByName(t *testing.T, svc *service.Service, name string) (*meibo.Device, int64) {
	t.Helper()
	ds, err := svc.Devices(e2eSys, meibo.DeviceFilter{GroupID: "G001"})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range ds {
		if d.Name == name {
			return d, d.ID
		}
	}
	t.Fatalf("no device %q", name)
	return nil, 0
}

// portalShots saves screenshots of the portal in screenshots/ at the root
// of the repository (git-ignored).
type portalShots struct {
	t   *testing.T
	dir string
	n   int
}

// portalScreenshots finds screenshots/ and removes the portal's older
// screenshots (only those: the console's are its own).
func portalScreenshots(t *testing.T) *portalShots {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		if filepath.Dir(dir) == dir {
			t.Fatal("no go.mod above the test's folder")
		}
		dir = filepath.Dir(dir)
	}
	dir = filepath.Join(dir, "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	old, _ := filepath.Glob(filepath.Join(dir, "portal-*.png"))
	for _, f := range old {
		os.Remove(f)
	}
	return &portalShots{t: t, dir: dir}
}

// take saves the whole page as portal-<name>-<lang>-<phone|desktop>.png.
func (s *portalShots) take(b *browserTab, name, lang string) {
	s.t.Helper()
	device := "phone"
	if w := evalJS[float64](b, `window.innerWidth`); w > 600 {
		device = "desktop"
	}
	ctx, cancel := b.timed()
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		s.t.Fatalf("screenshot of %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(s.dir, fmt.Sprintf("portal-%s-%s-%s.png", name, lang, device)), png, 0o644); err != nil {
		s.t.Fatal(err)
	}
	s.n++
}
