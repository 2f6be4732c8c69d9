package service_test

import (
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/service"
	"github.com/meibo/meibo/store/storetest"
)

// code is the authenticator code of secret at t.
func code(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCodeCustom(secret, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// signIn signs in to the console with a password and returns the cookie
// secret and the session.
func (e *env) signIn(loginID, pw string) (string, *meibo.Session) {
	e.t.Helper()
	secret, sess, err := e.svc.SignIn(bg, loginID, pw, "192.0.2.10", "test", meibo.English)
	if err != nil {
		e.t.Fatalf("sign in as %s: %v", loginID, err)
	}
	return secret, sess
}

// setUpTOTP sets up an authenticator for the administrator of a console
// session and returns its secret and the recovery codes.
func (e *env) setUpTOTP(secret string) (string, []string) {
	e.t.Helper()
	act, _, err := e.svc.FactorActor(bg, secret, "192.0.2.10")
	if err != nil {
		e.t.Fatal(err)
	}
	setup := must(e.svc.BeginTOTP(as(act)))(e.t)
	codes := must(e.svc.ConfirmTOTP(as(act), code(e.t, setup.Secret, e.clock.Now())))(e.t)
	return setup.Secret, codes
}

func TestTOTPSecondFactor(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		pw := "correct horse battery"
		ops := e.admin("ops", pw, meibo.NewAuthorities(meibo.AuthConsole))
		cookie, sess := e.signIn("ops", pw)
		if sess.Stage != meibo.StageComplete || sess.Methods != meibo.MethodPassword {
			t.Fatalf("without factors: stage %q methods %q", sess.Stage, sess.Methods)
		}
		a, _, err := e.svc.ConsoleActor(bg, cookie, "")
		noErr(t, err)

		setup := must(e.svc.BeginTOTP(as(a)))(t)
		if len(setup.Secret) < 16 || !strings.HasPrefix(setup.URL, "otpauth://totp/") || len(setup.QR) < 100 {
			t.Fatalf("setup %q %q %d bytes of QR", setup.Secret, setup.URL, len(setup.QR))
		}
		// Not confirmed yet: signing in needs no code.
		if _, s := e.signIn("ops", pw); s.Stage != meibo.StageComplete {
			t.Fatalf("unconfirmed authenticator asked for: %q", s.Stage)
		}
		_, err = e.svc.ConfirmTOTP(as(a), "000000")
		if c := wantCode(t, err, meibo.CodeInvalid); c.Fields["code"].Key != "mfa.code.invalid" {
			t.Errorf("wrong first code: %v", c)
		}
		first := code(t, setup.Secret, e.clock.Now())
		codes := must(e.svc.ConfirmTOTP(as(a), first))(t)
		if len(codes) != 10 {
			t.Fatalf("%d recovery codes", len(codes))
		}
		f, _ := must2(e.svc.AdminFactors(as(a), ops.ID))(t)
		if !f.TOTP || f.RecoveryLeft != 10 {
			t.Errorf("factors %+v", f)
		}

		// The password alone now leads to the second step only.
		cookie, sess = e.signIn("ops", pw)
		if sess.Stage != meibo.StageSecond {
			t.Fatalf("stage %q", sess.Stage)
		}
		if _, s, err := e.svc.ConsoleActor(bg, cookie, ""); meibo.ErrorCode(err) != meibo.CodeUnauthorized || s == nil || s.Stage != meibo.StageSecond {
			t.Fatalf("half signed in reached the console: %v", err)
		}
		// The code that confirmed the app was used: not again.
		wantCode(t, e.svc.SecondFactor(bg, cookie, first, ""), meibo.CodeUnauthorized)
		e.clock.Add(30 * time.Second)
		now := code(t, setup.Secret, e.clock.Now())
		noErr(t, e.svc.SecondFactor(bg, cookie, now, ""))
		_, s, err := e.svc.ConsoleActor(bg, cookie, "")
		noErr(t, err)
		if s.Methods != "password+totp" {
			t.Errorf("methods %q", s.Methods)
		}
		// The same code once more, on another sign-in: refused.
		cookie2, _ := e.signIn("ops", pw)
		wantCode(t, e.svc.SecondFactor(bg, cookie2, now, ""), meibo.CodeUnauthorized)

		// A recovery code works once, in any case and spacing.
		noErr(t, e.svc.SecondFactor(bg, cookie2, strings.ToUpper(strings.ReplaceAll(codes[3], "-", " ")), ""))
		cookie3, _ := e.signIn("ops", pw)
		wantCode(t, e.svc.SecondFactor(bg, cookie3, codes[3], ""), meibo.CodeUnauthorized)
		f, _ = must2(e.svc.AdminFactors(as(a), ops.ID))(t)
		if f.RecoveryLeft != 9 {
			t.Errorf("%d recovery codes left", f.RecoveryLeft)
		}
		if n := len(e.eventsFor("admin.mfa.recovery.used")); n != 1 {
			t.Errorf("%d recovery events", n)
		}
		if n := len(e.eventsFor("admin.signin.second.failed")); n != 3 {
			t.Errorf("%d failed second steps audited", n)
		}
	})
}

