package console

import (
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"testing"

	"github.com/meibo/meibo"
)

func TestAccountPage(t *testing.T) {
	e := newAEnv(t)

	// An administrator with no viewing authority sees their account and
	// nothing else.
	b := e.admin("blind")
	r := b.get(Prefix + "/account")
	r.expect(t, "account", http.StatusOK, aEn("account.title"), "<code>blind</code>", "The blind", "blind@example.net",
		meibo.AuthNoViewing.Label(meibo.English), aEn("account.column", 4), `action="/console/account/password"`)
	r.lacks(t, "account", `href="/console/groups"`, `href="/console/users"`, `href="/console/settings"`)
	b.lang = "ja"
	b.get(Prefix+"/account").expect(t, "account in Japanese", http.StatusOK, aJa("account.title"), meibo.AuthNoViewing.Label(meibo.Japanese),
		aJa("account.password.current"))
	b.lang = ""
	b.get(Prefix+"/groups").expect(t, "groups without viewing authority", http.StatusForbidden)

	// A department administrator sees their authorities and groups.
	e.admin("dept").get(Prefix+"/account").expect(t, "department", http.StatusOK, meibo.AuthConsole.Label(meibo.English),
		meibo.AuthDepartment.Label(meibo.English), "<code>G1</code>")

	const next = "Amber-canyon-17"
	change := func(current, password, repeat string) aResp {
		return b.post(Prefix+"/account/password", url.Values{"currentPassword": {current}, "password": {password}, "repeat": {repeat}})
	}
	r = change("Wrong-pass-phrase-1", next, next)
	r.expect(t, "wrong current password", http.StatusUnprocessableEntity,
		`<div class="field-error" id="currentPassword-error">`+aMsg(meibo.English, "login.failed")+`</div>`)
	r.lacks(t, "wrong current password", "Wrong-pass-phrase-1", next)
	b.lang = "ja"
	change(aAdminPassword, next, next+"x").expect(t, "repeat differs", http.StatusUnprocessableEntity,
		`<div class="field-error" id="repeat-error">`+aJa("account.password.mismatch")+`</div>`)
	b.lang = ""
	change(aAdminPassword, "short", "short").expect(t, "too short", http.StatusUnprocessableEntity,
		`<div class="field-error" id="password-error">`+aMsg(meibo.English, "password.short", meibo.PasswordMinLength)+`</div>`)
	change(aAdminPassword, "blind-password-1", "blind-password-1").expect(t, "own ID", http.StatusUnprocessableEntity,
		aMsg(meibo.English, "password.own_id"))
	b.send("POST", Prefix+"/account/password", url.Values{"currentPassword": {aAdminPassword}, "password": {next}, "repeat": {next}}).
		expect(t, "no token", http.StatusForbidden)

	// Another browser of the same administrator is signed out by the change;
	// this one stays.
	other := e.admin("blind")
	r = change(aAdminPassword, next, next)
	b.redirected("change", r, Prefix+"/account?done=account.password").expect(t, "changed", http.StatusOK, aEn("done.account.password"))
	if r := other.get(Prefix + "/account"); r.status != http.StatusSeeOther {
		t.Errorf("the other browser is still signed in: %d", r.status)
	}
	e.browser("blind", next)
	jar, _ := cookiejar.New(nil)
	fresh := &aBrowser{e: e, client: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	page := fresh.get(Prefix + "/signin")
	token := aCSRFField.FindStringSubmatch(page.body)[1]
	old := fresh.send("POST", Prefix+"/signin", url.Values{"csrf": {token}, "loginId": {"blind"}, "password": {aAdminPassword}})
	old.expect(t, "old password", http.StatusUnauthorized)
}
