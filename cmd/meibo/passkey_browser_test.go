package main

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/service"
)

// addAuthenticator adds a virtual platform authenticator (CTAP2, internal,
// resident keys, user verification) to the tab, as a laptop's fingerprint
// reader, and returns its ID.
func addAuthenticator(t *testing.T, b *browserTab) webauthn.AuthenticatorID {
	t.Helper()
	ctx, cancel := b.timed()
	defer cancel()
	if _, err := chromedp.Call(ctx, webauthn.Enable, webauthn.EnableParams{}); err != nil {
		t.Fatalf("WebAuthn.enable: %v", err)
	}
	res, err := chromedp.Call(ctx, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{Options: &webauthn.VirtualAuthenticatorOptions{
		Protocol: webauthn.AuthenticatorProtocolCtap2, Ctap2version: webauthn.Ctap2versionCtap21, Transport: webauthn.AuthenticatorTransportInternal,
		HasResidentKey: true, HasUserVerification: true, IsUserVerified: true, AutomaticPresenceSimulation: true}})
	if err != nil {
		t.Fatalf("WebAuthn.addVirtualAuthenticator: %v", err)
	}
	return res.AuthenticatorID
}

// credentials counts the passkeys an authenticator holds.
func credentials(t *testing.T, b *browserTab, id webauthn.AuthenticatorID) int {
	t.Helper()
	ctx, cancel := b.timed()
	defer cancel()
	res, err := chromedp.Call(ctx, webauthn.GetCredentials, webauthn.GetCredentialsParams{AuthenticatorID: id})
	if err != nil {
		t.Fatal(err)
	}
	return len(res.Credentials)
}