func TestTOTPCodesThrottled(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		pw := "correct horse battery"
		e.admin("ops", pw, meibo.NewAuthorities(meibo.AuthConsole))
		cookie, _ := e.signIn("ops", pw)
		secret, _ := e.setUpTOTP(cookie)
		cookie, _ = e.signIn("ops", pw)
		var last error
		for i := range 6 {
			last = e.svc.SecondFactor(bg, cookie, "999999", "")
			if i < 5 {
				wantCode(t, last, meibo.CodeUnauthorized)
			}
		}
		wantCode(t, last, meibo.CodeRateLimited)
		// Even the right code waits now; after the wait it is accepted.
		next := code(t, secret, e.clock.Now().Add(30*time.Second))
		wantCode(t, e.svc.SecondFactor(bg, cookie, next, ""), meibo.CodeRateLimited)
		e.clock.Add(30 * time.Second)
		noErr(t, e.svc.SecondFactor(bg, cookie, next, ""))
	})
}

func TestMFAPolicySetUpFirst(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		pw := "correct horse battery"
		e.admin("boss", pw, meibo.NewAuthorities(meibo.AuthConsole))
		e.admin("reader", pw, meibo.NewAuthorities(meibo.AuthLogViewer))
		pol := must(meibo.ParseMFAPolicy("6, 7"))(t)
		noErr(t, e.svc.SetMFAPolicy(e.sys, pol))
		if got := must(e.svc.MFAPolicy(e.sys))(t); got.String() != "6,7" {
			t.Fatalf("policy %q", got)
		}
		// Saved again as it is: no second event.
		noErr(t, e.svc.SetMFAPolicy(e.sys, must(meibo.ParseMFAPolicy("7,6"))(t)))
		if evs := e.eventsFor("settings.update"); len(evs) != 1 {
			t.Errorf("the policy saved twice the same: %d events", len(evs))
		}

		// An authority the policy names: set-up first.
		cookie, sess := e.signIn("boss", pw)
		if sess.Stage != meibo.StageSetup {
			t.Fatalf("stage %q", sess.Stage)
		}
		if _, _, err := e.svc.ConsoleActor(bg, cookie, ""); meibo.ErrorCode(err) != meibo.CodeUnauthorized {
			t.Fatalf("must set up first, got into the console: %v", err)
		}
		// The set-up actor can do nothing else.
		act, _, err := e.svc.FactorActor(bg, cookie, "")
		noErr(t, err)
		if act.Authorities != 0 {
			t.Fatalf("set-up actor holds %v", act.Authorities)
		}
		_, err = e.svc.Admins(as(act))
		wantCode(t, err, meibo.CodeForbidden)
		// The API is refused too, and says what to do.
		_, _, err = e.svc.Login(bg, "boss", pw, "192.0.2.20")
		if c := wantCode(t, err, meibo.CodeForbidden); c.Msg.Key != "mfa.setup.required" {
			t.Errorf("API sign-in before the set-up: %v", c)
		}

		e.setUpTOTP(cookie)
		if _, s, err := e.svc.ConsoleActor(bg, cookie, ""); err != nil || s.Methods != "password+totp" {
			t.Fatalf("after set-up: %v", err)
		}

		// Not named: the password is enough.
		before, s := e.signIn("reader", pw)
		if s.Stage != meibo.StageComplete {
			t.Errorf("reader's stage %q", s.Stage)
		}
		tok, _ := must2(e.svc.Login(bg, "reader", pw, "192.0.2.21"))(t)
		// Every administrator. A manager without a factor may not set it;
		// the command line may.
		chief := e.admin("chief", pw, meibo.NewAuthorities(meibo.AuthConsole))
		chiefAct := &meibo.Actor{Kind: meibo.ActorAdmin, ID: chief.ID, Name: chief.LoginID, Authorities: chief.Authorities}
		if err := e.svc.SetMFAPolicy(as(chiefAct), meibo.MFAPolicy{All: true}); meibo.ErrorCode(err) != meibo.CodeConflict {
			t.Errorf("a policy that stops its author, who has no factor: %v", err)
		}
		noErr(t, e.svc.SetMFAPolicy(e.sys, meibo.MFAPolicy{All: true}))
		if _, s := e.signIn("reader", pw); s.Stage != meibo.StageSetup {
			t.Errorf("reader's stage under all: %q", s.Stage)
		}
		// What reader signed in with before the policy covered them stops:
		// the console session goes to the set-up, the token is refused.
		if _, s, err := e.svc.ConsoleActor(bg, before, ""); meibo.ErrorCode(err) != meibo.CodeUnauthorized || s == nil || s.Stage != meibo.StageSetup {
			t.Errorf("reader's session from before the policy: %v, %+v", err, s)
		}
		if act, _, err := e.svc.FactorActor(bg, before, ""); err != nil || act.Authorities != 0 {
			t.Errorf("reader's session from before, at the set-up: %+v, %v", act, err)
		}
		if _, err := e.svc.Authenticate(bg, tok, ""); meibo.ErrorCode(err) != meibo.CodeForbidden {
			t.Errorf("reader's token from before the policy: %v", err)
		}
		if _, _, err := e.svc.CreateToken(e.sys, "reader", "script", time.Hour); meibo.ErrorCode(err) != meibo.CodeConflict {
			t.Errorf("a token made for reader: %v", err)
		}
		// An account without a password (a script's) is not covered.
		e.admin("script", "", meibo.NewAuthorities(meibo.AuthConsole))
		stok, _ := must2(e.svc.CreateToken(e.sys, "script", "job", time.Hour))(t)
		if _, err := e.svc.Authenticate(bg, stok, ""); err != nil {
			t.Errorf("a script's token under the policy: %v", err)
		}
		if _, err := meibo.ParseMFAPolicy("6,99"); meibo.ErrorCode(err) != meibo.CodeInvalid {
			t.Errorf("unknown authority in a policy: %v", err)
		}
	})
}

