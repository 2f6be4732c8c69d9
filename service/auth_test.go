package service_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/service"
	"github.com/meibo/meibo/store/storetest"
)

// The sign-in throttle's free failures (service/throttle.go): per pair
// (account, address), per account across addresses, per address across
// accounts; and the longest wait the account's own counter imposes.
const (
	pairFree       = 5
	accountFree    = 10
	addressFree    = 20
	accountMaxWait = 4 * time.Second
)

func TestLogin(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		pw := "correct horse battery"
		ops := e.admin("ops", pw, meibo.NewAuthorities(meibo.AuthConsole, meibo.AuthLogViewer))
		tok, ad, err := e.svc.Login(bg, "ops", pw, "203.0.113.7")
		if err != nil || tok == "" || ad.ID != ops.ID {
			t.Fatalf("Login = %q, %v, %v", tok, ad, err)
		}
		act, err := e.svc.Authenticate(bg, tok, "203.0.113.7")
		if err != nil {
			t.Fatal(err)
		}
		if act.Kind != meibo.ActorAdmin || act.ID != ops.ID || act.Name != "ops" || act.Authorities != ops.Authorities || act.Addr != "203.0.113.7" {
			t.Errorf("actor %+v", act)
		}
		got := must(e.svc.Admin(as(act), ops.ID))(t)
		if got.LastSignInAt == nil || !got.LastSignInAt.Equal(e.clock.Now()) {
			t.Errorf("last sign-in %v", got.LastSignInAt)
		}
		ev := e.eventsFor("admin.signin")
		if len(ev) != 1 || ev[0].ActorName != "ops" || ev[0].Addr != "203.0.113.7" || ev[0].Category != meibo.CategorySignIn {
			t.Errorf("sign-in events %+v", ev)
		}

		// Wrong password and unknown account: the same answer.
		_, _, errWrong := e.svc.Login(bg, "ops", "wrong horse battery", "203.0.113.8")
		_, _, errUnknown := e.svc.Login(bg, "nobody", pw, "203.0.113.9")
		a, b := wantCode(t, errWrong, meibo.CodeUnauthorized), wantCode(t, errUnknown, meibo.CodeUnauthorized)
		if a.Error() != b.Error() || a.Msg.In(meibo.Japanese) != b.Msg.In(meibo.Japanese) || len(a.Fields)+len(b.Fields) != 0 {
			t.Errorf("wrong password %q and unknown account %q answer differently", a, b)
		}
		if n := len(e.eventsFor("admin.signin.failed")); n != 2 {
			t.Errorf("%d failed sign-in events", n)
		}
		if _, err := e.svc.Authenticate(bg, "mbo_forged", ""); meibo.ErrorCode(err) != meibo.CodeUnauthorized {
			t.Errorf("forged token: %v", err)
		}
		if _, err := e.svc.Authenticate(bg, "", ""); meibo.ErrorCode(err) != meibo.CodeUnauthorized {
			t.Errorf("no token: %v", err)
		}

		// Logout ends the token.
		noErr(t, e.svc.Logout(as(act), tok))
		if _, err := e.svc.Authenticate(bg, tok, ""); meibo.ErrorCode(err) != meibo.CodeUnauthorized {
			t.Errorf("token after logout: %v", err)
		}
	})
}

func TestLoginRefused(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		if _, _, err := e.svc.Bootstrap(bg, "root pass phrase"); err != nil {
			t.Fatal(err)
		}
		pw := "correct horse battery"
		off := e.admin("off", pw, meibo.NewAuthorities(meibo.AuthConsole))
		tok, _ := must2(e.svc.Login(bg, "off", pw, "203.0.113.1"))(t)
		must(e.svc.UpdateAdmin(e.sys, off.ID, meibo.AdminUpdate{Disabled: ptr(true)}))(t)
		_, _, err := e.svc.Login(bg, "off", pw, "203.0.113.1")
		if wantCode(t, err, meibo.CodeUnauthorized).Msg.Key != "login.failed" {
			t.Errorf("disabled admin: %v", err)
		}
		if _, err := e.svc.Authenticate(bg, tok, ""); meibo.ErrorCode(err) != meibo.CodeUnauthorized {
			t.Errorf("token of a disabled admin: %v", err)
		}
		// No password: no sign-in, whatever is typed.
		e.admin("nopw", "", meibo.NewAuthorities(meibo.AuthConsole))
		for _, typed := range []string{"", "anything at all"} {
			if _, _, err := e.svc.Login(bg, "nopw", typed, "203.0.113.2"); meibo.ErrorCode(err) != meibo.CodeUnauthorized {
				t.Errorf("admin without a password, typed %q: %v", typed, err)
			}
		}
		for _, typed := range []string{"", "root pass phrase"} {
			if _, _, err := e.svc.Login(bg, meibo.BuiltinBackup, typed, "203.0.113.3"); meibo.ErrorCode(err) != meibo.CodeUnauthorized {
				t.Errorf("AUTOBACKUPUSER signed in with %q: %v", typed, err)
			}
		}
		// Login IDs are exact.
		if _, _, err := e.svc.Login(bg, "ADMIN", "root pass phrase", "203.0.113.4"); meibo.ErrorCode(err) != meibo.CodeUnauthorized {
			t.Errorf("login ID in another case: %v", err)
		}
	})
}

