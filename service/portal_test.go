package service_test

import (
	"fmt"
	"golang.org/x/text/unicode/norm"
	"testing"
	"time"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/service"
	"github.com/meibo/meibo/store/storetest"
)

// portalSignIn signs in to the portal and returns the error only.
func (e *env) portalSignIn(group, user, password, addr string) error {
	_, _, err := e.svc.PortalSignIn(bg, group, user, password, addr, "test", meibo.English)
	return err
}

// TestPortalSignIn: the right group, user and password sign in; the session
// carries the user's group and admin flag; every refusal gives one answer
// after one password verification.
func TestPortalSignIn(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		e.group("G1")
		e.group("G2")
		alice := e.devUser("G1", "alice", false)
		e.devUser("G1", "dora", true)
		off := e.devUser("G1", "off", false)
		must(e.svc.UpdateUser(e.sys, off.ID, meibo.UserUpdate{Disabled: ptr(true)}))(t)
		e.user("G1", "nopw", "nopw@example.org")
		e.devUser("G2", "zed", false)

		secret, sess := must2(e.svc.PortalSignIn(bg, "g1", "alice", devPassword, "192.0.2.1", "Firefox", meibo.Japanese))(t)
		if sess.Kind != meibo.SessionPortal || sess.Lang != meibo.Japanese || sess.CSRF == "" {
			t.Errorf("session %+v", sess)
		}
		a, _ := must2(e.svc.PortalActor(bg, secret, "192.0.2.1"))(t)
		if a.Kind != meibo.ActorUser || a.ID != alice.ID || a.GroupID != "G1" || a.GroupAdmin {
			t.Errorf("actor %+v", a)
		}
		if d := e.devPortal("G1", "dora"); !d.GroupAdmin {
			t.Errorf("group admin actor %+v", d)
		}
		if ev := e.eventsFor("portal.signin"); len(ev) != 2 || ev[1].ActorName != "alice" || ev[1].Addr != "192.0.2.1" {
			t.Errorf("sign-in events %+v", ev)
		}

		cases := []struct{ name, group, user, password string }{
			{"unknown group", "G9", "alice", devPassword},
			{"unknown user", "G1", "nobody", devPassword},
			{"wrong password", "G1", "alice", "Quiet-harbour-43"},
			{"user of another group", "G2", "alice", devPassword},
			{"disabled user", "G1", "off", devPassword},
			{"user without a password", "G1", "nopw", ""},
			{"user without a password, something typed", "G1", "nopw", devPassword},
			{"user ID in another case", "G1", "ALICE", devPassword},
			{"blank", "", "", ""},
		}
		var first *meibo.Error
		for i, c := range cases {
			before := e.hasher.verifies.Load()
			err := e.portalSignIn(c.group, c.user, c.password, fmt.Sprint("203.0.113.", i))
			ec := wantCode(t, err, meibo.CodeUnauthorized)
			if n := e.hasher.verifies.Load() - before; n != 1 {
				t.Errorf("%s: %d password verifications, want 1 (the same work as a wrong password)", c.name, n)
			}
			if len(ec.Fields) != 0 || ec.Msg.Key != "portal.failed" {
				t.Errorf("%s: %v (fields %v)", c.name, err, ec.Fields)
			}
			if first == nil {
				first = ec
			} else if ec.Error() != first.Error() || ec.Msg.In(meibo.Japanese) != first.Msg.In(meibo.Japanese) {
				t.Errorf("%s answers %q, %s answers %q", c.name, ec, cases[0].name, first)
			}
		}
		if n := len(e.eventsFor("portal.signin.failed")); n != len(cases) {
			t.Errorf("%d failed sign-in events, want %d", n, len(cases))
		}
		// A disabled user's session is over.
		offSecret, _, err := e.svc.PortalSignIn(bg, "G1", "dora", devPassword, "192.0.2.9", "", meibo.English)
		noErr(t, err)
		must(e.svc.UpdateUser(e.sys, e.devPortal("G1", "dora").ID, meibo.UserUpdate{Disabled: ptr(true)}))(t)
		_, _, err = e.svc.PortalActor(bg, offSecret, "192.0.2.9")
		wantCode(t, err, meibo.CodeUnauthorized)
	})
}

