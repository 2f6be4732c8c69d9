package console

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/meibo/meibo"
)

func TestSettingsPage(t *testing.T) {
	e := newEnv(t)
	b := e.admin("manager")
	r := b.get(Prefix + "/settings")
	r.expect(t, "settings", http.StatusOK, enText("settings.title"), `name="licence_limit" value="0"`, `<option value="utf-8" selected>`,
		`<option value="en" selected lang="en">`, enText("settings.licence.used", 1))
	b.lang = "ja"
	b.get(Prefix+"/settings").expect(t, "settings in Japanese", http.StatusOK, jaText("settings.licence"), jaText("settings.encoding"), jaText("settings.mail"))
	b.lang = ""

	// Field errors, with what was typed.
	r = b.post(Prefix+"/settings", url.Values{"licence_limit": {"-3"}, "admin_csv_encoding": {"cp932"}, "mail_language": {"fr"}})
	r.expect(t, "bad values", http.StatusUnprocessableEntity, `value="-3"`, `<option value="cp932" selected>`,
		`<div class="field-error" id="licence_limit-error">`+msgText(meibo.English, "settings.licence")+`</div>`,
		`<div class="field-error" id="mail_language-error">`+msgText(meibo.English, "settings.language")+`</div>`)
	r.lacks(t, "bad values", `id="admin_csv_encoding-error"`)
	if st, _ := e.svc.Settings(e.sys); st != meibo.DefaultSettings {
		t.Errorf("settings changed by a refused form: %+v", st)
	}

	r = b.post(Prefix+"/settings", url.Values{"licence_limit": {" 25 "}, "admin_csv_encoding": {"cp932"}, "mail_language": {"ja"}})
	r = b.redirected("save", r, Prefix+"/settings?done=settings.saved")
	r.expect(t, "saved", http.StatusOK, enText("done.settings.saved"), `value="25"`, `<option value="cp932" selected>`)
	want := meibo.Settings{LicenceLimit: 25, AdminCSVEncoding: "cp932", MailLanguage: meibo.Japanese}
	if st, _ := e.svc.Settings(e.sys); st != want {
		t.Errorf("settings: %+v, want %+v", st, want)
	}

	// Only administrators who manage administrators: the page is refused to
	// the others and the service refuses their change.
	for _, who := range []string{"dept", "settings", "blind", "viewer"} {
		o := e.admin(who)
		o.get(Prefix+"/settings").expect(t, who, http.StatusForbidden)
		o.get(Prefix+"/").lacks(t, who+"'s navigation", `href="/console/settings"`)
		o.post(Prefix+"/settings", url.Values{"licence_limit": {"1"}, "admin_csv_encoding": {"utf-8"}, "mail_language": {"en"}}).
			expect(t, who+" saving", http.StatusForbidden)
	}
	if st, _ := e.svc.Settings(e.sys); st != want {
		t.Errorf("settings changed by an administrator without the authority: %+v", st)
	}

	// Without the token, nothing changes.
	b.send("POST", Prefix+"/settings", url.Values{"licence_limit": {"1"}, "admin_csv_encoding": {"utf-8"}, "mail_language": {"en"}}).
		expect(t, "no token", http.StatusForbidden)
	if st, _ := e.svc.Settings(e.sys); st != want {
		t.Errorf("settings changed without a token: %+v", st)
	}
}
