package service_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/service"
)

// TestSSOIdentityPinned: a link pins an administrator to one subject of a
// provider, so another subject with the same address is refused; a claim
// never names the built-in administrator; an administrator kept for single
// sign-on (no password) uses the console; a provider's trusted second
// factor meets the policy. Each refusal is audited with its reason.
func TestSSOIdentityPinned(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		e.bootstrap()
		pw := "correct horse battery"
		svc := service.New(e.db, service.Config{Hasher: e.hasher})
		t.Cleanup(svc.WaitAudits)
		must(svc.CreateAdmin(e.sys, service.AdminInput{LoginID: "ops", Email: "ops@example.com", Password: pw,
			Authorities: meibo.NewAuthorities(meibo.AuthConsole)}))(t)
		must(svc.CreateAdmin(e.sys, service.AdminInput{LoginID: "carol", Email: "carol@example.com",
			Authorities: meibo.NewAuthorities(meibo.AuthConsole)}))(t)
		reasons := func() string {
			var b strings.Builder
			for _, ev := range e.eventsFor("admin.signin.sso.failed") {
				b.WriteString(fmt.Sprint(ev.Details) + "\n")
			}
			return b.String()
		}

		noErr(t, func() error {
			_, _, err := svc.SignInSSO(bg, service.SSOIdentity{Provider: "corp", Subject: "s-ops", Claim: "email", Value: "ops@example.com"}, "192.0.2.1", "", meibo.English)
			return err
		}())
		// Another subject of the provider with the same address.
		_, _, err := svc.SignInSSO(bg, service.SSOIdentity{Provider: "corp", Subject: "s-evil", Claim: "email", Value: "OPS@example.com"}, "192.0.2.9", "", meibo.English)
		wantCode(t, err, meibo.CodeUnauthorized)
		// A user name that is the built-in administrator's ID.
		_, _, err = svc.SignInSSO(bg, service.SSOIdentity{Provider: "kc", Subject: "s-mallory", Claim: "preferred_username", Value: meibo.BuiltinAdmin}, "192.0.2.9", "", meibo.English)
		wantCode(t, err, meibo.CodeUnauthorized)
		if r := reasons(); !strings.Contains(r, "linked to another subject") || !strings.Contains(r, "built-in administrator admin") {
			t.Errorf("refusal reasons:\n%s", r)
		}
		ops := must(svc.AdminByLoginID(e.sys, "ops"))(t)
		noErr(t, e.db.View(bg, func(tx meibo.Tx) error {
			links, err := tx.SSOLinks(bg, ops.ID)
			if err == nil && (len(links) != 1 || links[0].Subject != "s-ops") {
				t.Errorf("links of ops: %+v", links)
			}
			return err
		}))

		// The built-in administrator's password stays with every setting,
		// even linked (as an earlier version could link it).
		root := must(svc.AdminByLoginID(e.sys, meibo.BuiltinAdmin))(t)
		noErr(t, e.db.Update(bg, func(tx meibo.Tx) error {
			return tx.LinkSSO(bg, &meibo.SSOLink{Provider: "kc", Subject: "s-old", AdminID: root.ID})
		}))
		off := service.New(e.db, service.Config{Hasher: e.hasher, Factors: service.FactorConfig{PasswordOffWithSSO: true}})
		t.Cleanup(off.WaitAudits)
		if _, _, err := off.SignIn(bg, meibo.BuiltinAdmin, "root pass phrase", "192.0.2.3", "", meibo.English); err != nil {
			t.Errorf("the built-in administrator's password with passwordOffWithSso: %v", err)
		}

		// An administrator without a password, by single sign-on.
		cookie, _, err := svc.SignInSSO(bg, service.SSOIdentity{Provider: "corp", Subject: "s-carol", Claim: "email", Value: "carol@example.com"}, "192.0.2.2", "", meibo.English)
		noErr(t, err)
		if a, _, err := svc.ConsoleActor(bg, cookie, ""); err != nil || a.Name != "carol" {
			t.Errorf("an administrator kept for single sign-on: %v", err)
		}

		// The policy asks for a second factor: the provider's, trusted,
		// meets it; without it, the session sets one up.
		noErr(t, svc.SetMFAPolicy(e.sys, meibo.MFAPolicy{All: true}))
		withMFA, _, err := svc.SignInSSO(bg, service.SSOIdentity{Provider: "corp", Subject: "s-ops", Claim: "email", Value: "ops@example.com", MFA: true}, "192.0.2.1", "", meibo.English)
		noErr(t, err)
		if _, _, err := svc.ConsoleActor(bg, withMFA, ""); err != nil {
			t.Errorf("a session with the provider's second factor: %v", err)
		}
		without, _, err := svc.SignInSSO(bg, service.SSOIdentity{Provider: "corp", Subject: "s-ops", Claim: "email", Value: "ops@example.com"}, "192.0.2.1", "", meibo.English)
		noErr(t, err)
		if _, _, err := svc.ConsoleActor(bg, without, ""); meibo.ErrorCode(err) != meibo.CodeUnauthorized {
			t.Errorf("a session without a second factor under the policy: %v", err)
		}
	})
}

