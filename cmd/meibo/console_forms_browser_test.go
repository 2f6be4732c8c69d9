package main

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// TestConsoleFormsInBrowser fills and sends, in Chromium, forms of the
// console that the other browser tests leave aside, on one server: the
// settings, a new profile, a password link issued by hand where no SMTP
// server is configured, and a device's details.
func TestConsoleFormsInBrowser(t *testing.T) {
	chromium := requireChromium(t)
	t.Parallel()
	s := startBrowserServer(t)
	b := newTab(t, startChromium(t, chromium), s.base)
	b.signIn("admin", consolePassword)

	t.Run("settings", func(t *testing.T) {
		b := b.with(t)
		if st := b.open("/console/settings?lang=en"); st != http.StatusOK {
			t.Fatalf("settings page: %d", st)
		}
		b.set("#licence_limit", "1234")
		b.set("#mail_language", "ja")
		if st := b.submit(`form[action="/console/settings"] button[type=submit]`); st != http.StatusOK {
			t.Fatalf("save: %d\n%s", st, b.mainText())
		}
		b.wantText("The settings were saved.")
		if got := evalJS[string](b, `document.querySelector("#licence_limit").value`); got != "1234" {
			t.Errorf("the page shows a licence limit of %q", got)
		}
		st, err := s.m.Service.Settings(s.sys)
		if err != nil {
			t.Fatal(err)
		}
		if st.LicenceLimit != 1234 || st.MailLanguage != "ja" {
			t.Errorf("settings after saving: %+v", st)
		}
		// A refused value shows by its field, as typed.
		b.set("#licence_limit", "-5")
		if st := b.submit(`form[action="/console/settings"] button[type=submit]`); st != http.StatusUnprocessableEntity {
			t.Fatalf("a negative limit: %d", st)
		}
		if got := evalJS[string](b, `document.querySelector("#licence_limit").getAttribute("aria-invalid") || ""`); got != "true" {
			t.Errorf("the refused field is not marked:\n%s", b.mainText())
		}
	})

	t.Run("new profile", func(t *testing.T) {
		b := b.with(t)
		if st := b.open("/console/groups/G002/profiles/new?lang=ja"); st != http.StatusOK {
			t.Fatalf("profile form: %d", st)
		}
		b.set("#name", "現場スタッフ")
		b.click(`input[name=actions][value=ring]`)
		ticked := map[string]bool{}
		for _, a := range []string{"lock", "ring", "locate", "message", "wipe"} {
			ticked[a] = evalJS[bool](b, `!!(document.querySelector("input[name=actions][value=`+a+`]") || {}).checked`)
		}
		if st := b.submit(`form[action="/console/groups/G002/profiles"] button[type=submit]`); st != http.StatusOK {
			t.Fatalf("create: %d\n%s", st, b.mainText())
		}
		b.wantText("プロファイルを追加しました。", "現場スタッフ")
		ps, err := s.m.Service.Profiles(s.sys, "G002")
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, p := range ps {
			if p.Name != "現場スタッフ" {
				continue
			}
			found = true
			has := map[string]bool{}
			for _, a := range p.Actions {
				has[string(a)] = true
			}
			for a, want := range ticked {
				if has[a] != want {
					t.Errorf("action %s: %v in the profile, ticked %v", a, has[a], want)
				}
			}
		}
		if !found {
			t.Errorf("no profile 現場スタッフ among %d", len(ps))
		}
	})

	t.Run("password link by hand", func(t *testing.T) {
		b := b.with(t)
		dave := s.userID(t, "G002", "dave")
		if st := b.open(fmt.Sprintf("/console/users/%d?lang=en", dave)); st != http.StatusOK {
			t.Fatalf("user page: %d", st)
		}
		if st := b.submit(`form[action$="/password-link"] button[value=invitation]`); st != http.StatusOK {
			t.Fatalf("issue: %d\n%s", st, b.mainText())
		}
		b.wantText("Password link issued", "dave")
		link := evalJS[string](b, `(document.querySelector("main input[readonly]") || {}).value || ""`)
		if !strings.HasPrefix(link, s.base) && !strings.Contains(link, "/password/") {
			t.Fatalf("the page shows no link: %q\n%s", link, b.mainText())
		}
		// The link works once: the person chooses a password with it.
		p := newTab(t, startChromium(t, chromium), s.base)
		if st := p.open(strings.TrimPrefix(link, s.base)); st != http.StatusOK {
			t.Fatalf("the link: %d", st)
		}
		p.screenshot("password-link-en-desktop")
	})

	t.Run("device details", func(t *testing.T) {
		b := b.with(t)
		ds := enrolDevices(t, s, "G001", "kiosk", 1)
		if st := b.open(fmt.Sprintf("/console/devices/%d?lang=en", ds[0].ID)); st != http.StatusOK {
			t.Fatalf("device page: %d", st)
		}
		b.set("#name", "Front desk")
		b.set("#user", "alice")
		if st := b.submit(fmt.Sprintf(`form[action="/console/devices/%d"] button[type=submit]`, ds[0].ID)); st != http.StatusOK {
			t.Fatalf("save: %d\n%s", st, b.mainText())
		}
		b.wantText("Front desk")
		d, err := s.m.Service.Device(s.sys, ds[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		if d.Name != "Front desk" || d.UserName != "alice" {
			t.Errorf("device after saving: %s / %s", d.Name, d.UserName)
		}
	})
}
