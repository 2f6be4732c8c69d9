package service_test

import (
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/service"
	"github.com/meibo/meibo/store/storetest"
)

// retryAfter is the wait a rate-limited answer names.
func retryAfter(t *testing.T, err error) time.Duration {
	t.Helper()
	ec := wantCode(t, err, meibo.CodeRateLimited)
	if ec.Msg.Key != "login.throttled" && ec.Msg.Key != "login.throttled.one" || len(ec.Msg.Args) != 1 {
		t.Fatalf("throttled answer %v", err)
	}
	return time.Duration(ec.Msg.Args[0].(int)) * time.Second
}

// TestThrottleOwnerSignsInDuringAttack: an account under a long attack,
// from one address and from many, keeps its owner out for seconds at most
// when they come from an address that has not failed, and not at all from an
// address they signed in from before.
func TestThrottleOwnerSignsInDuringAttack(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		pw := "correct horse battery"
		e.admin("ops", pw, meibo.NewAuthorities(meibo.AuthConsole))
		login := func(password, addr string) error {
			_, _, err := e.svc.Login(bg, "ops", password, addr)
			return err
		}
		noErr(t, login(pw, "192.0.2.10")) // the owner's usual address

		// One address guesses for an hour of the test's clock, waiting out
		// every refusal, as a patient attacker would.
		attacker := "203.0.113.66"
		for range 40 {
			if err := login("guess", attacker); meibo.ErrorCode(err) == meibo.CodeRateLimited {
				e.clock.Add(retryAfter(t, err))
			}
		}
		// And a hundred others, five guesses each, all at once.
		for i := range 100 {
			for range pairFree {
				login("guess", fmt.Sprint("198.18.", i/250, ".", i%250))
			}
		}

		// The owner from an address that has not failed: at most a few
		// seconds of waiting.
		var waited time.Duration
		for {
			err := login(pw, "192.0.2.77")
			if err == nil {
				break
			}
			w := retryAfter(t, err)
			if w > accountMaxWait+time.Second {
				t.Fatalf("the owner is told to wait %v", w)
			}
			waited += w
			if waited > 2*accountMaxWait {
				t.Fatalf("the owner waited %v and is still refused", waited)
			}
			e.clock.Add(w)
		}
		if waited == 0 {
			t.Error("the account's counter did not slow a new address down during the attack")
		}
		// From the address they signed in from before: at once, even while
		// the account's counter is waiting.
		for i := range 3 {
			login("guess", fmt.Sprint("198.19.0.", i))
		}
		noErr(t, login(pw, "192.0.2.10"))
		// The attacker's own address is still held back.
		retryAfter(t, login(pw, attacker))
	})
}

// TestThrottleGroupsApart: twenty guesses at group A's users, named like
// group B's, leave group B's users untouched.
func TestThrottleGroupsApart(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		e.group("GA")
		e.group("GB")
		e.devUser("GA", "alice", false)
		e.devUser("GB", "alice", false)
		e.devUser("GB", "bob", false)
		// Bob signed in from the office address before.
		noErr(t, e.portalSignIn("GB", "bob", devPassword, "192.0.2.1"))
		for i := range 20 {
			// From the office address and from elsewhere.
			e.portalSignIn("GA", "alice", "guess", "192.0.2.1")
			e.portalSignIn("GA", fmt.Sprint("user", i), "guess", "192.0.2.1")
			e.portalSignIn("GA", "alice", "guess", fmt.Sprint("203.0.113.", i))
		}
		wantCode(t, e.portalSignIn("GA", "alice", devPassword, "192.0.2.1"), meibo.CodeRateLimited)
		before := e.hasher.verifies.Load()
		noErr(t, e.portalSignIn("GB", "alice", devPassword, "192.0.2.200"))
		noErr(t, e.portalSignIn("GB", "bob", devPassword, "192.0.2.1"))
		if n := e.hasher.verifies.Load() - before; n != 2 {
			t.Errorf("%d passwords checked for two sign-ins", n)
		}
		// Guesses at GB's alice count against her, not against GA's alice
		// or GB's bob.
		for range pairFree {
			e.portalSignIn("GB", "alice", "guess", "203.0.113.200")
		}
		wantCode(t, e.portalSignIn("GB", "alice", devPassword, "203.0.113.200"), meibo.CodeRateLimited)
		noErr(t, e.portalSignIn("GB", "bob", devPassword, "203.0.113.201"))
	})
}