// TestSSOFirstLinksRace: first sign-ins of two subjects for one
// administrator at once link one of them, never both.
func TestSSOFirstLinksRace(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		svc := service.New(e.db, service.Config{Hasher: e.hasher})
		t.Cleanup(svc.WaitAudits)
		for round := range 5 {
			login := fmt.Sprintf("ops%d", round)
			ad := must(svc.CreateAdmin(e.sys, service.AdminInput{LoginID: login, Email: login + "@example.com",
				Authorities: meibo.NewAuthorities(meibo.AuthConsole)}))(t)
			var wg sync.WaitGroup
			errs := make([]error, 2)
			for i := range 2 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, _, errs[i] = svc.SignInSSO(bg, service.SSOIdentity{Provider: "corp", Subject: fmt.Sprintf("s-%d-%d", round, i),
						Claim: "email", Value: login + "@example.com"}, "192.0.2.1", "", meibo.English)
				}()
			}
			wg.Wait()
			if (errs[0] == nil) == (errs[1] == nil) {
				t.Errorf("round %d: %v and %v, want one sign-in and one refusal", round, errs[0], errs[1])
			}
			noErr(t, e.db.View(bg, func(tx meibo.Tx) error {
				links, err := tx.SSOLinks(bg, ad.ID)
				if err == nil && len(links) != 1 {
					t.Errorf("round %d: %d links", round, len(links))
				}
				return err
			}))
		}
	})
}

// TestPasswordOffAudited: with passwordOffWithSso, a right password of a
// linked administrator is refused on the API as on the console, and the
// refusal is audited with its reason.
func TestPasswordOffAudited(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		pw := "correct horse battery"
		svc := service.New(e.db, service.Config{Hasher: e.hasher, Factors: service.FactorConfig{PasswordOffWithSSO: true}})
		t.Cleanup(svc.WaitAudits)
		must(svc.CreateAdmin(e.sys, service.AdminInput{LoginID: "ops", Email: "ops@example.com", Password: pw,
			Authorities: meibo.NewAuthorities(meibo.AuthConsole)}))(t)
		_, _, err := svc.SignInSSO(bg, service.SSOIdentity{Provider: "corp", Subject: "s-ops", Claim: "email", Value: "ops@example.com"}, "192.0.2.1", "", meibo.English)
		noErr(t, err)
		_, _, err = svc.Login(bg, "ops", pw, "192.0.2.1")
		if ae := wantCode(t, err, meibo.CodeUnauthorized); ae.Msg.Key != "mfa.password.off" {
			t.Errorf("API login: %v", err)
		}
		var found bool
		for _, ev := range e.eventsFor("admin.signin.failed") {
			found = found || ev.ObjectID == "ops" && fmt.Sprint(ev.Details["via"]) == "api" && strings.Contains(fmt.Sprint(ev.Details["reason"]), "passwordOffWithSso")
		}
		if !found {
			t.Errorf("no audit of the API's refusal in %+v", e.eventsFor("admin.signin.failed"))
		}
	})
}

// endSessions is a provider's end_session_endpoint as the sso package
// gives it: an address, none, or an error; it records what it was asked.
type endSessions struct {
	url   string
	err   error
	asked []string // "provider hint locale"
}

func (f *endSessions) EndSessionURL(_ context.Context, provider, hint, locale string) (string, error) {
	f.asked = append(f.asked, provider+" "+hint+" "+locale)
	return f.url, f.err
}