func must2[A, B any](a A, b B, err error) func(*testing.T) (A, B) {
	return func(t *testing.T) (A, B) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return a, b
	}
}

func ptr[T any](v T) *T { return &v }

func TestTokenExpiry(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		pw := "correct horse battery"
		e.admin("ops", pw, meibo.NewAuthorities(meibo.AuthConsole))
		tok, _ := must2(e.svc.Login(bg, "ops", pw, ""))(t)
		e.clock.Add(12*time.Hour - time.Second)
		if _, err := e.svc.Authenticate(bg, tok, ""); err != nil {
			t.Fatalf("token a second before it expires: %v", err)
		}
		e.clock.Add(time.Second)
		if _, err := e.svc.Authenticate(bg, tok, ""); meibo.ErrorCode(err) != meibo.CodeUnauthorized {
			t.Fatalf("expired token: %v", err)
		}
		// CreateToken: a longer life, for scripts.
		sec, k, err := e.svc.CreateToken(e.sys, "ops", "deploy", 30*24*time.Hour)
		if err != nil || k.Name != "deploy" || !k.ExpiresAt.Equal(e.clock.Now().Add(30*24*time.Hour)) {
			t.Fatalf("CreateToken = %+v, %v", k, err)
		}
		e.clock.Add(29 * 24 * time.Hour)
		if _, err := e.svc.Authenticate(bg, sec, ""); err != nil {
			t.Errorf("script token: %v", err)
		}
		e.clock.Add(24 * time.Hour)
		if _, err := e.svc.Authenticate(bg, sec, ""); meibo.ErrorCode(err) != meibo.CodeUnauthorized {
			t.Errorf("expired script token: %v", err)
		}
	})
}

// TestLoginThrottle: after the free failures of a pair (account, address)
// the next attempt from that address is refused as rate-limited, even with
// the right password, without checking it; the owner from another address is
// not; after the wait it goes on; a success clears the pair.
func TestLoginThrottle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		pw := "correct horse battery"
		e.admin("ops", pw, meibo.NewAuthorities(meibo.AuthConsole))
		verifies := e.hasher.verifies.Load()
		for i := range pairFree {
			_, _, err := e.svc.Login(bg, "ops", "wrong password "+fmt.Sprint(i), "203.0.113.1")
			wantCode(t, err, meibo.CodeUnauthorized)
		}
		_, _, err := e.svc.Login(bg, "ops", pw, "203.0.113.1")
		if k := wantCode(t, err, meibo.CodeRateLimited).Msg.Key; k != "login.throttled" && k != "login.throttled.one" {
			t.Errorf("message %v", err)
		}
		if n := e.hasher.verifies.Load() - verifies; n != pairFree {
			t.Errorf("%d passwords checked, want %d", n, pairFree)
		}
		if n := len(e.eventsFor("admin.signin.throttled")); n != 1 {
			t.Errorf("%d throttled events", n)
		}
		if _, _, err := e.svc.Login(bg, "ops", pw, "203.0.113.2"); err != nil {
			t.Fatalf("the owner from another address: %v", err)
		}
		e.clock.Add(time.Second)
		if _, _, err := e.svc.Login(bg, "ops", pw, "203.0.113.1"); err != nil {
			t.Fatalf("after the wait: %v", err)
		}
		// The success cleared the pair: five more free attempts.
		for range pairFree {
			_, _, err := e.svc.Login(bg, "ops", "wrong again", "203.0.113.1")
			wantCode(t, err, meibo.CodeUnauthorized)
		}
		_, _, err = e.svc.Login(bg, "ops", pw, "203.0.113.1")
		wantCode(t, err, meibo.CodeRateLimited)
		// An unknown account is throttled the same way.
		for range pairFree {
			_, _, err := e.svc.Login(bg, "ghost", "x", "203.0.113.70")
			wantCode(t, err, meibo.CodeUnauthorized)
		}
		_, _, err = e.svc.Login(bg, "ghost", "x", "203.0.113.70")
		wantCode(t, err, meibo.CodeRateLimited)
	})
}

// TestLoginAddressNotThrottledBySuccess: many people sign in from one
// address (an office behind NAT); only failures count against it.
func TestLoginAddressNotThrottledBySuccess(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		pw := "correct horse battery"
		var ids []string
		for i := range 5 {
			ids = append(ids, e.admin(fmt.Sprint("staff", i), pw, meibo.NewAuthorities(meibo.AuthConsole)).LoginID)
		}
		for i := range addressFree + 2 {
			if _, _, err := e.svc.Login(bg, ids[i%5], pw, "192.0.2.50"); err != nil {
				t.Fatalf("sign-in %d from one address: %v", i+1, err)
			}
		}
		// Failures from one address still count, across accounts.
		var err error
		for i := range addressFree + 5 {
			_, _, err = e.svc.Login(bg, fmt.Sprint("nobody", i), "x", "192.0.2.60")
			if meibo.ErrorCode(err) == meibo.CodeRateLimited {
				break
			}
		}
		wantCode(t, err, meibo.CodeRateLimited)
	})
}