// TestThrottleSpray: one address guessing at many accounts is stopped after
// the address's free failures, whatever account it names next; other
// addresses are not.
func TestThrottleSpray(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		e.group("G1")
		e.devUser("G1", "alice", false)
		pw := "correct horse battery"
		e.admin("ops", pw, meibo.NewAuthorities(meibo.AuthConsole))
		const sprayer = "192.0.2.66"
		before := e.hasher.verifies.Load()
		for i := range addressFree {
			wantCode(t, e.portalSignIn("G1", fmt.Sprint("user", i), "guess", sprayer), meibo.CodeUnauthorized)
		}
		wantCode(t, e.portalSignIn("G1", "someone-else", "guess", sprayer), meibo.CodeRateLimited)
		wantCode(t, e.portalSignIn("G1", "alice", devPassword, sprayer), meibo.CodeRateLimited)
		_, _, err := e.svc.Login(bg, "ops", pw, sprayer)
		wantCode(t, err, meibo.CodeRateLimited)
		if n := e.hasher.verifies.Load() - before; n != addressFree {
			t.Errorf("%d passwords checked from one address, want %d", n, addressFree)
		}
		noErr(t, e.portalSignIn("G1", "alice", devPassword, "192.0.2.67"))
		if _, _, err := e.svc.Login(bg, "ops", pw, "192.0.2.68"); err != nil {
			t.Fatalf("another address: %v", err)
		}
		wantCode(t, e.portalSignIn("G1", "user1", "guess", "192.0.2.69"), meibo.CodeUnauthorized)

		// A burst across accounts from one address: no more than the
		// address's free failures are checked.
		before = e.hasher.verifies.Load()
		var wg sync.WaitGroup
		for i := range 60 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				e.portalSignIn("G1", fmt.Sprint("burst", i), "guess", "192.0.2.77")
			}()
		}
		wg.Wait()
		if n := e.hasher.verifies.Load() - before; n > addressFree {
			t.Errorf("%d passwords checked in a burst from one address, want at most %d", n, addressFree)
		}
		// Successes from a shared address do not use its allowance up.
		e.clock.Add(2 * time.Hour)
		for i := range addressFree + 5 {
			if err := e.portalSignIn("G1", "alice", devPassword, "192.0.2.88"); err != nil {
				t.Fatalf("sign-in %d from one address: %v", i+1, err)
			}
		}
	})
}

// TestThrottleSprayIPv6: an IPv6 client holds its /64 whole, so the
// addresses of one /64 share the address's and the pairs' counters; another
// /64 has its own. IPv4 written as IPv6 counts as the IPv4 address.
func TestThrottleSprayIPv6(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		e.group("G1")
		e.devUser("G1", "alice", false)
		for i := range addressFree {
			wantCode(t, e.portalSignIn("G1", fmt.Sprint("user", i), "guess", fmt.Sprintf("2001:db8:1:2::%x", i+1)), meibo.CodeUnauthorized)
		}
		wantCode(t, e.portalSignIn("G1", "alice", devPassword, "2001:db8:1:2:ffff::9"), meibo.CodeRateLimited)
		noErr(t, e.portalSignIn("G1", "alice", devPassword, "2001:db8:1:3::1"))
		for range pairFree {
			wantCode(t, e.portalSignIn("G1", "alice", "guess", "198.51.100.7"), meibo.CodeUnauthorized)
		}
		wantCode(t, e.portalSignIn("G1", "alice", devPassword, "::ffff:198.51.100.7"), meibo.CodeRateLimited)
		list := must(e.svc.Throttles(e.sys))(t)
		var net bool
		for _, en := range list {
			net = net || (en.Kind == "address" && en.Address == "2001:db8:1:2::/64")
		}
		if !net {
			t.Errorf("no counter of 2001:db8:1:2::/64 in %+v", list)
		}
	})
}

// TestThrottleBurst sends 200 wrong passwords for one account at once, from
// one address and then from 200: no more passwords are checked than the
// pair's, then the account's, free failures; every attempt is either checked
// or refused as rate-limited.
func TestThrottleBurst(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		e.group("G1")
		e.devUser("G1", "alice", false)
		pw := "correct horse battery"
		e.admin("ops", pw, meibo.NewAuthorities(meibo.AuthConsole))
		burst := func(try func(i int) error, limit int64) {
			t.Helper()
			before := e.hasher.verifies.Load()
			const n = 200
			codes := make(chan meibo.Code, n)
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					codes <- meibo.ErrorCode(try(i))
				}()
			}
			close(start)
			wg.Wait()
			close(codes)
			count := map[meibo.Code]int{}
			for c := range codes {
				count[c]++
			}
			checked := e.hasher.verifies.Load() - before
			if checked > limit {
				t.Errorf("%d passwords checked in a burst, want at most %d", checked, limit)
			}
			if count[meibo.CodeUnauthorized] != int(checked) || count[meibo.CodeRateLimited] != n-int(checked) {
				t.Errorf("answers %v for %d checked passwords: every attempt is either checked or rate-limited", count, checked)
			}
		}
		burst(func(i int) error {
			_, _, err := e.svc.Login(bg, "ops", fmt.Sprint("guess number ", i), "192.0.2.1")
			return err
		}, pairFree)
		burst(func(i int) error {
			return e.portalSignIn("G1", "alice", fmt.Sprint("guess number ", i), fmt.Sprint("198.18.", i/250, ".", i%250))
		}, accountFree)
		// The right password from a throttled pair is refused without a
		// check; from a fresh address after the account's short wait, it
		// signs in.
		before := e.hasher.verifies.Load()
		_, _, err := e.svc.Login(bg, "ops", pw, "192.0.2.1")
		wantCode(t, err, meibo.CodeRateLimited)
		if n := e.hasher.verifies.Load() - before; n != 0 {
			t.Errorf("a throttled attempt checked %d passwords", n)
		}
		e.clock.Add(accountMaxWait)
		noErr(t, e.portalSignIn("G1", "alice", devPassword, "198.51.100.1"))
		if _, _, err := e.svc.Login(bg, "ops", pw, "198.51.100.1"); err != nil {
			t.Fatal(err)
		}
	})
}

