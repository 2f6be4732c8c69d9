package console

import (
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"testing"

	"github.com/meibo/meibo"
)

func TestAccountPage(t *testing.T) {
	e := newEnv(t)

	// An administrator with no viewing authority sees their account and
	// nothing else.
	b := e.admin("blind")
	r := b.get(Prefix + "/account")
	r.expect(t, "account", http.StatusOK, enText("account.title"), "<code>blind</code>", "The blind", "blind@example.net",
		meibo.AuthNoViewing.Label(meibo.English), enText("account.column", 4), `action="/console/account/password"`)
	r.lacks(t, "account", `href="/console/groups"`, `href="/console/users"`, `href="/console/settings"`)
	b.lang = "ja"
	b.get(Prefix+"/account").expect(t, "account in Japanese", http.StatusOK, jaText("account.title"), meibo.AuthNoViewing.Label(meibo.Japanese),
		jaText("account.password.current"))
	b.lang = ""
	b.get(Prefix+"/groups").expect(t, "groups without viewing authority", http.StatusForbidden)

	// A department administrator sees their authorities and groups.
	e.admin("dept").get(Prefix+"/account").expect(t, "department", http.StatusOK, meibo.AuthConsole.Label(meibo.English),
		meibo.AuthDepartment.Label(meibo.English), "<code>G1</code>")

	const next = "Amber-canyon-17"
	change := func(current, password, repeat string) resp {
		return b.post(Prefix+"/account/password", url.Values{"currentPassword": {current}, "password": {password}, "repeat": {repeat}})
	}
	r = change("Wrong-pass-phrase-1", next, next)
	r.expect(t, "wrong current password", http.StatusUnprocessableEntity,
		`<div class="field-error" id="currentPassword-error">`+msgText(meibo.English, "password.current")+`</div>`)
	r.lacks(t, "wrong current password", "Wrong-pass-phrase-1", next)
	b.lang = "ja"
	change(adminPassword, next, next+"x").expect(t, "repeat differs", http.StatusUnprocessableEntity,
		`<div class="field-error" id="repeat-error">`+jaText("account.password.mismatch")+`</div>`)
	b.lang = ""
	change(adminPassword, "short", "short").expect(t, "too short", http.StatusUnprocessableEntity,
		`<div class="field-error" id="password-error">`+msgText(meibo.English, "password.short", meibo.PasswordMinLength)+`</div>`)
	change(adminPassword, "blind-password-1", "blind-password-1").expect(t, "own ID", http.StatusUnprocessableEntity,
		msgText(meibo.English, "password.own_id"))
	b.send("POST", Prefix+"/account/password", url.Values{"currentPassword": {adminPassword}, "password": {next}, "repeat": {next}}).
		expect(t, "no token", http.StatusForbidden)

	// Another browser of the same administrator is signed out by the change;
	// this one stays.
	other := e.admin("blind")
	r = change(adminPassword, next, next)
	b.redirected("change", r, Prefix+"/account?done=account.password").expect(t, "changed", http.StatusOK, enText("done.account.password"))
	if r := other.get(Prefix + "/account"); r.status != http.StatusSeeOther {
		t.Errorf("the other browser is still signed in: %d", r.status)
	}
	e.browser("blind", next)
	jar, _ := cookiejar.New(nil)
	fresh := &client{e: e, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	page := fresh.get(Prefix + "/signin")
	token := csrfField.FindStringSubmatch(page.body)[1]
	old := fresh.send("POST", Prefix+"/signin", url.Values{"csrf": {token}, "loginId": {"blind"}, "password": {adminPassword}})
	old.expect(t, "old password", http.StatusUnauthorized)
}
