package console

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/meibo/meibo"
)

func (c *Console) settingsRoutes(a func(string, handler)) {
	a("GET "+Prefix+"/settings", c.handleSettings)
	a("POST "+Prefix+"/settings", c.handleSettingsSave)
}

// settingsData is the settings form: the values as typed, by stored key.
type settingsData struct {
	LicenceLimit string
	Encoding     string
	MailLanguage string
	Used         int  // unified users now
	HasUsed      bool // Used is known
	Failed       bool
}

// settingsFrom fills the form from stored settings.
func settingsFrom(st meibo.Settings) settingsData {
	return settingsData{LicenceLimit: strconv.Itoa(st.LicenceLimit), Encoding: st.AdminCSVEncoding, MailLanguage: string(st.MailLanguage)}
}

// withUsage adds the licence count, shown next to the limit.
func (c *Console) withUsage(q *req, d settingsData) settingsData {
	if l, err := c.svc.Licence(q.ctx); err == nil {
		d.Used, d.HasUsed = l.Used, true
	}
	return d
}

// handleSettings shows the settings to administrators who may change them.
// Any console administrator may read them (the service lets the JSON API
// tell everyone the CSV encoding), but this page is for changing them, so
// it answers the others as the service answers their change.
func (c *Console) handleSettings(q *req) {
	if !q.actor.Authorities.ManagesAdmins() {
		c.fail(q, meibo.Forbidden("forbidden.admins"))
		return
	}
	st, err := c.svc.Settings(q.ctx)
	if err != nil {
		c.fail(q, err)
		return
	}
	c.page(q, http.StatusOK, "settings", "settings.title", c.withUsage(q, settingsFrom(st)), notice(q))
}

func (c *Console) handleSettingsSave(q *req) {
	d := settingsData{
		LicenceLimit: strings.TrimSpace(q.r.PostFormValue(meibo.SettingLicenceLimit)),
		Encoding:     q.r.PostFormValue(meibo.SettingAdminCSVEncoding),
		MailLanguage: q.r.PostFormValue(meibo.SettingMailLanguage),
	}
	values := map[string]string{
		meibo.SettingLicenceLimit:     d.LicenceLimit,
		meibo.SettingAdminCSVEncoding: d.Encoding,
		meibo.SettingMailLanguage:     d.MailLanguage,
	}
	if _, err := c.svc.UpdateSettings(q.ctx, values); err != nil {
		d.Failed = true
		c.retypeOrFail(q, "settings", "settings.title", c.withUsage(q, d), err)
		return
	}
	c.redirect(q, Prefix+"/settings", "settings.saved")
}