func TestChangeOwnPassword(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		pw := "correct horse battery"
		nv := e.admin("viewer", pw, meibo.NewAuthorities(meibo.AuthNoViewing))
		act := e.actor(nv, pw)
		err := e.svc.ChangeOwnPassword(as(act), "not my password", "a brand new phrase")
		if f := wantCode(t, err, meibo.CodeInvalid).Fields; f["currentPassword"].Key != "password.current" {
			t.Errorf("wrong current password: %v", f)
		}
		err = e.svc.ChangeOwnPassword(as(act), pw, "viewer123456")
		if f := wantCode(t, err, meibo.CodeInvalid).Fields; f["password"].Key != "password.own_id" {
			t.Errorf("password with the ID: %v", f)
		}
		e.clock.Add(time.Hour)
		if err := e.svc.ChangeOwnPassword(as(act), pw, "a brand new phrase"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := e.svc.Login(bg, "viewer", pw, "192.0.2.1"); meibo.ErrorCode(err) != meibo.CodeUnauthorized {
			t.Errorf("old password still works: %v", err)
		}
		if _, _, err := e.svc.Login(bg, "viewer", "a brand new phrase", "192.0.2.1"); err != nil {
			t.Errorf("new password: %v", err)
		}
		got := must(e.svc.Admin(as(act), nv.ID))(t)
		if got.PasswordChangedAt == nil || !got.PasswordChangedAt.Equal(e.clock.Now()) {
			t.Errorf("password changed at %v", got.PasswordChangedAt)
		}
		ev := e.eventsFor("admin.password")
		if len(ev) != 1 || ev[0].ActorName != "viewer" {
			t.Errorf("password events %+v", ev)
		}
		portal := &meibo.Actor{Kind: meibo.ActorUser, ID: nv.ID, Name: "viewer"}
		wantCode(t, e.svc.ChangeOwnPassword(as(portal), "a brand new phrase", "another new phrase"), meibo.CodeForbidden)
		wantCode(t, e.svc.ChangeOwnPassword(bg, "a brand new phrase", "another new phrase"), meibo.CodeUnauthorized)
	})
}

// TestPasswordsNeverAudited signs in, creates, changes and deletes with
// passwords and checks that no audit event holds a password or its hash.
func TestPasswordsNeverAudited(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		secrets := []string{"root secret phrase", "admin secret phrase", "changed secret phrase", "user secret phrase", "user changed phrase", "own new phrase"}
		if _, _, err := e.svc.Bootstrap(bg, secrets[0]); err != nil {
			t.Fatal(err)
		}
		root := e.actor(must(e.svc.AdminByLoginID(e.sys, "admin"))(t), secrets[0])
		ctx := as(root)
		ops := must(e.svc.CreateAdmin(ctx, service.AdminInput{LoginID: "ops", Password: secrets[1], Authorities: meibo.NewAuthorities(meibo.AuthConsole)}))(t)
		must(e.svc.UpdateAdmin(ctx, ops.ID, meibo.AdminUpdate{Password: &secrets[2]}))(t)
		opsActor := e.actor(ops, secrets[2])
		if err := e.svc.ChangeOwnPassword(as(opsActor), secrets[2], secrets[5]); err != nil {
			t.Fatal(err)
		}
		e.svc.Login(bg, "ops", secrets[1], "192.0.2.9") //nolint:errcheck // a failure, audited
		e.group("G1")
		u := must(e.svc.CreateUser(ctx, "G1", service.UserInput{Name: "taro", Password: secrets[3]}))(t)
		must(e.svc.UpdateUser(ctx, u.ID, meibo.UserUpdate{Password: &secrets[4]}))(t)
		dup := must(e.svc.DuplicateUser(ctx, u.ID, service.UserInput{Name: "jiro", Password: secrets[3]}))(t)
		noErr(t, e.svc.DeleteUser(ctx, dup.ID))
		noErr(t, e.svc.DeleteAdmin(ctx, ops.ID))
		evs := e.events()
		if len(evs) < 12 {
			t.Fatalf("only %d events", len(evs))
		}
		for _, ev := range evs {
			b, err := json.Marshal(ev)
			if err != nil {
				t.Fatal(err)
			}
			s := string(b)
			for _, secret := range secrets {
				if strings.Contains(s, secret) {
					t.Errorf("event %s holds a password: %s", ev.Action, s)
				}
			}
			if strings.Contains(s, "$argon2id") || strings.Contains(s, "passwordHash") {
				t.Errorf("event %s holds a hash: %s", ev.Action, s)
			}
		}
	})
}
