package service_test

import (
	"fmt"
	"testing"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/service"
	"github.com/meibo/meibo/store/storetest"
)

// emergencyAuth is Log Viewer with the emergency procedure (sign-in).
var emergencyAuth = meibo.NewAuthorities(meibo.AuthLogViewer, meibo.AuthLogEmergency)

// entryFor returns the listed counter of kind for the account named name.
func entryFor(entries []service.ThrottleEntry, kind, name string) *service.ThrottleEntry {
	for i, e := range entries {
		if e.Kind == kind && e.Account != nil && e.Account.Name == name {
			return &entries[i]
		}
	}
	return nil
}

// TestEmergencyLift: a holder of authority 26 sees the counters holding an
// account and an address back, lifts them, and the account signs in again
// at once; without 26 nothing is shown or changed; every act is audited.
func TestEmergencyLift(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		e.group("G1")
		e.group("G2")
		alice := e.devUser("G1", "alice", false)
		e.devUser("G2", "carol", false)
		pw := "correct horse battery"
		e.admin("ops", pw, meibo.NewAuthorities(meibo.AuthConsole))
		holder := as(e.actor(e.admin("warden", pw, emergencyAuth), pw))
		viewer := as(e.actor(e.admin("reader", pw, meibo.NewAuthorities(meibo.AuthLogViewer, meibo.AuthLogMail)), pw))
		dept := as(e.actor(e.admin("deptwarden", pw, emergencyAuth|meibo.NewAuthorities(meibo.AuthDepartment), "G1"), pw))

		const addr = "203.0.113.5"
		for range pairFree {
			e.portalSignIn("G1", "alice", "guess", addr)
			e.portalSignIn("G2", "carol", "guess", addr)
			e.svc.Login(bg, "ops", "guess", addr)
		}
		wantCode(t, e.portalSignIn("G1", "alice", devPassword, addr), meibo.CodeRateLimited)

		// Without 26: refused, nothing shown, nothing changed.
		_, err := e.svc.Throttles(viewer)
		wantCode(t, err, meibo.CodeForbidden)
		_, err = e.svc.LiftThrottle(viewer, "acct:user:g1/alice")
		wantCode(t, err, meibo.CodeForbidden)
		wantCode(t, e.portalSignIn("G1", "alice", devPassword, addr), meibo.CodeRateLimited)

		list := must(e.svc.Throttles(holder))(t)
		pair := entryFor(list, "pair", "alice")
		if pair == nil || pair.Address != addr || pair.Failures != pairFree || pair.Until == nil ||
			pair.Account.Kind != "user" || pair.Account.Group != "G1" || pair.Account.ID != alice.ID {
			t.Fatalf("alice's pair in %+v", list)
		}
		if acct := entryFor(list, "account", "ops"); acct == nil || acct.Account.Kind != "admin" || acct.Failures != pairFree {
			t.Errorf("ops's account counter in %+v", list)
		}
		var addrSeen bool
		for _, en := range list {
			addrSeen = addrSeen || (en.Kind == "address" && en.Address == addr && en.Failures == 3*pairFree)
		}
		if !addrSeen {
			t.Errorf("the address's counter in %+v", list)
		}

		// A department holder sees its groups' users and addresses only.
		deptList := must(e.svc.Throttles(dept))(t)
		if entryFor(deptList, "pair", "alice") == nil || entryFor(deptList, "pair", "carol") != nil || entryFor(deptList, "pair", "ops") != nil {
			t.Errorf("a department holder sees %+v", deptList)
		}
		_, err = e.svc.LiftThrottle(dept, entryFor(list, "pair", "carol").Key)
		wantCode(t, err, meibo.CodeNotFound)
		wantCode(t, e.portalSignIn("G2", "carol", devPassword, addr), meibo.CodeRateLimited)

		// Lifting alice's account lifts her pairs: she signs in at once.
		must(e.svc.LiftThrottle(holder, "acct:user:g1/alice"))(t)
		noErr(t, e.portalSignIn("G1", "alice", devPassword, addr))
		// Lifting the pair of ops.
		_, _, err = e.svc.Login(bg, "ops", pw, addr)
		wantCode(t, err, meibo.CodeRateLimited)
		must(e.svc.LiftThrottle(holder, entryFor(list, "pair", "ops").Key))(t)
		must2(e.svc.Login(bg, "ops", pw, addr))(t)
		// Lifting the address: a department holder lifts its pairs with
		// its groups' users only, and never the address's own counter,
		// which counts failures against every account.
		for range pairFree {
			e.portalSignIn("G1", "alice", "guess", addr)
		}
		wantCode(t, e.portalSignIn("G1", "alice", devPassword, addr), meibo.CodeRateLimited)
		must(e.svc.LiftThrottle(dept, "addr:"+addr))(t)
		noErr(t, e.portalSignIn("G1", "alice", devPassword, addr))
		wantCode(t, e.portalSignIn("G2", "carol", devPassword, addr), meibo.CodeRateLimited)
		_, err = e.svc.LiftThrottle(dept, "addr:"+addr)
		wantCode(t, err, meibo.CodeNotFound)
		var kept bool
		for _, en := range must(e.svc.Throttles(holder))(t) {
			kept = kept || (en.Kind == "address" && en.Address == addr && en.Failures > 0)
		}
		if !kept {
			t.Errorf("a department holder lifted the address's own counter")
		}
		must(e.svc.LiftThrottle(holder, entryFor(list, "pair", "carol").Key))(t)
		noErr(t, e.portalSignIn("G2", "carol", devPassword, addr))
		must(e.svc.LiftThrottle(holder, "addr:"+addr))(t)
		_, err = e.svc.LiftThrottle(holder, "addr:"+addr)
		wantCode(t, err, meibo.CodeNotFound)
		_, err = e.svc.LiftThrottle(holder, "own:admin:#1")
		wantCode(t, err, meibo.CodeNotFound)

		lifts := e.eventsFor("signin.lift")
		if len(lifts) != 5 {
			t.Fatalf("%d lift events", len(lifts))
		}
		if ev := lifts[len(lifts)-1]; ev.ActorName != "warden" || ev.ObjectKind != "user" || ev.ObjectID != "alice" || ev.GroupID != "G1" {
			t.Errorf("lift event %+v", ev)
		}
	})
}

