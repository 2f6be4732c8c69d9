package console

import (
	"net/http"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/web"
)

func (c *Console) accountRoutes(a func(string, handler)) {
	a("GET "+Prefix+"/account", c.handleAccount)
	a("POST "+Prefix+"/account/password", c.handleAccountPassword)
	a("GET "+Prefix+"/account/password", func(q *req) { http.Redirect(q.w, q.r, Prefix+"/account", http.StatusSeeOther) })
}

// accountData is the signed-in administrator's own account. Every
// administrator may see it, also one with "no viewing authority".
type accountData struct {
	Admin       *meibo.Admin
	Authorities []meibo.Authority
	Failed      bool
	First       bool // the printed first-run password must be changed
}

func (c *Console) account(q *req) (*accountData, error) {
	ad, err := c.svc.Admin(q.ctx, q.actor.ID)
	if err != nil {
		return nil, err
	}
	return &accountData{Admin: ad, Authorities: ad.Authorities.List(), First: ad.MustChangePassword()}, nil
}

func (c *Console) handleAccount(q *req) {
	d, err := c.account(q)
	if err != nil {
		c.fail(q, err)
		return
	}
	c.page(q, http.StatusOK, "account", "account.title", d, notice(q))
}

// handleAccountPassword changes the administrator's own password. The
// passwords typed are never written back into the page.
func (c *Console) handleAccountPassword(q *req) {
	d, err := c.account(q)
	if err != nil {
		c.fail(q, err)
		return
	}
	d.Failed = true
	current, next := q.r.PostFormValue("currentPassword"), q.r.PostFormValue("password")
	if next != q.r.PostFormValue("repeat") {
		// The console's own check, before the service: a label, not a
		// message of the domain's catalogue.
		m := web.T(q.lang, "account.password.mismatch")
		c.render.Render(q.w, http.StatusUnprocessableEntity, "account", &web.Page{Lang: q.lang, Title: web.T(q.lang, "account.title"),
			Path: q.r.URL.Path, Data: d, Nav: c.nav(q), CSRF: q.sess.CSRF, Errors: map[string]string{"repeat": m}, Message: m})
		return
	}
	if err := c.svc.ChangeOwnPassword(q.ctx, current, next); err != nil {
		c.retypeOrFail(q, "account", "account.title", d, err)
		return
	}
	if d.First {
		c.redirect(q, Prefix+"/", "firstpassword")
		return
	}
	c.redirect(q, Prefix+"/account", "account.password")
}