func TestLoginSecondFactor(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		pw := "correct horse battery"
		e.admin("ops", pw, meibo.NewAuthorities(meibo.AuthConsole))
		cookie, _ := e.signIn("ops", pw)
		secret, codes := e.setUpTOTP(cookie)

		_, _, err := e.svc.Login(bg, "ops", pw, "192.0.2.30")
		if c := wantCode(t, err, meibo.CodeUnauthorized); c.Msg.Key != "mfa.code.required" {
			t.Errorf("no code: %v", c)
		}
		_, _, err = e.svc.LoginFactor(bg, "ops", pw, "123456", "192.0.2.30")
		wantCode(t, err, meibo.CodeUnauthorized)
		// A right code with a wrong password is the password's refusal.
		e.clock.Add(30 * time.Second)
		_, _, err = e.svc.LoginFactor(bg, "ops", "wrong horse battery", code(t, secret, e.clock.Now()), "192.0.2.30")
		if c := wantCode(t, err, meibo.CodeUnauthorized); c.Msg.Key != "login.failed" {
			t.Errorf("wrong password: %v", c)
		}
		tok, _, err := e.svc.LoginFactor(bg, "ops", pw, code(t, secret, e.clock.Now()), "192.0.2.30")
		noErr(t, err)
		must(e.svc.Authenticate(bg, tok, ""))(t)
		tok, _, err = e.svc.LoginFactor(bg, "ops", pw, codes[0], "192.0.2.30")
		noErr(t, err)
		must(e.svc.Authenticate(bg, tok, ""))(t)

		// A token from a complete console session.
		cookie, _ = e.signIn("ops", pw)
		e.clock.Add(30 * time.Second)
		noErr(t, e.svc.SecondFactor(bg, cookie, code(t, secret, e.clock.Now()), ""))
		a, _, err := e.svc.ConsoleActor(bg, cookie, "")
		noErr(t, err)
		tok, k, err := e.svc.SessionToken(as(a), "script")
		noErr(t, err)
		if k.Name != "script" {
			t.Errorf("token %+v", k)
		}
		must(e.svc.Authenticate(bg, tok, ""))(t)
		// Not from a token's actor.
		ta := must(e.svc.Authenticate(bg, tok, ""))(t)
		_, _, err = e.svc.SessionToken(as(ta), "again")
		wantCode(t, err, meibo.CodeForbidden)
	})
}

