package main

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/service"
)

// TestThrottlesInBrowser drives the emergency procedure (sign-in): an
// administrator locked out of one address by guesses is listed, lifted with
// the row's button and signs in again at once; a portal user's sessions
// end with the row's button, an administrator's with the form; a Log
// Viewer without authority 26 neither sees the page nor its link.
func TestThrottlesInBrowser(t *testing.T) {
	t.Parallel()
	chromium := requireChromium(t)
	s := startBrowserServer(t)
	browser := startChromium(t, chromium)
	svc := s.m.Service
	const opsPassword = "Night-shift-2024"
	for _, in := range []service.AdminInput{
		{LoginID: "ops", Name: "Ops", Password: opsPassword, Authorities: meibo.NewAuthorities(meibo.AuthConsole)},
		{LoginID: "reader", Name: "Reader", Password: opsPassword, Authorities: meibo.NewAuthorities(meibo.AuthLogViewer)},
	} {
		if _, err := svc.CreateAdmin(s.sys, in); err != nil {
			t.Fatal(err)
		}
	}
	// The sign-in page is open before the guesses: a lockout lasts seconds,
	// and a slow machine takes as long to start a tab.
	ops := newTab(t, browser, s.base)
	ops.open("/console/signin")
	// Guesses at ops from the browser's address, and at alice from
	// another; alice has a portal session.
	for range 5 {
		svc.SignIn(context.Background(), "ops", "wrong guess", "127.0.0.1", "test", meibo.English)
		svc.PortalSignIn(context.Background(), "G001", "alice", "wrong guess", "203.0.113.9", "test", meibo.English)
	}
	// Five failures lock the pair for a second only; a busy machine can
	// take longer to press the button, so the lockout is made to last.
	err := s.m.DB.Update(context.Background(), func(tx meibo.Tx) error {
		th, err := tx.Throttle(context.Background(), "pair:127.0.0.1 admin:ops")
		if err != nil {
			return err
		}
		if th.NextAt == nil {
			t.Fatal("five failures did not lock ops from 127.0.0.1")
		}
		th.NextAt = ptrTime(tx.Now().Add(time.Hour))
		return tx.PutThrottle(context.Background(), th)
	})
	if err != nil {
		t.Fatal(err)
	}
	aliceSecret, _, err := svc.PortalSignIn(context.Background(), "G001", "alice", "Sunny-day-123", "198.51.100.4", "test", meibo.English)
	if err != nil {
		t.Fatal(err)
	}

	ops.set("#loginId", "ops")
	ops.set("#password", opsPassword)
	if st := ops.submit(`form[action$="/signin"] button[type=submit]`); st != http.StatusTooManyRequests {
		t.Fatalf("ops from a locked address: status %d", st)
	}

	admin := newTab(t, browser, s.base)
	admin.signIn("admin", consolePassword)
	if !admin.exists(`nav.side a[href="/console/throttles"]`) {
		t.Error("the navigation of admin has no sign-in lockouts")
	}
	if st := admin.submit(`nav.side a[href="/console/throttles"]`); st != http.StatusOK {
		t.Fatalf("the lockouts page: status %d", st)
	}
	row := `#throttles tr[data-key="acct:admin:ops"]`
	if !admin.exists(row) {
		t.Fatalf("ops's counter is not listed:\n%s", admin.mainText())
	}
	if got := admin.text(`#throttles tr[data-key="pair:127.0.0.1 admin:ops"]`); !strings.Contains(got, "127.0.0.1") || !strings.Contains(got, "5") {
		t.Errorf("ops's row from the address: %q", got)
	}
	if st := admin.submit(row + ` button.lift`); st != http.StatusOK {
		t.Fatalf("lift: status %d", st)
	}
	admin.wantText("The lockout was lifted.")
	if admin.exists(row) || admin.exists(`#throttles tr[data-key="pair:127.0.0.1 admin:ops"]`) {
		t.Errorf("ops is still listed after the lift:\n%s", admin.mainText())
	}
	// ops signs in at once, from the same address.
	ops.set("#password", opsPassword)
	if st := ops.submit(`form[action$="/signin"] button[type=submit]`); st != http.StatusOK {
		t.Fatalf("ops after the lift: status %d", st)
	}

	// alice's row: end her sessions.
	aliceRow := `#throttles tr[data-key="acct:user:g001/alice"]`
	if !admin.exists(aliceRow) {
		t.Fatalf("alice's counter is not listed:\n%s", admin.mainText())
	}
	if _, _, err := svc.PortalActor(context.Background(), aliceSecret, ""); err != nil {
		t.Fatalf("alice's session before: %v", err)
	}
	if st := admin.submit(aliceRow + ` button.end`); st != http.StatusOK {
		t.Fatalf("end alice's sessions: status %d", st)
	}
	admin.wantText("Every session and link of the user has ended.")
	if _, _, err := svc.PortalActor(context.Background(), aliceSecret, ""); meibo.ErrorCode(err) != meibo.CodeUnauthorized {
		t.Errorf("alice's session after the end: %v", err)
	}

	// The form: an unknown account is an error on the page; ops's
	// sessions end.
	admin.set("#end-kind", "admin")
	admin.set("#end-name", "nobody")
	if st := admin.submit(`#end-form button[type=submit]`); st != http.StatusUnprocessableEntity {
		t.Errorf("end an unknown account: status %d", st)
	}
	admin.wantText(meibo.M("throttle.end.unknown").In(meibo.English))
	admin.set("#end-kind", "admin")
	admin.set("#end-name", "ops")
	if st := admin.submit(`#end-form button[type=submit]`); st != http.StatusOK {
		t.Fatalf("end ops's sessions: status %d", st)
	}
	admin.wantText("Every session and API token of the administrator has ended.")
	ops.open("/console/")
	if loc := ops.location(); !strings.Contains(loc, "/console/signin") {
		t.Errorf("ops's session still works after the end: %s", loc)
	}

	// A Log Viewer without 26.
	reader := newTab(t, browser, s.base)
	reader.signIn("reader", opsPassword)
	if reader.exists(`nav.side a[href="/console/throttles"]`) {
		t.Error("the navigation of a Log Viewer without 26 links to the lockouts")
	}
	if st := reader.open("/console/throttles"); st != http.StatusForbidden {
		t.Errorf("a Log Viewer without 26: status %d", st)
	}
	if strings.Contains(reader.mainText(), "127.0.0.1") || reader.exists("#throttles") {
		t.Errorf("a Log Viewer without 26 sees the counters:\n%s", reader.mainText())
	}
}

func ptrTime(t time.Time) *time.Time { return &t }
