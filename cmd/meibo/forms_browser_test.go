package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/internal/smtptest"
	"github.com/meibo/meibo/service"
)

// TestFormsInBrowser fills and sends, in Chromium, the forms of the console
// and the portal that the other browser tests leave aside, on one server,
// and reads what the pages answer: the settings, a new profile, a group
// made and renamed, a password link issued by hand where no SMTP server is
// configured, a device's details, its revocation, a command cancelled, an
// enrolment token deleted, the audit log's and the outbox's filters, the
// administrators' export, an API token and recovery codes of one's own, an
// authenticator app removed; in the portal, one's password and a command
// cancelled; the public page asking for a reset link.
func TestFormsInBrowser(t *testing.T) {
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

	t.Run("profile edited", func(t *testing.T) {
		b := b.with(t)
		p, err := s.m.Service.CreateProfile(s.sys, "G003", meibo.Profile{Name: "Lab tablets", Actions: []meibo.Action{meibo.ActionLock, meibo.ActionRing}})
		if err != nil {
			t.Fatal(err)
		}
		// From the group's list of profiles, by the profile's Edit link.
		if st := b.open("/console/groups/G003?lang=en"); st != http.StatusOK {
			t.Fatalf("group page: %d", st)
		}
		if st := b.submit(fmt.Sprintf(`td.row-actions a[href="/console/groups/G003/profiles/%d"]`, p.ID)); st != http.StatusOK {
			t.Fatalf("edit link: %d", st)
		}
		if got := evalJS[string](b, `document.querySelector("#name").value`); got != "Lab tablets" {
			t.Fatalf("the form shows the name %q", got)
		}
		b.set("#name", "Lab tablets (2F)")
		b.click(`input[name=actions][value=ring]`) // off
		b.click(`input[name=actions][value=locate]`)
		b.click(`input[name=apiAccess]`)
		if st := b.submit(fmt.Sprintf(`form[action="/console/groups/G003/profiles/%d"] button[type=submit]`, p.ID)); st != http.StatusOK {
			t.Fatalf("save: %d\n%s", st, b.mainText())
		}
		b.wantText("The profile was saved.", "Lab tablets (2F)")
		ps, err := s.m.Service.Profiles(s.sys, "G003")
		if err != nil {
			t.Fatal(err)
		}
		got := &meibo.Profile{}
		for _, q := range ps {
			if q.ID == p.ID {
				got = q
			}
		}
		want := []meibo.Action{meibo.ActionLock, meibo.ActionLocate}
		if got.Name != "Lab tablets (2F)" || !slices.Equal(got.Actions, want) || got.APIAccess == p.APIAccess {
			t.Errorf("the profile after saving: %q %v api %v (before: api %v); want the actions %v", got.Name, got.Actions, got.APIAccess, p.APIAccess, want)
		}
		// A name taken by another profile of the group is refused by its
		// field, and the form keeps what was typed.
		if st := b.open(fmt.Sprintf("/console/groups/G003/profiles/%d?lang=en", p.ID)); st != http.StatusOK {
			t.Fatalf("edit page: %d", st)
		}
		def := meibo.DefaultProfileName
		b.set("#name", def)
		if st := b.submit(fmt.Sprintf(`form[action="/console/groups/G003/profiles/%d"] button[type=submit]`, p.ID)); st == http.StatusOK {
			t.Fatalf("a name taken by %q was saved:\n%s", def, b.mainText())
		}
		if got := evalJS[string](b, `document.querySelector("#name").value`); got != def {
			t.Errorf("the refused form shows the name %q, typed %q", got, def)
		}
		if b.text("#name-error") == "" {
			t.Errorf("no error by the name:\n%s", b.mainText())
		}
		// A profile no one has is deleted from its row's Delete link.
		spare, err := s.m.Service.CreateProfile(s.sys, "G003", meibo.Profile{Name: "Spare"})
		if err != nil {
			t.Fatal(err)
		}
		b.open("/console/groups/G003?lang=en")
		del := fmt.Sprintf("/console/groups/G003/profiles/%d/delete", spare.ID)
		if st := b.submit(`td.row-actions a[href="` + del + `"]`); st != http.StatusOK {
			t.Fatalf("delete link: %d", st)
		}
		if st := b.submit(`form[action="` + del + `"] button[type=submit]`); st != http.StatusOK {
			t.Fatalf("delete: %d\n%s", st, b.mainText())
		}
		b.wantText("The profile was deleted.")
		if strings.Contains(b.mainText(), "Spare") {
			t.Errorf("the group still lists Spare:\n%s", b.mainText())
		}
	})

	t.Run("empty group deleted", func(t *testing.T) {
		b := b.with(t)
		if _, err := s.m.Service.CreateGroup(s.sys, meibo.Group{ID: "G010", Name: "Osaka"}); err != nil {
			t.Fatal(err)
		}
		if st := b.open("/console/groups/G010?lang=en"); st != http.StatusOK {
			t.Fatalf("group page: %d", st)
		}
		if st := b.submit(`a[href="/console/groups/G010/delete"]`); st != http.StatusOK {
			t.Fatalf("delete link: %d", st)
		}
		b.wantText("Delete the group Osaka (G010)")
		if st := b.submit(`form[action="/console/groups/G010/delete"] button[type=submit]`); st != http.StatusOK {
			t.Fatalf("delete: %d\n%s", st, b.mainText())
		}
		b.wantText("The group was deleted.")
		if strings.Contains(b.mainText(), "G010") {
			t.Errorf("the list still shows G010:\n%s", b.mainText())
		}
		if _, err := s.m.Service.Group(s.sys, "G010"); meibo.ErrorCode(err) != meibo.CodeNotFound {
			t.Errorf("the group after deleting: %v", err)
		}
		// A group with a user says why it cannot be deleted alone, offers
		// no button that cannot work, and offers to delete it with its
		// user (in the singular).
		if st := b.open("/console/groups/G002/delete?lang=en"); st != http.StatusOK {
			t.Fatalf("delete page: %d", st)
		}
		b.wantText("This group has users (1)", "Delete the group and its user")
		if b.exists(`form[action="/console/groups/G002/delete"]`) {
			t.Errorf("the page offers to delete the group alone:\n%s", b.mainText())
		}
		if strings.Contains(b.mainText(), "its 1 users") {
			t.Errorf("the page counts in the plural:\n%s", b.mainText())
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

	t.Run("group made and renamed", func(t *testing.T) {
		b := b.with(t)
		if st := b.open("/console/groups?lang=en"); st != http.StatusOK {
			t.Fatalf("groups page: %d", st)
		}
		b.set("#id", "G009")
		b.set("#name", "Tokyo")
		if st := b.submit(`form[action="/console/groups"] button[type=submit]`); st != http.StatusOK {
			t.Fatalf("create: %d\n%s", st, b.mainText())
		}
		b.wantText("G009", "Tokyo")
		if st := b.open("/console/groups/G009?lang=ja"); st != http.StatusOK {
			t.Fatalf("group page: %d", st)
		}
		b.set("#name", "東京支社")
		if st := b.submit(`form[action="/console/groups/G009"] button[type=submit]`); st != http.StatusOK {
			t.Fatalf("rename: %d\n%s", st, b.mainText())
		}
		b.wantText("東京支社")
		if g, err := s.m.Service.Group(s.sys, "G009"); err != nil || g.Name != "東京支社" {
			t.Errorf("the group after renaming: %+v, %v", g, err)
		}
	})

	t.Run("device revoked, command cancelled, token deleted", func(t *testing.T) {
		b := b.with(t)
		ds := enrolDevices(t, s, "G003", "lab", 2)
		// A lock, then cancelled before the device takes it.
		if st := b.open(fmt.Sprintf("/console/devices/%d?lang=en", ds[0].ID)); st != http.StatusOK {
			t.Fatalf("device page: %d", st)
		}
		if st := b.submit(`form input[name=action][value=lock] ~ button`); st != http.StatusOK {
			t.Fatalf("lock: %d\n%s", st, b.mainText())
		}
		if st := b.submit(`form[action^="/console/commands/"][action$="/cancel"] button[type=submit]`); st != http.StatusOK {
			t.Fatalf("cancel: %d\n%s", st, b.mainText())
		}
		b.wantText("The command was cancelled.")
		cs, err := s.m.Service.DeviceCommands(s.sys, ds[0].ID, 0)
		if err != nil || len(cs) != 1 || cs[0].Status != meibo.CommandCancelled {
			t.Errorf("commands after cancelling: %+v, %v", cs, err)
		}
		// The revocation's page and button.
		if st := b.open(fmt.Sprintf("/console/devices/%d/revoke", ds[1].ID)); st != http.StatusOK {
			t.Fatalf("revoke page: %d", st)
		}
		if st := b.submit(`form[action$="/revoke"] button[type=submit]`); st != http.StatusOK {
			t.Fatalf("revoke: %d\n%s", st, b.mainText())
		}
		b.wantText("The device was revoked.")
		if d, err := s.m.Service.Device(s.sys, ds[1].ID); err != nil || d.RevokedAt == nil {
			t.Errorf("the device after revoking: %+v, %v", d, err)
		}
		// An enrolment token made, then deleted.
		b.open("/console/devices/enrolment?group=G003")
		if st := b.submit(`section[aria-labelledby="dev-new-title"] button[type=submit]`); st != http.StatusOK {
			t.Fatalf("make a token: %d\n%s", st, b.mainText())
		}
		b.open("/console/devices/enrolment?group=G003")
		const tokens = `document.querySelectorAll('form[action^="/console/devices/enrolment/"][action$="/delete"]').length`
		listed := evalJS[int](b, tokens)
		if st := b.submit(`form[action^="/console/devices/enrolment/"][action$="/delete"] button[type=submit]`); st != http.StatusOK {
			t.Fatalf("delete the token: %d\n%s", st, b.mainText())
		}
		b.wantText("The enrolment token was deleted.")
		if n := evalJS[int](b, tokens); n != listed-1 {
			t.Errorf("%d tokens listed after deleting one of %d", n, listed)
		}
	})

	t.Run("audit and outbox filters", func(t *testing.T) {
		b := b.with(t)
		if st := b.open("/console/audit?lang=en"); st != http.StatusOK {
			t.Fatalf("audit page: %d", st)
		}
		b.set("#audit-action", "group.create")
		if st := b.submit(`form[action="/console/audit"] button[type=submit]`); st != http.StatusOK {
			t.Fatalf("filter: %d\n%s", st, b.mainText())
		}
		if !strings.Contains(b.location(), "action=group.create") {
			t.Errorf("the filter is not in the address: %s", b.location())
		}
		rows := b.text("main table tbody")
		if !strings.Contains(rows, "G002") || strings.Contains(rows, "user.create") {
			t.Errorf("the filtered log:\n%s", rows)
		}
		if st := b.open("/console/mail?lang=en"); st != http.StatusOK {
			t.Fatalf("outbox: %d", st)
		}
		b.wantText("No SMTP server is configured")
		b.set("#outbox-status", "pending")
		if st := b.submit(`form[action="/console/mail"] button[type=submit]`); st != http.StatusOK {
			t.Fatalf("filter: %d\n%s", st, b.mainText())
		}
		if !strings.Contains(b.location(), "status=pending") {
			t.Errorf("the filter is not in the address: %s", b.location())
		}
		b.wantText("carol@example.co.jp")
	})

	t.Run("administrators' export", func(t *testing.T) {
		b := b.with(t)
		if st := b.open("/console/exports?lang=en"); st != http.StatusOK {
			t.Fatalf("exports page: %d", st)
		}
		before := time.Now()
		name, data := b.download(`form[action="/console/exports/admins"] button[value="utf-8"]`)
		ok := false
		for _, at := range []time.Time{before, time.Now()} {
			ok = ok || name == "admins-"+at.In(s.m.Service.Location()).Format("20060102-1504")+".csv"
		}
		if !ok {
			t.Errorf("downloaded as %q, want admins-YYYYMMDD-HHMM.csv in the configured zone", name)
		}
		if !strings.Contains(string(data), `"admin"`) || strings.Contains(string(data), consolePassword) {
			t.Errorf("the administrators' file:\n%s", data)
		}
		// The users' export is named after its group.
		b.set("#exp-group", "G002")
		if name, _ := b.download(`form[action="/console/exports/users"] button[value="utf-8"]`); !strings.HasPrefix(name, "users-G002-") {
			t.Errorf("the users' export downloaded as %q", name)
		}
	})

	t.Run("own API token, recovery codes and authenticator app", func(t *testing.T) {
		c := newTab(t, startChromium(t, chromium), s.base)
		if _, err := s.m.Service.CreateAdmin(s.sys, service.AdminInput{LoginID: "ops2", Name: "Ops", Password: consolePassword,
			Authorities: meibo.NewAuthorities(meibo.AuthConsole)}); err != nil {
			t.Fatal(err)
		}
		c.signIn("ops2", consolePassword)
		c.open("/console/account/security?lang=en")
		secret, _ := setUpTOTPInBrowser(t, c, "")
		// The next sign-in asks for the code; "cancel" there signs out.
		c.submit(`form[action$="/signout"] button`)
		c.signIn("ops2", consolePassword)
		if !c.exists("#second-submit") {
			t.Fatalf("no second step after the password:\n%s", c.mainText())
		}
		if st := c.submit(`form[action="/console/signout"] button[type=submit]`); st != http.StatusOK || !strings.Contains(c.location(), "/console/signin") {
			t.Fatalf("cancel the second step: %d at %s", st, c.location())
		}
		c.signIn("ops2", consolePassword)
		// The code that confirmed the app was used; the next one works.
		c.set("#code", totpCode(t, secret, time.Now().Add(30*time.Second)))
		if st := c.submit("#second-submit"); st != http.StatusOK || strings.Contains(c.location(), "/signin") {
			t.Fatalf("the code: %d at %s", st, c.location())
		}
		c.open("/console/account/security")
		c.set("#token-name", "script")
		if st := c.submit(`form[action="/console/account/security/token"] button[type=submit]`); st != http.StatusOK {
			t.Fatalf("token: %d\n%s", st, c.mainText())
		}
		if tok := c.text("#shown-once"); !strings.HasPrefix(strings.TrimSpace(tok), "mb") {
			t.Errorf("the token shown once: %q", tok)
		}
		c.open("/console/account/security")
		c.set("#recovery-password", consolePassword)
		if st := c.submit(`form[action="/console/account/security/recovery"] button[type=submit]`); st != http.StatusOK {
			t.Fatalf("recovery codes: %d\n%s", st, c.mainText())
		}
		if n := evalJS[int](c, `document.querySelectorAll("#shown-once li").length`); n != 10 {
			t.Errorf("%d recovery codes shown, want 10", n)
		}
		c.open("/console/account/security")
		c.set("#totp-password", consolePassword)
		if st := c.submit(`form[action="/console/account/security/totp/remove"] button[type=submit]`); st != http.StatusOK {
			t.Fatalf("remove the app: %d\n%s", st, c.mainText())
		}
		c.wantText("The authenticator app was removed")
		f, _, err := s.m.Service.AdminFactors(s.sys, s.adminID(t, "ops2"))
		if err != nil {
			t.Fatal(err)
		}
		if f.TOTP {
			t.Errorf("the app is still set up: %+v", f)
		}
	})

	t.Run("single sign-on links removed", func(t *testing.T) {
		if _, err := s.m.Service.CreateAdmin(s.sys, service.AdminInput{LoginID: "ops3", Name: "Ops 3", Password: consolePassword,
			Authorities: meibo.NewAuthorities(meibo.AuthConsole)}); err != nil {
			t.Fatal(err)
		}
		id := s.adminID(t, "ops3")
		if err := s.m.Service.Store().Update(s.sys, func(tx meibo.Tx) error {
			for _, p := range []string{"corp", "partner"} {
				if err := tx.LinkSSO(s.sys, &meibo.SSOLink{Provider: p, Subject: "ops3@" + p + ".example", AdminID: id}); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		links := func() int {
			f, _, err := s.m.Service.AdminFactors(s.sys, id)
			if err != nil {
				t.Fatal(err)
			}
			return len(f.SSO)
		}
		// Their own: with the password.
		c := newTab(t, startChromium(t, chromium), s.base)
		c.signIn("ops3", consolePassword)
		c.open("/console/account/security?lang=en")
		c.set(`form[action="/console/account/security/sso/corp/remove"] input[name=currentPassword]`, consolePassword)
		if st := c.submit(`form[action="/console/account/security/sso/corp/remove"] button[type=submit]`); st != http.StatusOK {
			t.Fatalf("remove own link: %d\n%s", st, c.mainText())
		}
		if n := links(); n != 1 {
			t.Errorf("%d links after removing one of two", n)
		}
		// Another administrator's, from their security page.
		b := b.with(t)
		if st := b.open(fmt.Sprintf("/console/admins/%d/security?lang=en", id)); st != http.StatusOK {
			t.Fatalf("security page of ops3: %d", st)
		}
		if st := b.submit(fmt.Sprintf(`form[action="/console/admins/%d/security/sso/partner/remove"] button[type=submit]`, id)); st != http.StatusOK {
			t.Fatalf("remove ops3's link: %d\n%s", st, b.mainText())
		}
		if n := links(); n != 0 {
			t.Errorf("%d links left", n)
		}
	})

	t.Run("portal: password and a cancelled command", func(t *testing.T) {
		p := newTab(t, startChromium(t, chromium), s.base)
		tok, _, err := s.m.Service.CreateEnrolmentToken(s.sys, "G001", "alice", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		_, d, err := s.m.Service.Enrol(s.sys, service.EnrolInfo{Token: tok, Name: "Alice's tablet", Serial: "SN-AT", Model: "Tab", Platform: "test"}, "192.0.2.1")
		if err != nil {
			t.Fatal(err)
		}
		p.open("/?lang=en")
		p.set("#group", "G001")
		p.set("#user", "alice")
		p.set("#password", "Sunny-day-123")
		if st := p.submit(`form[action="/signin"] button[type=submit]`); st != http.StatusOK {
			t.Fatalf("sign in: %d", st)
		}
		if st := p.open(fmt.Sprintf("/devices/%d", d.ID)); st != http.StatusOK {
			t.Fatalf("device page: %d", st)
		}
		if st := p.submit(`form input[name=action][value=ring] ~ button`); st != http.StatusOK {
			t.Fatalf("ring: %d\n%s", st, p.mainText())
		}
		if st := p.submit(`form[action^="/commands/"][action$="/cancel"] button[type=submit]`); st != http.StatusOK {
			t.Fatalf("cancel: %d\n%s", st, p.mainText())
		}
		cs, err := s.m.Service.DeviceCommands(s.sys, d.ID, 0)
		if err != nil || len(cs) != 1 || cs[0].Status != meibo.CommandCancelled {
			t.Errorf("commands after cancelling: %+v, %v", cs, err)
		}
		if st := p.open("/password"); st != http.StatusOK {
			t.Fatalf("password page: %d", st)
		}
		p.set("#currentPassword", "Sunny-day-123")
		p.set("#newPassword", "Autumn-leaves-41")
		p.set("#newPassword2", "Autumn-leaves-41")
		if st := p.submit(`form[action="/password"] button[type=submit]`); st != http.StatusOK {
			t.Fatalf("change: %d\n%s", st, p.mainText())
		}
		p.wantText("Your password was changed.")
		if _, _, err := s.m.Service.PortalSignIn(s.sys, "G001", "alice", "Autumn-leaves-41", "192.0.2.1", "test", meibo.English); err != nil {
			t.Errorf("sign in with the new password: %v", err)
		}
	})

	t.Run("reset link asked for", func(t *testing.T) {
		p := newTab(t, startChromium(t, chromium), s.base)
		if st := p.open("/reset?lang=en"); st != http.StatusOK {
			t.Fatalf("reset page: %d", st)
		}
		p.set("#group", "G002")
		p.set("#user", "dave")
		if st := p.submit(`form[action="/reset"] button[type=submit]`); st != http.StatusOK {
			t.Fatalf("ask: %d\n%s", st, p.mainText())
		}
		p.wantText("Check your mail")
		msgs, err := s.m.Service.Mails(s.sys, meibo.MailFilter{Limit: 50})
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, m := range msgs {
			found = found || m.To == "dave@example.com" && m.Kind == meibo.MailReset
		}
		if !found {
			t.Error("no reset mail to dave in the outbox")
		}
	})
}

// TestMailLinkFormInBrowser sends a password-reset link from a user's page
// where an SMTP server is configured, as an administrator does: the button
// queues it and the SMTP server receives it.
func TestMailLinkFormInBrowser(t *testing.T) {
	chromium := requireChromium(t)
	t.Parallel()
	srv := smtptest.Start(t, smtptest.Options{})
	cfg := testConfig(migratedDB(t), io.Discard)
	cfg.AdminPassword = consolePassword
	cfg.Mail = mailConfig{PublicURL: mailPublic, SMTP: srv.Mailer("meibo <noreply@meibo.example.org>")}
	m := NewMain(cfg)
	if err := m.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	sys := meibo.WithActor(context.Background(), meibo.System("browser-test"))
	if _, err := m.Service.CreateGroup(sys, meibo.Group{ID: "G1", Name: "Sales"}); err != nil {
		t.Fatal(err)
	}
	u, err := m.Service.CreateUser(sys, "G1", service.UserInput{Name: "taro", Email: "taro@example.org", Password: "Sunny-day-123"})
	if err != nil {
		t.Fatal(err)
	}
	b := newTab(t, startChromium(t, chromium), m.URL())
	b.signIn("admin", consolePassword)
	if st := b.open(fmt.Sprintf("/console/users/%d?lang=en", u.ID)); st != http.StatusOK {
		t.Fatalf("user page: %d", st)
	}
	if b.exists(`form[action$="/password-link"]`) {
		t.Error("the page offers to issue a link by hand although mail can leave")
	}
	if st := b.submit("#send-reset"); st != http.StatusOK {
		t.Fatalf("send: %d\n%s", st, b.mainText())
	}
	b.wantText("The password-reset link is in the outbox.")
	msg := srv.Wait(t, 1, 20*time.Second)[0]
	if base, _ := mailLink(t, msg); base != mailPublic || msg.To[0] != "taro@example.org" {
		t.Errorf("the reset mail links to %s, goes to %v", base, msg.To)
	}
}

// download presses what sel selects, as a person does, and returns the
// name the browser saved the file under and its bytes.
func (b *browserTab) download(sel string) (string, []byte) {
	b.t.Helper()
	dir := b.t.TempDir()
	ctx, cancel := b.timed()
	defer cancel()
	begin := chromedp.Events(ctx, browser.DownloadWillBegin)
	progress := chromedp.Events(ctx, browser.DownloadProgress)
	events := true
	if _, err := chromedp.Call(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior:         browser.SetDownloadBehaviorBehaviorAllowAndName,
		BrowserContextID: chromedp.FromContext(b.ctx).BrowserContextID,
		DownloadPath:     dir,
		EventsEnabled:    &events,
	}); err != nil {
		b.t.Fatalf("set the download folder: %v", err)
	}
	b.click(sel)
	var name, guid string
	for ev, err := range begin {
		if err != nil {
			b.t.Fatalf("waiting for the download: %v", err)
		}
		name, guid = ev.SuggestedFilename, ev.GUID
		break
	}
	for ev, err := range progress {
		if err != nil {
			b.t.Fatalf("waiting for the download to finish: %v", err)
		}
		if ev.GUID != guid || ev.State == browser.DownloadProgressStateInProgress {
			continue
		}
		if ev.State != browser.DownloadProgressStateCompleted {
			b.t.Fatalf("download %s", ev.State)
		}
		break
	}
	data, err := os.ReadFile(filepath.Join(dir, guid))
	if err != nil {
		b.t.Fatal(err)
	}
	return name, data
}