// TestPortalThrottle: after the free failures of a pair (account, address),
// the next attempt from that address is refused, even with the right
// password, without checking it; the waits double; a success clears the
// pair.
func TestPortalThrottle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		e.group("G1")
		e.devUser("G1", "alice", false)
		before := e.hasher.verifies.Load()
		const addr = "203.0.113.97"
		for range pairFree {
			wantCode(t, e.portalSignIn("G1", "alice", "wrong", addr), meibo.CodeUnauthorized)
		}
		err := e.portalSignIn("G1", "alice", devPassword, addr)
		if ec := wantCode(t, err, meibo.CodeRateLimited); ec.Msg.Key != "login.throttled" && ec.Msg.Key != "login.throttled.one" {
			t.Errorf("throttled: %v", err)
		}
		if n := e.hasher.verifies.Load() - before; n != pairFree {
			t.Errorf("%d passwords checked, want %d", n, pairFree)
		}
		if n := len(e.eventsFor("portal.signin.throttled")); n != 1 {
			t.Errorf("%d throttled events", n)
		}
		// The group ID's case makes no other account.
		wantCode(t, e.portalSignIn("g1", "alice", devPassword, addr), meibo.CodeRateLimited)
		// Nor does a name's Unicode form: がくと typed decomposed (macOS)
		// counts against the same account as typed composed.
		e.devUser("G1", "がくと", false)
		nfd := norm.NFD.String("がくと")
		for range pairFree {
			wantCode(t, e.portalSignIn("G1", nfd, "wrong", addr), meibo.CodeUnauthorized)
		}
		wantCode(t, e.portalSignIn("G1", "がくと", devPassword, addr), meibo.CodeRateLimited)
		wantCode(t, e.portalSignIn("G1", nfd, devPassword, addr), meibo.CodeRateLimited)

		// Exponential waits: 1 s, then 2 s, then 4 s after each further
		// failure.
		for _, wait := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second} {
			e.clock.Add(wait - time.Millisecond)
			wantCode(t, e.portalSignIn("G1", "alice", devPassword, addr), meibo.CodeRateLimited)
			e.clock.Add(time.Millisecond)
			wantCode(t, e.portalSignIn("G1", "alice", "still wrong", addr), meibo.CodeUnauthorized)
		}
		e.clock.Add(8*time.Second - time.Millisecond)
		wantCode(t, e.portalSignIn("G1", "alice", devPassword, addr), meibo.CodeRateLimited)
		e.clock.Add(time.Millisecond)
		noErr(t, e.portalSignIn("G1", "alice", devPassword, addr))
		// The success cleared the pair: five free attempts again.
		for range pairFree {
			wantCode(t, e.portalSignIn("G1", "alice", "wrong", addr), meibo.CodeUnauthorized)
		}
		wantCode(t, e.portalSignIn("G1", "alice", devPassword, addr), meibo.CodeRateLimited)
		// An unknown account is throttled as a known one.
		for range pairFree {
			wantCode(t, e.portalSignIn("G1", "ghost", "x", "203.0.113.95"), meibo.CodeUnauthorized)
		}
		wantCode(t, e.portalSignIn("G1", "ghost", "x", "203.0.113.95"), meibo.CodeRateLimited)
		// After the window without attempts, a counter starts afresh.
		e.clock.Add(61 * time.Minute)
		noErr(t, e.portalSignIn("G1", "alice", devPassword, addr))
	})
}

// TestPortalSignInTypedName: a user ID typed another way than it is kept
// (full-width digits and letters from a Japanese input method, 〜 on a Mac
// or an iPad where a Shift_JIS file gave ～) signs in as the one user of
// that name; case still counts, and where two users would answer neither
// does.
func TestPortalSignInTypedName(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		e.group("G1")
		add := func(name string) *meibo.User {
			return must(e.svc.CreateUser(e.sys, "G1", service.UserInput{Name: name, Password: devPassword}))(t)
		}
		hinata, wave := add("石川ひなた00001"), add("新入生～一郎")
		add("Taro")
		add("ab1")
		add("ａb1")
		for typed, want := range map[string]*meibo.User{"石川ひなた００００１": hinata, "新入生〜一郎": wave} {
			_, sess, err := e.svc.PortalSignIn(bg, "G1", typed, devPassword, "192.0.2.1", "test", meibo.Japanese)
			if err != nil || sess.UserID == nil || *sess.UserID != want.ID {
				t.Errorf("%s: %v, want signed in as %s", typed, err, want.Name)
			}
		}
		for _, typed := range []string{"taro", "ＴＡＲＯ", "ａｂ１", "ab１"} {
			if err := e.portalSignIn("G1", typed, devPassword, "192.0.2.2"); err == nil {
				t.Errorf("%s signed in; want refused (case counts; two users of one typed name)", typed)
			}
		}
	})
}