// TestSSOSignOut: signing out of a session made through an identity
// provider ends meibo's session and gives the provider's end_session
// address, asked with the ID token of the sign-in; a provider without one,
// or one that cannot be discovered, or no longer configured, leaves its
// session open, which the audit says; a password session is signed out as
// before, the provider never asked.
func TestSSOSignOut(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		pw := "correct horse battery"
		var logs mlLogs
		svc := service.New(e.db, service.Config{Hasher: e.hasher, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
		t.Cleanup(svc.WaitAudits)
		must(svc.CreateAdmin(e.sys, service.AdminInput{LoginID: "ops", Email: "ops@example.com", Password: pw,
			Authorities: meibo.NewAuthorities(meibo.AuthConsole)}))(t)
		signIn := func() (context.Context, string) {
			t.Helper()
			cookie, _, err := svc.SignInSSO(bg, service.SSOIdentity{Provider: "corp", Subject: "s-ops", Claim: "email", Value: "ops@example.com",
				MFA: true, IDToken: "eyJ.the-id-token.sig"}, "192.0.2.1", "", meibo.English)
			noErr(t, err)
			a, _, err := svc.ConsoleActor(bg, cookie, "192.0.2.1")
			noErr(t, err)
			return meibo.WithActor(bg, a), cookie
		}
		lastSignOut := func() map[string]any {
			t.Helper()
			ev := e.eventsFor("signout")
			if len(ev) == 0 {
				t.Fatal("no sign-out audited")
			}
			return ev[0].Details
		}

		// With an end_session_endpoint.
		ends := &endSessions{url: "https://idp.example.com/logout?id_token_hint=x"}
		ctx, cookie := signIn()
		out, err := svc.SignOutConsole(ctx, cookie, ends, meibo.Japanese)
		noErr(t, err)
		if out.Provider != "corp" || out.URL != ends.url || strings.Join(ends.asked, ",") != "corp eyJ.the-id-token.sig ja" {
			t.Errorf("sign-out %+v, the provider asked %v", out, ends.asked)
		}
		if _, _, err := svc.ConsoleActor(bg, cookie, ""); meibo.ErrorCode(err) != meibo.CodeUnauthorized {
			t.Errorf("the session outlived the sign-out: %v", err)
		}
		if d := lastSignOut(); d["provider"] != "corp" || d["providerLogout"] != true {
			t.Errorf("audited %v", d)
		}

		// Without one, with a provider down, with a provider no longer
		// configured: signed out of meibo only.
		for _, c := range []struct {
			ends   service.SSOEndSession
			reason string
		}{
			{&endSessions{}, "the provider has no end_session_endpoint"},
			{&endSessions{err: errors.New("provider unreachable: discovery of https://idp.example.com")}, "provider unreachable"},
			{&endSessions{err: meibo.NotFound("sso.provider")}, "the provider is no longer configured"},
			{nil, "the provider is no longer configured"},
		} {
			ctx, cookie := signIn()
			out, err := svc.SignOutConsole(ctx, cookie, c.ends, meibo.English)
			noErr(t, err)
			if out.Provider != "corp" || out.URL != "" {
				t.Errorf("%s: sign-out %+v", c.reason, out)
			}
			if _, _, err := svc.ConsoleActor(bg, cookie, ""); meibo.ErrorCode(err) != meibo.CodeUnauthorized {
				t.Errorf("%s: the session outlived the sign-out: %v", c.reason, err)
			}
			if d := lastSignOut(); d["provider"] != "corp" || d["providerLogout"] != false || !strings.Contains(fmt.Sprint(d["reason"]), c.reason) {
				t.Errorf("%s: audited %v", c.reason, d)
			}
		}

		if l := logs.String(); !strings.Contains(l, `level=WARN msg="sso sign-out: the identity provider's end_session_endpoint could not be read`) {
			t.Errorf("a provider down is not logged:\n%s", l)
		}

		// A password session.
		ends = &endSessions{url: "https://idp.example.com/logout"}
		cookie, _, err = svc.SignIn(bg, "ops", pw, "192.0.2.1", "", meibo.English)
		noErr(t, err)
		a, _, err := svc.ConsoleActor(bg, cookie, "192.0.2.1")
		noErr(t, err)
		out, err = svc.SignOutConsole(meibo.WithActor(bg, a), cookie, ends, meibo.English)
		noErr(t, err)
		if out.Provider != "" || out.URL != "" || len(ends.asked) != 0 {
			t.Errorf("a password session's sign-out: %+v, the provider asked %v", out, ends.asked)
		}
		if _, _, err := svc.ConsoleActor(bg, cookie, ""); meibo.ErrorCode(err) != meibo.CodeUnauthorized {
			t.Errorf("the password session outlived the sign-out: %v", err)
		}
		if d := lastSignOut(); d != nil {
			t.Errorf("a password session's sign-out audited %v", d)
		}
		// A cookie of no session.
		if out, err := svc.SignOutConsole(bg, cookie, ends, meibo.English); err != nil || out.Provider != "" || len(ends.asked) != 0 {
			t.Errorf("a sign-out of no session: %+v %v", out, err)
		}
	})
}
