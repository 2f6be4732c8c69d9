package main

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/service"
)

// totpCode is the authenticator code of secret at t.
func totpCode(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCodeCustom(secret, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// totpCodeNow is the authenticator code of secret now.
func totpCodeNow(t *testing.T, secret string) string {
	t.Helper()
	return totpCode(t, secret, time.Now())
}

// setUpTOTPInBrowser sets up an authenticator app on the security page as a
// person does: reads the key from the page, types the app's code, and keeps
// the recovery codes shown once. It returns the key and the codes.
func setUpTOTPInBrowser(t *testing.T, b *browserTab, shot string) (string, []string) {
	t.Helper()
	if st := b.submit("#totp-setup"); st != http.StatusOK {
		t.Fatalf("set-up page: status %d", st)
	}
	// The QR code loads under the content security policy.
	if w := evalJS[float64](b, `document.querySelector("#totp-qr").naturalWidth`); w < 100 {
		t.Errorf("QR code not shown (width %v)", w)
	}
	secret := strings.TrimSpace(b.text("#totp-secret"))
	if len(secret) < 16 {
		t.Fatalf("secret on the page: %q", secret)
	}
	if shot != "" {
		b.screenshot(shot)
	}
	b.set("#code", "000000")
	if st := b.submit("#totp-confirm"); st != http.StatusUnprocessableEntity {
		t.Errorf("a wrong first code: status %d", st)
	}
	b.wantText(meibo.M("mfa.code.invalid").In(meibo.English))
	if got := strings.TrimSpace(b.text("#totp-secret")); got != secret {
		t.Errorf("the key changed after a wrong code: %q, was %q", got, secret)
	}
	b.set("#code", totpCode(t, secret, time.Now()))
	if st := b.submit("#totp-confirm"); st != http.StatusOK {
		t.Fatalf("confirm: status %d", st)
	}
	codes := evalJS[[]string](b, `[...document.querySelectorAll("#shown-once code")].map(e => e.textContent)`)
	if len(codes) != 10 {
		t.Fatalf("%d recovery codes shown", len(codes))
	}
	b.submit("#once-continue")
	b.wantText("The authenticator app is set up.")
	return secret, codes
}

func TestAdminSecondFactorInBrowser(t *testing.T) {
	t.Parallel()
	chromium := requireChromium(t)
	s := startBrowserServer(t)
	browser := startChromium(t, chromium)
	const opsPassword = "Ops-second-pw1"
	if _, err := s.m.Service.CreateAdmin(s.sys, service.AdminInput{LoginID: "ops", Name: "Ops", Password: opsPassword,
		Authorities: meibo.NewAuthorities(meibo.AuthConsole)}); err != nil {
		t.Fatal(err)
	}
	var secret string
	var codes []string

	t.Run("set up an authenticator app", func(t *testing.T) {
		b := newTab(t, browser, s.base)
		b.signIn("ops", opsPassword)
		b.open("/console/account")
		b.submit("#account-security")
		b.wantText("Not set up.", "0 unused.")
		secret, codes = setUpTOTPInBrowser(t, b, "mfa-totp-setup-en-laptop")
		b.wantText("10 unused.", "password")
		b.screenshot("mfa-security-en-laptop")
	})

	t.Run("second step with a code", func(t *testing.T) {
		b := newTab(t, browser, s.base)
		b.open("/console/users")
		b.set("#loginId", "ops")
		b.set("#password", opsPassword)
		b.submit(`form[action$="/signin"] button[type=submit]`)
		if loc := b.location(); !strings.HasSuffix(loc, "/console/signin/second") {
			t.Fatalf("after the password: %s, want the second step", loc)
		}
		b.screenshot("mfa-second-step-en-laptop")
		// Nothing else is reachable meanwhile.
		b.open("/console/users")
		if loc := b.location(); !strings.HasSuffix(loc, "/console/signin/second") {
			t.Errorf("half signed in, the users page went to %s", loc)
		}
		b.set("#code", "123456")
		if st := b.submit("#second-submit"); st != http.StatusUnauthorized {
			t.Errorf("a wrong code: status %d", st)
		}
		b.wantText(meibo.M("mfa.code.invalid").In(meibo.English))
		// The code that confirmed the app was used; the next one works.
		b.set("#code", totpCode(t, secret, time.Now().Add(30*time.Second)))
		if st := b.submit("#second-submit"); st != http.StatusOK {
			t.Fatalf("the right code: status %d", st)
		}
		b.open("/console/account/security")
		b.wantText("Password + Authenticator app", "this session")
	})

	t.Run("a recovery code works once", func(t *testing.T) {
		for i, want := range []int64{http.StatusOK, http.StatusUnauthorized} {
			b := newTab(t, browser, s.base)
			b.signIn("ops", opsPassword)
			b.set("#code", codes[0])
			if st := b.submit("#second-submit"); st != want {
				t.Fatalf("recovery code, use %d: status %d, want %d", i+1, st, want)
			}
			if want == http.StatusOK {
				b.open("/console/account/security")
				b.wantText("Password + Recovery code", "9 unused.")
			} else {
				b.wantText(meibo.M("mfa.code.invalid").In(meibo.English))
			}
		}
	})

	boss := newTab(t, browser, s.base)
	boss.signIn("admin", consolePassword)

	t.Run("the policy sends to set-up after the password", func(t *testing.T) {
		boss := boss.with(t)
		boss.open("/console/admins")
		boss.submit("#mfa-policy")
		boss.click("#policy-all")
		// A policy that would stop its author, who has no factor: set one
		// up first, then save it.
		if st := boss.submit("#policy-save"); st != http.StatusUnprocessableEntity {
			t.Errorf("a policy that stops its author: status %d", st)
		}
		boss.wantText("This policy would require a second factor of you, and you have none: set one up first")
		boss.open("/console/account/security")
		setUpTOTPInBrowser(t, boss, "")
		boss.open("/console/admins")
		boss.submit("#mfa-policy")
		boss.click("#policy-all")
		boss.submit("#policy-save")
		boss.wantText("The policy was saved.")
		if checked, _ := boss.checkbox("#policy-all"); !checked {
			t.Errorf("policy not kept")
		}
		if _, err := s.m.Service.CreateAdmin(s.sys, service.AdminInput{LoginID: "newbie", Name: "New", Password: opsPassword,
			Authorities: meibo.NewAuthorities(meibo.AuthLogViewer)}); err != nil {
			t.Fatal(err)
		}
		b := newTab(t, browser, s.base)
		b.signIn("newbie", opsPassword)
		if loc := b.location(); !strings.HasSuffix(loc, "/console/account/security") {
			t.Fatalf("after the password: %s, want the set-up page", loc)
		}
		b.wantText("Your role requires a second factor")
		b.screenshot("mfa-setup-required-en-laptop")
		for _, path := range []string{"/console/", "/console/audit", "/console/account"} {
			b.open(path)
			if loc := b.location(); !strings.HasSuffix(loc, "/console/account/security") {
				t.Errorf("before set-up, %s went to %s", path, loc)
			}
		}
		setUpTOTPInBrowser(t, b, "")
		b.open("/console/audit")
		if loc := b.location(); !strings.HasSuffix(loc, "/console/audit") {
			t.Errorf("after set-up the audit log went to %s", loc)
		}
		boss.click("#policy-none")
		boss.submit("#policy-save")
	})

	t.Run("reset by another administrator", func(t *testing.T) {
		boss := boss.with(t)
		ops := newTab(t, browser, s.base)
		ops.signIn("ops", opsPassword)
		ops.set("#code", codes[1])
		ops.submit("#second-submit")
		ops.open("/console/account/security")
		ops.wantText("Password + Recovery code")

		boss.open(fmt.Sprintf("/console/admins/%d", s.adminID(t, "ops")))
		boss.submit("#admin-security")
		boss.wantText("Set up on", "Password + Recovery code")
		boss.screenshot("mfa-admin-security-en-laptop")
		boss.submit("#reset-mfa")
		boss.wantText("The second factors were reset", "Not set up.", "0 unused.")

		ops.open("/console/account/security")
		if loc := ops.location(); !strings.Contains(loc, "/console/signin") {
			t.Errorf("after the reset ops is still signed in: %s", loc)
		}
		// Without a policy the password alone signs in again.
		ops.signIn("ops", opsPassword)
		if loc := ops.location(); strings.Contains(loc, "/signin") {
			t.Errorf("after the reset the sign-in went to %s", loc)
		}
		ops.open("/console/account/security?lang=ja")
		ops.wantText("認証アプリ", "パスキー")
		ops.screenshot("mfa-security-ja-laptop")
	})
}
