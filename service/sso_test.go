package service_test

import (
	"fmt"
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