// TestEmergencyEndSessions: a holder of authority 26 ends every session and
// token of a user and of an administrator; without it, or outside a
// department's groups, nothing ends.
func TestEmergencyEndSessions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		e.group("G1")
		e.group("G2")
		e.devUser("G1", "alice", false)
		carol := e.devUser("G2", "carol", false)
		pw := "correct horse battery"
		ops := e.admin("ops", pw, meibo.NewAuthorities(meibo.AuthConsole))
		holder := as(e.actor(e.admin("warden", pw, emergencyAuth), pw))
		viewer := as(e.actor(e.admin("reader", pw, meibo.NewAuthorities(meibo.AuthLogViewer, meibo.AuthConsole)), pw))
		dept := as(e.actor(e.admin("deptwarden", pw, emergencyAuth|meibo.NewAuthorities(meibo.AuthDepartment), "G1"), pw))

		aliceSecret, _, err := e.svc.PortalSignIn(bg, "G1", "alice", devPassword, "192.0.2.1", "test", meibo.English)
		noErr(t, err)
		carolSecret, _, err := e.svc.PortalSignIn(bg, "G2", "carol", devPassword, "192.0.2.1", "test", meibo.English)
		noErr(t, err)
		token, _, err := e.svc.Login(bg, "ops", pw, "192.0.2.2")
		noErr(t, err)
		consoleSecret, _, err := e.svc.SignIn(bg, "ops", pw, "192.0.2.2", "test", meibo.English)
		noErr(t, err)

		alive := func(what string, err error, want bool) {
			t.Helper()
			if (err == nil) != want {
				t.Errorf("%s: alive %v, want %v (%v)", what, err == nil, want, err)
			}
		}
		check := func(aliceWant, carolWant, opsWant bool) {
			t.Helper()
			_, _, err := e.svc.PortalActor(bg, aliceSecret, "")
			alive("alice's session", err, aliceWant)
			_, _, err = e.svc.PortalActor(bg, carolSecret, "")
			alive("carol's session", err, carolWant)
			_, err = e.svc.Authenticate(bg, token, "")
			alive("ops's token", err, opsWant)
			_, _, err = e.svc.ConsoleActor(bg, consoleSecret, "")
			alive("ops's console session", err, opsWant)
		}

		_, err = e.svc.EndSessions(viewer, service.Account{Kind: "user", Group: "G1", Name: "alice"})
		wantCode(t, err, meibo.CodeForbidden)
		_, err = e.svc.EndSessions(viewer, service.Account{Kind: "admin", ID: ops.ID})
		wantCode(t, err, meibo.CodeForbidden)
		// Refused as not found, the message naming what was asked for.
		_, err = e.svc.EndSessions(dept, service.Account{Kind: "user", ID: carol.ID})
		if ae := wantCode(t, err, meibo.CodeNotFound); ae.Msg.Key != "user.id.not_found" || fmt.Sprint(ae.Msg.Args) != fmt.Sprint([]any{carol.ID}) {
			t.Errorf("another group's user by ID: %v", ae.Msg)
		}
		_, err = e.svc.EndSessions(dept, service.Account{Kind: "admin", Name: "ops"})
		wantCode(t, err, meibo.CodeNotFound)
		_, err = e.svc.EndSessions(dept, service.Account{Kind: "admin", ID: ops.ID})
		if ae := wantCode(t, err, meibo.CodeNotFound); ae.Msg.Key != "not_found" {
			t.Errorf("an administrator by ID: %v", ae.Msg)
		}
		check(true, true, true)

		acc := must(e.svc.EndSessions(dept, service.Account{Kind: "user", Group: "g1", Name: "alice"}))(t)
		if acc.Kind != "user" || acc.Group != "G1" || acc.Name != "alice" {
			t.Errorf("ended %+v", acc)
		}
		check(false, true, true)
		must(e.svc.EndSessions(holder, service.Account{Kind: "admin", ID: ops.ID}))(t)
		check(false, true, false)
		// The user and the administrator sign in again.
		noErr(t, e.portalSignIn("G1", "alice", devPassword, "192.0.2.1"))
		must2(e.svc.Login(bg, "ops", pw, "192.0.2.2"))(t)

		if ev := e.eventsFor("user.sessions.end"); len(ev) != 1 || ev[0].ActorName != "deptwarden" || ev[0].ObjectID != "alice" || ev[0].GroupID != "G1" {
			t.Errorf("user.sessions.end events %+v", ev)
		}
		if ev := e.eventsFor("admin.sessions.end"); len(ev) != 1 || ev[0].ActorName != "warden" || ev[0].ObjectID != "ops" {
			t.Errorf("admin.sessions.end events %+v", ev)
		}
		_, err = e.svc.EndSessions(holder, service.Account{Kind: "device", Name: fmt.Sprint(1)})
		wantCode(t, err, meibo.CodeInvalid)
	})
}