func TestResetFactors(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		pw := "correct horse battery"
		boss := e.admin("boss", pw, meibo.NewAuthorities(meibo.AuthConsole))
		ops := e.admin("ops", pw, meibo.NewAuthorities(meibo.AuthConsole))
		clerk := e.admin("clerk", pw, meibo.NewAuthorities(meibo.AuthConsole, meibo.AuthDepartment))
		cookie, _ := e.signIn("ops", pw)
		e.setUpTOTP(cookie)
		tok := func() string {
			e.t.Helper()
			a, _, err := e.svc.ConsoleActor(bg, cookie, "")
			noErr(t, err)
			k, _, err := e.svc.SessionToken(as(a), "")
			noErr(t, err)
			return k
		}()

		wantCode(t, e.svc.ResetFactors(as(e.actor(clerk, pw)), ops.ID), meibo.CodeForbidden)
		bossAct := e.actor(boss, pw)
		f, sessions := must2(e.svc.AdminFactors(as(bossAct), ops.ID))(t)
		if !f.TOTP || len(sessions) != 1 || sessions[0].Methods != "password" {
			t.Fatalf("factors %+v sessions %d", f, len(sessions))
		}
		noErr(t, e.svc.ResetFactors(as(bossAct), ops.ID))
		if _, _, err := e.svc.ConsoleActor(bg, cookie, ""); meibo.ErrorCode(err) != meibo.CodeUnauthorized {
			t.Errorf("session outlived the reset: %v", err)
		}
		if _, err := e.svc.Authenticate(bg, tok, ""); meibo.ErrorCode(err) != meibo.CodeUnauthorized {
			t.Errorf("token outlived the reset: %v", err)
		}
		f, _ = must2(e.svc.AdminFactors(as(bossAct), ops.ID))(t)
		if f.Any() || f.RecoveryLeft != 0 {
			t.Errorf("after reset %+v", f)
		}
		if _, s := e.signIn("ops", pw); s.Stage != meibo.StageComplete {
			t.Errorf("after reset the stage is %q", s.Stage)
		}
		ev := e.eventsFor("admin.mfa.reset")
		if len(ev) != 1 || ev[0].ActorName != "boss" || ev[0].ObjectID != "ops" {
			t.Errorf("reset events %+v", ev)
		}
		// The command line acts as the system.
		noErr(t, e.svc.ResetFactors(e.sys, ops.ID))
	})
}