func TestPasskeysInBrowser(t *testing.T) {
	t.Parallel()
	chromium := requireChromium(t)
	s := startBrowserServer(t)
	browser := startChromium(t, chromium)
	const pw = "Amber-canyon-pw7"
	if _, err := s.m.Service.CreateAdmin(s.sys, service.AdminInput{LoginID: "keys", Name: "Key Holder", Password: pw,
		Authorities: meibo.NewAuthorities(meibo.AuthConsole)}); err != nil {
		t.Fatal(err)
	}
	// A passkey's relying party is a domain: the browser reaches the
	// server as localhost (a secure context over plain http).
	b := newTab(t, browser, strings.Replace(s.base, "127.0.0.1", "localhost", 1))
	b.t = t
	laptop := addAuthenticator(t, b)

	signOut := func() {
		t.Helper()
		b.submit(`form[action$="/signout"] button`)
		if loc := b.location(); !strings.Contains(loc, "/console/signin") {
			t.Fatalf("sign out: at %s", loc)
		}
	}
	register := func(name string) {
		t.Helper()
		b.open("/console/account/security")
		b.set("#passkey-name", name)
		b.click("#passkey-add")
	}

	t.Run("register passkeys", func(t *testing.T) {
		b := b.with(t)
		b.signIn("keys", pw)
		register("Laptop")
		// The first factor comes with recovery codes, shown once, alone:
		// the page's passkeys and codes from before the add are out of
		// sight (they said "No passkey." and "0 unused." beside the codes).
		waitCodesShown(b)
		if n := evalJS[int](b, `document.querySelectorAll("#shown-once code").length`); n != 10 {
			t.Errorf("%d recovery codes shown", n)
		}
		if seen := evalJS[bool](b, `document.getElementById("passkey-list").getClientRects().length > 0 ||
			document.getElementById("recovery-left").getClientRects().length > 0`); seen {
			t.Errorf("beside the codes, the state from before the add is shown:\n%s", evalJS[string](b, `document.querySelector("main").innerText`))
		}
		// Continuing shows the state after it: the passkey, the ten codes
		// unused, and the codes no more.
		b.submit("#once-continue")
		b.wantText("The passkey was added.")
		if got := b.text("#passkey-list"); !strings.Contains(got, "Laptop") {
			t.Errorf("after the add, the passkeys shown are %q", got)
		}
		if got := strings.TrimSpace(b.text("#recovery-left")); got != "10 unused." {
			t.Errorf("after the add, the recovery codes shown are %q", got)
		}
		// Shown once: the page after does not show them again.
		if n := evalJS[int](b, `document.querySelectorAll("#shown-once code").length`); n != 0 {
			t.Errorf("%d recovery codes shown again", n)
		}
		if n := credentials(t, b, laptop); n != 1 {
			t.Fatalf("the authenticator holds %d passkeys", n)
		}
		// Registering again on the same authenticator is refused by it
		// (the passkey is excluded).
		register("Laptop again")
		b.waitFor(`!document.getElementById("passkey-register-error").hidden`, 10*time.Second)

		// A second device: a phone.
		ctx, cancel := b.timed()
		if _, err := chromedp.Call(ctx, webauthn.RemoveVirtualAuthenticator, webauthn.RemoveVirtualAuthenticatorParams{AuthenticatorID: laptop}); err != nil {
			t.Fatal(err)
		}
		cancel()
		phone := addAuthenticator(t, b)
		register("Phone")
		waitPath(b, "/console/account/security?done=passkey.added")
		b.wantText("The passkey was added.", "Laptop", "Phone", "10 unused.")
		if n := credentials(t, b, phone); n != 1 {
			t.Errorf("the phone holds %d passkeys", n)
		}
		b.screenshot("mfa-passkeys-en-laptop")
	})

	t.Run("sign in with a passkey alone", func(t *testing.T) {
		b := b.with(t)
		signOut()
		before := signIns(t, s.base, "console", "success")
		b.open("/console/signin")
		b.screenshot("mfa-signin-passkey-en-laptop")
		b.click("#passkey-signin-button")
		waitPath(b, "/console/")
		if got := signIns(t, s.base, "console", "success") - before; got != 1 {
			t.Errorf("a passkey sign-in counted +%v console sign-ins, want +1", got)
		}
		b.open("/console/account/security")
		b.wantText("Phone")
		if got := b.text("#session-list tbody tr:first-child td:first-child"); !strings.Contains(got, "Passkey") || strings.Contains(got, "Password") {
			t.Errorf("this session signed in with %q", got)
		}
	})

	t.Run("a passkey as the second factor", func(t *testing.T) {
		b := b.with(t)
		signOut()
		before := signIns(t, s.base, "console", "success")
		passkeysBefore := secondFactors(t, s.base, "console", "passkey", "success")
		b.signIn("keys", pw)
		if loc := b.location(); !strings.HasSuffix(loc, "/console/signin/second") {
			t.Fatalf("after the password: %s", loc)
		}
		b.click("#passkey-second-button")
		waitPath(b, "/console/")
		// One sign-in, counted at its password: the second factor
		// completes it and is not counted again, but as a second factor.
		if got := signIns(t, s.base, "console", "success") - before; got != 1 {
			t.Errorf("a password and a passkey counted +%v console sign-ins, want +1", got)
		}
		if got := secondFactors(t, s.base, "console", "passkey", "success") - passkeysBefore; got != 1 {
			t.Errorf("a passkey as the second factor counted +%v, want +1", got)
		}
		b.open("/console/account/security")
		b.wantText("Password + Passkey")
	})

	t.Run("remove a passkey after the password", func(t *testing.T) {
		b := b.with(t)
		b.open("/console/account/security")
		form := `#passkey-list li:first-child form`
		b.set(form+` input[name=currentPassword]`, "wrong-password-1")
		if st := b.submit(form + ` button`); st != http.StatusUnprocessableEntity {
			t.Errorf("a wrong password: status %d", st)
		}
		b.wantText("Laptop")
		b.set(form+` input[name=currentPassword]`, pw)
		b.submit(form + ` button`)
		b.wantText("The passkey was removed")
		if got := b.text("#passkey-list"); strings.Contains(got, "Laptop") || !strings.Contains(got, "Phone") {
			t.Errorf("passkeys after removing Laptop: %q", got)
		}
	})
}

// waitCodesShown waits until the tab shows recovery codes of a passkey
// added.
func waitCodesShown(b *browserTab) {
	b.t.Helper()
	const shown = `(e => !!e && !e.hidden && document.readyState === "complete" && document.querySelectorAll("#shown-once code").length > 0)(document.getElementById("passkey-codes"))`
	deadline := time.Now().Add(10 * time.Second)
	for {
		if ok, err := tryEvalJS[bool](b, shown); err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("waiting for the recovery codes: at %s\n%s", b.location(), b.mainText())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitPath waits until the tab's address ends with suffix (a page that
// navigates by itself, from JavaScript).
func waitPath(b *browserTab, suffix string) {
	b.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.HasSuffix(b.location(), suffix) {
		if time.Now().After(deadline) {
			b.t.Fatalf("waiting for %s: at %s\n%s", suffix, b.location(), b.mainText())
		}
		time.Sleep(100 * time.Millisecond)
	}
}
