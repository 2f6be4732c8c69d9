package service_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/service"
	"github.com/meibo/meibo/store/storetest"
)

// within runs f and fails the test when it does not return within d (a
// verification waiting for a slot with no bound). f goes on in the
// background then.
func within(t *testing.T, d time.Duration, what string, f func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- f() }()
	select {
	case err := <-done:
		return err
	case <-time.After(d):
		t.Fatalf("%s: still waiting after %v", what, d)
		return nil
	}
}

// setAdminHash stores hash as the administrator's password hash, past the
// service (an import of hashes from another system).
func setAdminHash(e *ixEnv, loginID, hash string) {
	e.t.Helper()
	ctx := context.Background()
	e.must(e.db.Update(ctx, func(tx meibo.Tx) error {
		ad, err := tx.AdminByLoginID(ctx, loginID)
		if err != nil {
			return err
		}
		ad.PasswordHash = hash
		return tx.UpdateAdmin(ctx, ad)
	}))
}

// TestLegacyVerifyBusy: while every slot for hashes from other systems is
// taken, a sign-in at an account with such a hash is answered "wait and try
// again" after a short wait, not "wrong password", and counts against no
// throttle: once a slot is free, the right password signs in at once. The
// same for the console, the API and a check of one's own password.
func TestLegacyVerifyBusy(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		var logs mlLogs
		e := newIxEnv(t, engine, func(c *service.Config) { c.Logger = slog.New(slog.NewTextHandler(&logs, nil)) })
		e.group("G1")
		strong, _ := legacyHashes(t)
		e.user("G1", service.UserInput{Name: "old", PasswordHash: strong["bcrypt2b"]})
		e.admin(service.AdminInput{LoginID: "moved", Password: "Initial-password-73", Authorities: meibo.NewAuthorities(meibo.AuthConsole)})
		setAdminHash(e, "moved", strong["bcrypt2b"])
		service.SetLegacyWait(e.svc, 50*time.Millisecond)

		busy := func(what string, err error) {
			t.Helper()
			if meibo.ErrorCode(err) != meibo.CodeRateLimited || !strings.HasPrefix(meibo.AsError(err).Msg.Key, "login.throttled") {
				t.Fatalf("%s while busy: %v, want a rate-limited answer", what, err)
			}
		}
		release := service.HoldLegacySlots(e.svc)
		// More attempts than any throttle lets through without a wait.
		for i := range 12 {
			err := within(t, 5*time.Second, "portal sign-in", func() error {
				_, _, err := e.svc.PortalSignIn(context.Background(), "G1", "old", legacyPassword, "192.0.2.9", "test", meibo.English)
				return err
			})
			busy("portal sign-in", err)
			err = within(t, 5*time.Second, "console sign-in", func() error {
				_, _, err := e.svc.SignIn(context.Background(), "moved", legacyPassword, "192.0.2.9", "test", meibo.English)
				return err
			})
			busy("console sign-in", err)
			if i%2 == 0 {
				_, _, err = e.svc.Login(context.Background(), "moved", legacyPassword, "192.0.2.9")
				busy("API login", err)
			}
		}
		ad := e.admins()["moved"]
		own := meibo.WithActor(context.Background(), &meibo.Actor{Kind: meibo.ActorAdmin, ID: ad.ID, Name: ad.LoginID})
		for range 8 {
			busy("own password check", e.svc.ChangeOwnPassword(own, legacyPassword, "Brand-new-password-91"))
		}
		if u := e.users("G1")["old"]; u.PasswordHash != strong["bcrypt2b"] {
			t.Errorf("hash changed while busy: %q", u.PasswordHash)
		}
		// Some thirty refusals: one line in the log, not one each.
		if n := strings.Count(logs.String(), "password verifications refused"); n != 1 {
			t.Errorf("%d log lines of refusals:\n%s", n, logs.String())
		}
		release()

		if _, _, err := e.svc.PortalSignIn(context.Background(), "G1", "old", legacyPassword, "192.0.2.9", "test", meibo.English); err != nil {
			t.Errorf("portal sign-in after the busy answers: %v", err)
		}
		if _, _, err := e.svc.Login(context.Background(), "moved", legacyPassword, "192.0.2.9"); err != nil {
			t.Errorf("API login after the busy answers: %v", err)
		}
		if err := e.svc.ChangeOwnPassword(own, legacyPassword, "Brand-new-password-91"); err != nil {
			t.Errorf("own password change after the busy answers: %v", err)
		}
	})
}

// TestLegacyVerifyQueue: at most LegacyQueue sign-ins wait for a slot; one
// more is answered at once. A waiter whose client went away stops waiting
// at once and its password is never checked later.
func TestLegacyVerifyQueue(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newIxEnv(t, engine)
		e.group("G1")
		strong, _ := legacyHashes(t)
		n := service.LegacyQueue(e.svc)
		names := make([]string, n+2)
		for i := range names {
			names[i] = "old" + string(rune('a'+i))
			e.user("G1", service.UserInput{Name: names[i], PasswordHash: strong["bcrypt2b"]})
		}
		service.SetLegacyWait(e.svc, time.Minute)
		release := service.HoldLegacySlots(e.svc)
		defer func() { release() }()

		// A waiter whose request ends.
		ctx, cancel := context.WithCancel(context.Background())
		gone := make(chan error, 1)
		go func() {
			_, _, err := e.svc.PortalSignIn(ctx, "G1", names[n+1], legacyPassword, "192.0.2.1", "test", meibo.English)
			gone <- err
		}()
		waitFor(t, func() bool { return service.LegacyWaiting(e.svc) == 1 })
		cancel()
		select {
		case err := <-gone:
			if meibo.ErrorCode(err) == meibo.CodeUnauthorized {
				t.Errorf("a request that went away: %v, as a wrong password", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("a waiter whose request ended is still waiting")
		}

		// n waiters fill the queue.
		results := make(chan error, n)
		for i := range n {
			go func() {
				_, _, err := e.svc.PortalSignIn(context.Background(), "G1", names[i], legacyPassword, "192.0.2.2", "test", meibo.English)
				results <- err
			}()
		}
		waitFor(t, func() bool { return service.LegacyWaiting(e.svc) == n })
		start := time.Now()
		_, _, err := e.svc.PortalSignIn(context.Background(), "G1", names[n], legacyPassword, "192.0.2.3", "test", meibo.English)
		if meibo.ErrorCode(err) != meibo.CodeRateLimited {
			t.Errorf("a sign-in beyond the queue: %v, want a rate-limited answer", err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("a sign-in beyond the queue waited %v", d)
		}
		release()
		release = func() {}
		for range n {
			if err := <-results; err != nil {
				t.Errorf("a waiter: %v", err)
			}
		}
		// The one that went away was never checked: its hash is the old one.
		if h := e.users("G1")[names[n+1]].PasswordHash; h != strong["bcrypt2b"] {
			t.Errorf("the sign-in that went away was checked later: hash %q", h)
		}
	})
}

// waitFor polls cond for up to ten seconds.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