func TestRemoveTOTPEndsSessions(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		pw := "correct horse battery"
		e.admin("ops", pw, meibo.NewAuthorities(meibo.AuthConsole))
		cookie, _ := e.signIn("ops", pw)
		secret, _ := e.setUpTOTP(cookie)
		other, _ := e.signIn("ops", pw)
		e.clock.Add(30 * time.Second)
		noErr(t, e.svc.SecondFactor(bg, other, code(t, secret, e.clock.Now()), ""))
		a, _, err := e.svc.ConsoleActor(bg, cookie, "")
		noErr(t, err)
		wantCode(t, e.svc.RemoveTOTP(as(a), "wrong horse battery"), meibo.CodeInvalid)

		// Required by the policy: the last factor stays.
		noErr(t, e.svc.SetMFAPolicy(e.sys, meibo.MFAPolicy{All: true}))
		wantCode(t, e.svc.RemoveTOTP(as(a), pw), meibo.CodeConflict)
		noErr(t, e.svc.SetMFAPolicy(e.sys, meibo.MFAPolicy{}))

		noErr(t, e.svc.RemoveTOTP(as(a), pw))
		if _, _, err := e.svc.ConsoleActor(bg, other, ""); meibo.ErrorCode(err) != meibo.CodeUnauthorized {
			t.Errorf("another session outlived the removal: %v", err)
		}
		if _, _, err := e.svc.ConsoleActor(bg, cookie, ""); err != nil {
			t.Errorf("the session that removed it ended: %v", err)
		}
	})
}

// eachEngine runs fn with a fresh service on every engine.
func eachEngine(t *testing.T, fn func(t *testing.T, e *env)) {
	storetest.Each(t, func(t *testing.T, engine string) { fn(t, newEnv(t, engine)) })
}

func TestSSOMatchAndPasswordOff(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		pw := "correct horse battery"
		svc := service.New(e.db, service.Config{Hasher: e.hasher, Factors: service.FactorConfig{PasswordOffWithSSO: true}})
		t.Cleanup(svc.WaitAudits)
		must(svc.CreateAdmin(e.sys, service.AdminInput{LoginID: "ops", Email: "Ops@Example.com", Password: pw,
			Authorities: meibo.NewAuthorities(meibo.AuthConsole)}))(t)
		e.admin("twin1", pw, meibo.NewAuthorities(meibo.AuthLogViewer))
		// Before any single sign-on the password works.
		if _, _, err := svc.SignIn(bg, "ops", pw, "192.0.2.1", "", meibo.English); err != nil {
			t.Fatal(err)
		}
		id := service.SSOIdentity{Provider: "corp", Subject: "s-1", Claim: "email", Value: "ops@example.com"}
		_, sess, err := svc.SignInSSO(bg, id, "192.0.2.1", "", meibo.English)
		noErr(t, err)
		if sess.Methods != "sso:corp" || sess.Stage != meibo.StageComplete {
			t.Errorf("session %q %q", sess.Methods, sess.Stage)
		}
		// The link holds even when the claim changes at the provider.
		id.Value = "renamed@example.com"
		_, _, err = svc.SignInSSO(bg, id, "192.0.2.1", "", meibo.English)
		noErr(t, err)
		// Nobody else is matched, nobody is created.
		_, _, err = svc.SignInSSO(bg, service.SSOIdentity{Provider: "corp", Subject: "s-2", Claim: "email", Value: "new@example.com"}, "", "", meibo.English)
		wantCode(t, err, meibo.CodeUnauthorized)
		if n := len(must(svc.Admins(e.sys))(t)); n != 2 {
			t.Errorf("%d administrators", n)
		}
		// Linked: the password is refused, in the console and the API.
		_, _, err = svc.SignIn(bg, "ops", pw, "192.0.2.1", "", meibo.English)
		wantCode(t, err, meibo.CodeUnauthorized)
		_, _, err = svc.Login(bg, "ops", pw, "192.0.2.1")
		wantCode(t, err, meibo.CodeUnauthorized)
		// Unlinking (here by the system, as a manager would) ends the
		// sessions and gives the password back.
		ops := must(svc.AdminByLoginID(e.sys, "ops"))(t)
		ssoCookie, _, err := svc.SignInSSO(bg, id, "192.0.2.1", "", meibo.English)
		noErr(t, err)
		wantCode(t, svc.RemoveSSOLinks(e.sys, ops.ID, "other", ""), meibo.CodeNotFound)
		noErr(t, svc.RemoveSSOLinks(e.sys, ops.ID, "corp", ""))
		if _, _, err := svc.ConsoleActor(bg, ssoCookie, ""); meibo.ErrorCode(err) != meibo.CodeUnauthorized {
			t.Errorf("a session outlived the unlinking: %v", err)
		}
		if _, _, err := svc.SignIn(bg, "ops", pw, "192.0.2.1", "", meibo.English); err != nil {
			t.Errorf("after unlinking: %v", err)
		}
		// A reset forgets links too.
		id.Value = "ops@example.com"
		_, _, err = svc.SignInSSO(bg, id, "192.0.2.1", "", meibo.English)
		noErr(t, err)
		wantCode(t, func() error { _, _, err := svc.SignIn(bg, "ops", pw, "192.0.2.1", "", meibo.English); return err }(), meibo.CodeUnauthorized)
		noErr(t, svc.ResetFactors(e.sys, ops.ID))
		if _, _, err := svc.SignIn(bg, "ops", pw, "192.0.2.1", "", meibo.English); err != nil {
			t.Errorf("after the reset: %v", err)
		}
	})
}

