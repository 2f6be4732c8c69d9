package service_test

import (
	"testing"
	"time"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/store/storetest"
)

// TestSessionLifetimes: a console session ends after 15 minutes without a
// request and 8 hours after sign-in, sooner than a portal session (30
// minutes, 12 hours), by default.
func TestSessionLifetimes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		e.group("G1")
		e.devUser("G1", "alice", false)
		e.admin("carol", devPassword, 0)
		signIn := func() (console, portal string) {
			t.Helper()
			console, _ = must2(e.svc.SignIn(bg, "carol", devPassword, "192.0.2.1", "test", meibo.English))(t)
			portal, _ = must2(e.svc.PortalSignIn(bg, "G1", "alice", devPassword, "192.0.2.2", "test", meibo.English))(t)
			return
		}
		alive := func(console, portal string) (bool, bool) {
			t.Helper()
			_, _, cerr := e.svc.ConsoleActor(bg, console, "192.0.2.1")
			_, _, perr := e.svc.PortalActor(bg, portal, "192.0.2.2")
			return cerr == nil, perr == nil
		}

		// Idle: 14 minutes keep both; 16 end the console's only.
		c, p := signIn()
		e.clock.Add(14 * time.Minute)
		if ca, pa := alive(c, p); !ca || !pa {
			t.Fatalf("after 14 idle minutes: console %v portal %v", ca, pa)
		}
		e.clock.Add(16 * time.Minute)
		if ca, pa := alive(c, p); ca || !pa {
			t.Errorf("after 16 idle minutes: console %v portal %v", ca, pa)
		}

		// Absolute: kept busy, the console's ends after 8 hours, the
		// portal's goes on.
		c, p = signIn()
		for i := 1; i < 8*6; i++ {
			e.clock.Add(10 * time.Minute)
			if ca, pa := alive(c, p); !ca || !pa {
				t.Fatalf("%d busy minutes after sign-in: console %v portal %v", i*10, ca, pa)
			}
		}
		e.clock.Add(10 * time.Minute)
		if ca, pa := alive(c, p); ca || !pa {
			t.Errorf("8 busy hours after sign-in: console %v portal %v", ca, pa)
		}
	})
}