// TestThrottleRefusalsAlike: every refused sign-in, whatever the reason, has
// the same answer after one password verification; every throttled one has
// the same answer after none, for known and unknown accounts alike.
func TestThrottleRefusalsAlike(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		e.group("G1")
		e.devUser("G1", "alice", false)
		off := e.devUser("G1", "off", false)
		must(e.svc.UpdateUser(e.sys, off.ID, meibo.UserUpdate{Disabled: ptr(true)}))(t)
		e.user("G1", "nopw", "")
		cases := []struct{ group, user, pw string }{
			{"G1", "alice", "wrong"}, {"G1", "ghost", "wrong"}, {"G9", "alice", "wrong"},
			{"G1", "off", devPassword}, {"G1", "nopw", ""},
		}
		var first *meibo.Error
		for i, c := range cases {
			addr := fmt.Sprint("203.0.113.", i)
			before := e.hasher.verifies.Load()
			ec := wantCode(t, e.portalSignIn(c.group, c.user, c.pw, addr), meibo.CodeUnauthorized)
			if n := e.hasher.verifies.Load() - before; n != 1 {
				t.Errorf("%v: %d verifications", c, n)
			}
			if first == nil {
				first = ec
			} else if ec.Error() != first.Error() || ec.Msg.Key != first.Msg.Key {
				t.Errorf("%v: answer %v, want %v", c, ec, first)
			}
		}
		var throttled []string
		for i, c := range cases {
			addr := fmt.Sprint("203.0.113.", i)
			for range pairFree - 1 {
				e.portalSignIn(c.group, c.user, c.pw, addr)
			}
			before := e.hasher.verifies.Load()
			err := e.portalSignIn(c.group, c.user, c.pw, addr)
			if n := e.hasher.verifies.Load() - before; n != 0 {
				t.Errorf("%v throttled: %d verifications", c, n)
			}
			throttled = append(throttled, wantCode(t, err, meibo.CodeRateLimited).Error())
		}
		for _, th := range throttled[1:] {
			if th != throttled[0] {
				t.Errorf("throttled answers differ: %q", throttled)
			}
		}
	})
}

// TestThrottledEventsLimited: hammering a throttled sign-in writes one audit
// event a minute per account and address, the next counting those left out.
func TestThrottledEventsLimited(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		svc := service.New(e.db, service.Config{Hasher: e.hasher, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Clock: e.clock.Now})
		t.Cleanup(svc.WaitAudits)
		e.admin("ops", "correct horse battery", meibo.NewAuthorities(meibo.AuthConsole))
		for range pairFree {
			svc.Login(bg, "ops", "guess", "203.0.113.1")
		}
		for range 50 {
			_, _, err := svc.Login(bg, "ops", "guess", "203.0.113.1")
			wantCode(t, err, meibo.CodeRateLimited)
		}
		// Another address is another pair.
		for range pairFree + 3 {
			svc.Login(bg, "ops", "guess", "203.0.113.2")
		}
		if n := len(e.eventsFor("admin.signin.throttled")); n != 2 {
			t.Fatalf("%d throttled events, want one per pair", n)
		}
		// A minute on the wait is over: one more guess is checked, and the
		// next one throttled again.
		e.clock.Add(time.Minute)
		_, _, err := svc.Login(bg, "ops", "guess", "203.0.113.1")
		wantCode(t, err, meibo.CodeUnauthorized)
		_, _, err = svc.Login(bg, "ops", "guess", "203.0.113.1")
		wantCode(t, err, meibo.CodeRateLimited)
		ev := e.eventsFor("admin.signin.throttled")
		if len(ev) != 3 || ev[0].Addr != "203.0.113.1" || ev[0].Details["suppressed"] != float64(49) {
			t.Errorf("throttled events %+v", ev[0])
		}
	})
}