// TestFactorLockoutListedAndLifted: wrong second-factor codes hold an
// administrator back; the emergency procedure sees that counter and lifts
// it.
func TestFactorLockoutListedAndLifted(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		pw := "correct horse battery"
		e.admin("ops", pw, meibo.NewAuthorities(meibo.AuthConsole))
		cookie, _ := e.signIn("ops", pw)
		secret, _ := e.setUpTOTP(cookie)
		holder := as(e.actor(e.admin("warden", pw, emergencyAuth), pw))
		var err error
		for range 12 {
			if _, _, err = e.svc.LoginFactor(bg, "ops", pw, "000000", "192.0.2.40"); meibo.ErrorCode(err) == meibo.CodeRateLimited {
				break
			}
		}
		wantCode(t, err, meibo.CodeRateLimited)
		list := must(e.svc.Throttles(holder))(t)
		f := entryFor(list, "factor", "ops")
		if f == nil || f.Account.Kind != "admin" || f.Failures == 0 || f.Until == nil {
			t.Fatalf("the factor lockout is not listed: %+v", list)
		}
		must(e.svc.LiftThrottle(holder, f.Key))(t)
		if f := entryFor(must(e.svc.Throttles(holder))(t), "factor", "ops"); f != nil {
			t.Errorf("lifted, still listed: %+v", f)
		}
		e.clock.Add(30 * time.Second)
		if _, _, err := e.svc.LoginFactor(bg, "ops", pw, code(t, secret, e.clock.Now()), "192.0.2.40"); err != nil {
			t.Errorf("the right code once lifted: %v", err)
		}
	})
}

// TestShortIdleLimitKeepsActiveSessions: under an idle limit shorter than
// a minute, a session in use is not ended; one left alone is.
func TestShortIdleLimitKeepsActiveSessions(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		svc := service.New(e.db, service.Config{Hasher: e.hasher, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), HashWorkers: 1,
			AdminSessionIdle: 20 * time.Second})
		t.Cleanup(svc.WaitAudits)
		pw := "correct horse battery"
		e.admin("ops", pw, meibo.NewAuthorities(meibo.AuthConsole))
		cookie, _, err := svc.SignIn(bg, "ops", pw, "192.0.2.50", "test", meibo.English)
		noErr(t, err)
		for i := range 6 {
			e.clock.Add(14 * time.Second)
			if _, _, err := svc.ConsoleActor(bg, cookie, ""); err != nil {
				t.Fatalf("a request %ds after the last, %ds after signing in: %v", 14, 14*(i+1), err)
			}
		}
		e.clock.Add(21 * time.Second)
		if _, _, err := svc.ConsoleActor(bg, cookie, ""); meibo.ErrorCode(err) != meibo.CodeUnauthorized {
			t.Errorf("21 s idle under a limit of 20 s: %v", err)
		}
	})
}
