package console

import (
	"crypto/subtle"
	"encoding/base64"
	"html/template"
	"net/http"
	"strconv"
	"strings"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/web"
)

// The pages of administrators' second factors: the second step of signing
// in, the own account's security page (authenticator app, passkeys,
// recovery codes, sessions, API tokens), an administrator's factors and
// their reset for managers, and the policy.
//
// A session that must set up a second factor reaches only the security
// page and what it links to (factorAuthed); one waiting for its second
// factor reaches only the second step.

// Paths of the two steps a half signed-in session is sent to.
const (
	secondPath   = Prefix + "/signin/second"
	securityPath = Prefix + "/account/security"
)

func (c *Console) factorRoutes(mux *http.ServeMux, a func(string, handler)) {
	h := func(pattern string, fn func(http.ResponseWriter, *http.Request)) {
		mux.Handle(pattern, web.Secure(http.HandlerFunc(fn)))
	}
	h("GET "+secondPath, c.handleSecond)
	h("POST "+secondPath, c.handleSecondPost)
	f := func(pattern string, fn handler) {
		mux.Handle(pattern, web.Secure(c.factorAuthed(fn)))
	}
	f("GET "+securityPath, c.handleSecurity)
	f("GET "+securityPath+"/totp", c.handleTOTPBegin)
	f("POST "+securityPath+"/totp", c.handleTOTPConfirm)
	f("POST "+securityPath+"/totp/remove", c.handleTOTPRemove)
	f("POST "+securityPath+"/recovery", c.handleRecoveryNew)
	a("POST "+securityPath+"/token", c.handleSessionToken)
	a("POST "+securityPath+"/sessions/end", c.handleEndOtherSessions)
	a("GET "+Prefix+"/admins/{id}/security", c.handleAdminSecurity)
	a("POST "+Prefix+"/admins/{id}/security/reset", c.handleAdminReset)
	a("POST "+Prefix+"/admins/{id}/security/sso/{provider}/remove", c.handleAdminUnlink)
	a("POST "+securityPath+"/sso/{provider}/remove", c.handleUnlink)
	a("GET "+Prefix+"/admins/policy", c.handlePolicy)
	a("POST "+Prefix+"/admins/policy", c.handlePolicySave)
	c.passkeyRoutes(mux, f)
	h("GET "+Prefix+"/signin/sso/{id}", c.handleSSOStart)
	h("GET "+Prefix+"/signin/sso/{id}/callback", c.handleSSOCallback)
}

// pending answers a request of a half signed-in session: sign-out ends it,
// anything else is sent to the step that completes it. It reports whether
// it answered.
func (c *Console) pending(w http.ResponseWriter, r *http.Request, sess *meibo.Session) bool {
	if sess == nil || sess.Stage == meibo.StageComplete {
		return false
	}
	if r.Method == http.MethodPost && r.URL.Path == Prefix+"/signout" {
		if subtle.ConstantTimeCompare([]byte(r.PostFormValue("csrf")), []byte(sess.CSRF)) == 1 {
			c.signOut(r.Context(), w, r)
			return true
		}
	}
	to := secondPath
	if sess.Stage == meibo.StageSetup {
		to = securityPath
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
	return true
}

// factorAuthed is authed for the security pages: a complete session, or one
// that must set up a second factor (its actor holds no authority).
func (c *Console) factorAuthed(fn handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		lang := web.Lang(w, r)
		actor, sess, err := c.svc.FactorActor(r.Context(), web.CookieValue(r, cookieName), web.ClientAddr(r))
		if err != nil {
			if c.pending(w, r, sess) {
				return
			}
			if meibo.ErrorCode(err) != meibo.CodeUnauthorized {
				c.log.Error("console session", "err", err)
			}
			http.Redirect(w, r, Prefix+"/signin"+queryString("next", r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		q := &req{w: w, r: r, ctx: meibo.WithActor(r.Context(), actor), actor: actor, sess: sess, lang: lang}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
			token := r.Header.Get("X-CSRF-Token")
			if token == "" {
				token = r.PostFormValue("csrf")
			}
			if subtle.ConstantTimeCompare([]byte(token), []byte(sess.CSRF)) != 1 {
				c.page(q, http.StatusForbidden, "error", "error.csrf.title", nil, web.T(lang, "error.csrf"))
				return
			}
		}
		fn(q)
	})
}

// secondData is the second step of signing in.
type secondData struct {
	LoginID string
	TOTP    bool
	Passkey bool
}

func (c *Console) secondPage(w http.ResponseWriter, r *http.Request, status int, message string) {
	lang := web.Lang(w, r)
	sess, ad, err := c.svc.PendingSession(r.Context(), web.CookieValue(r, cookieName))
	if err != nil || sess.Stage != meibo.StageSecond {
		if err == nil && c.pending(w, r, sess) {
			return
		}
		http.Redirect(w, r, Prefix+"/", http.StatusSeeOther)
		return
	}
	d := secondData{LoginID: ad.LoginID}
	if f, err := c.svc.PendingFactors(r.Context(), sess); err == nil {
		d.TOTP, d.Passkey = f.TOTP, len(f.Passkeys) > 0
	}
	p := &web.Page{Lang: lang, Title: web.T(lang, "second.title"), Path: r.URL.Path, CSRF: sess.CSRF, Data: d, Message: message}
	c.render.Render(w, status, "signin_second", p)
}

func (c *Console) handleSecond(w http.ResponseWriter, r *http.Request) {
	c.secondPage(w, r, http.StatusOK, "")
}

// handleSecondPost checks an authenticator or recovery code.
func (c *Console) handleSecondPost(w http.ResponseWriter, r *http.Request) {
	lang := web.Lang(w, r)
	secret := web.CookieValue(r, cookieName)
	sess, _, err := c.svc.PendingSession(r.Context(), secret)
	if err != nil {
		http.Redirect(w, r, Prefix+"/signin", http.StatusSeeOther)
		return
	}
	if subtle.ConstantTimeCompare([]byte(r.PostFormValue("csrf")), []byte(sess.CSRF)) != 1 {
		c.secondPage(w, r, http.StatusForbidden, web.T(lang, "form.expired"))
		return
	}
	err = c.svc.SecondFactor(r.Context(), secret, r.PostFormValue("code"), web.ClientAddr(r))
	if err != nil {
		status := http.StatusUnauthorized
		if meibo.ErrorCode(err) == meibo.CodeRateLimited {
			status = http.StatusTooManyRequests
		} else if meibo.ErrorCode(err) == meibo.CodeInternal {
			c.log.Error("second factor", "err", err)
			status = http.StatusInternalServerError
		}
		c.secondPage(w, r, status, meibo.AsError(err).Msg.In(lang))
		return
	}
	http.Redirect(w, r, safeNext(r.PostFormValue("next")), http.StatusSeeOther)
}

// securityData is the own account's security page.
type securityData struct {
	Admin    *meibo.Admin
	Factors  *meibo.Factors
	Sessions []*meibo.Session
	Current  string // the hash of this session
	Setup    bool   // the session must set up a factor first
	Self     bool   // the administrator is the one signed in
	Own      bool   // the own security page (with its forms)
	Lang     meibo.Lang
	CSRF     string
}

func (c *Console) security(q *req) (*securityData, error) {
	ad, err := c.svc.Admin(q.ctx, q.actor.ID)
	if err != nil && meibo.ErrorCode(err) == meibo.CodeForbidden {
		// The set-up actor holds no authority; it reads its own record.
		ad = &meibo.Admin{ID: q.actor.ID, LoginID: q.actor.Name}
	} else if err != nil {
		return nil, err
	}
	f, sessions, err := c.svc.AdminFactors(q.ctx, q.actor.ID)
	if err != nil {
		return nil, err
	}
	return &securityData{Admin: ad, Factors: f, Sessions: sessions, Current: q.sess.Hash, Setup: q.sess.Stage == meibo.StageSetup, Self: true,
		Own: true, Lang: q.lang, CSRF: q.sess.CSRF}, nil
}

func (c *Console) handleSecurity(q *req) {
	d, err := c.security(q)
	if err != nil {
		c.fail(q, err)
		return
	}
	msg := notice(q)
	if d.Setup {
		msg = web.T(q.lang, "security.setup.required")
	}
	c.page(q, http.StatusOK, "security", "security.title", d, msg)
}

// securityForm renders the security page again with an error.
func (c *Console) securityForm(q *req, err error) {
	d, err2 := c.security(q)
	if err2 != nil {
		c.fail(q, err2)
		return
	}
	c.form(q, http.StatusUnprocessableEntity, "security", "security.title", d, err)
}

// totpData is the authenticator set-up page.
type totpData struct {
	Secret string
	QR     template.URL // a data: URL of the PNG
	Failed bool
}

func (c *Console) handleTOTPBegin(q *req) {
	setup, err := c.svc.BeginTOTP(q.ctx)
	if err != nil {
		c.fail(q, err)
		return
	}
	d := totpData{Secret: setup.Secret, QR: template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(setup.QR))}
	c.page(q, http.StatusOK, "totp_setup", "totp.title", d, "")
}

// handleTOTPConfirm confirms the authenticator with a first code and shows
// the recovery codes, once.
func (c *Console) handleTOTPConfirm(q *req) {
	codes, err := c.svc.ConfirmTOTP(q.ctx, q.r.PostFormValue("code"))
	if err != nil {
		if e := meibo.AsError(err); e.Code == meibo.CodeInvalid || e.Code == meibo.CodeRateLimited {
			// The same secret stays pending: show it again.
			setup, err2 := c.svc.BeginTOTP(q.ctx)
			if err2 != nil {
				c.fail(q, err2)
				return
			}
			d := totpData{Secret: setup.Secret, QR: template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(setup.QR)), Failed: true}
			c.form(q, http.StatusUnprocessableEntity, "totp_setup", "totp.title", d, err)
			return
		}
		c.fail(q, err)
		return
	}
	c.shownOnce(q, "recovery.title", "recovery.intro", codes, securityPath+"?done=totp.added")
}

// onceData is a page showing secrets once (recovery codes, a token).
type onceData struct {
	Intro string
	Items []string
	Next  string
}

func (c *Console) shownOnce(q *req, title, intro string, items []string, next string) {
	if len(items) == 0 {
		c.redirect(q, next, "")
		return
	}
	c.page(q, http.StatusOK, "shown_once", title, onceData{Intro: web.T(q.lang, intro), Items: items, Next: next}, "")
}

func (c *Console) handleTOTPRemove(q *req) {
	if err := c.svc.RemoveTOTP(q.ctx, q.r.PostFormValue("currentPassword")); err != nil {
		c.securityForm(q, err)
		return
	}
	c.redirect(q, securityPath, "totp.removed")
}

func (c *Console) handleRecoveryNew(q *req) {
	codes, err := c.svc.NewRecoveryCodes(q.ctx, q.r.PostFormValue("currentPassword"))
	if err != nil {
		c.securityForm(q, err)
		return
	}
	c.shownOnce(q, "recovery.title", "recovery.intro", codes, securityPath)
}

// handleSessionToken makes an API token from this (complete) session.
func (c *Console) handleSessionToken(q *req) {
	tok, _, err := c.svc.SessionToken(q.ctx, q.r.PostFormValue("name"))
	if err != nil {
		c.securityForm(q, err)
		return
	}
	c.shownOnce(q, "token.title", "token.intro", []string{tok}, securityPath)
}

// handleEndOtherSessions signs the administrator out everywhere but here.
func (c *Console) handleEndOtherSessions(q *req) {
	if err := c.svc.EndOtherSessions(q.ctx); err != nil {
		c.securityForm(q, err)
		return
	}
	c.redirect(q, securityPath, "sessions.ended")
}

// handleAdminSecurity shows an administrator's factors and sessions to a
// manager of administrators, with the reset button.
func (c *Console) handleAdminSecurity(q *req) {
	ad, err := c.adminByPath(q)
	if err != nil {
		c.fail(q, err)
		return
	}
	f, sessions, err := c.svc.AdminFactors(q.ctx, ad.ID)
	if err != nil {
		c.fail(q, err)
		return
	}
	d := &securityData{Admin: ad, Factors: f, Sessions: sessions, Current: q.sess.Hash, Self: ad.ID == q.actor.ID,
		Lang: q.lang, CSRF: q.sess.CSRF}
	c.page(q, http.StatusOK, "admin_security", "security.admin.title", d, notice(q))
}

func (c *Console) handleAdminReset(q *req) {
	ad, err := c.adminByPath(q)
	if err != nil {
		c.fail(q, err)
		return
	}
	if err := c.svc.ResetFactors(q.ctx, ad.ID); err != nil {
		c.fail(q, err)
		return
	}
	c.redirect(q, Prefix+"/admins/"+strconv.FormatInt(ad.ID, 10)+"/security", "mfa.reset")
}

// policyData is the second-factor policy form.
type policyData struct {
	Mode        string // none, all, some
	Authorities []policyAuthority
}

type policyAuthority struct {
	meibo.Authority
	Checked bool
}

func policyForm(p meibo.MFAPolicy) policyData {
	d := policyData{Mode: "none"}
	switch {
	case p.All:
		d.Mode = "all"
	case p.Authorities != 0:
		d.Mode = "some"
	}
	for _, au := range meibo.AllAuthorities {
		d.Authorities = append(d.Authorities, policyAuthority{Authority: au, Checked: p.Authorities.Has(au)})
	}
	return d
}

func (c *Console) handlePolicy(q *req) {
	if !q.actor.Authorities.ManagesAdmins() {
		c.fail(q, meibo.Forbidden("forbidden.admins"))
		return
	}
	p, err := c.svc.MFAPolicy(q.ctx)
	if err != nil {
		c.fail(q, err)
		return
	}
	c.page(q, http.StatusOK, "mfa_policy", "policy.title", policyForm(p), notice(q))
}

func (c *Console) handlePolicySave(q *req) {
	var p meibo.MFAPolicy
	switch q.r.PostFormValue("mode") {
	case "all":
		p.All = true
	case "some":
		for _, v := range q.r.PostForm["authority"] {
			n, err := strconv.Atoi(v)
			if err == nil && meibo.Authority(n).Valid() {
				p.Authorities = p.Authorities.With(meibo.Authority(n))
			}
		}
	}
	if err := c.svc.SetMFAPolicy(q.ctx, p); err != nil {
		c.form(q, http.StatusUnprocessableEntity, "mfa_policy", "policy.title", policyForm(p), err)
		return
	}
	c.redirect(q, Prefix+"/admins/policy", "policy.saved")
}

// handleUnlink removes the administrator's own link to an identity
// provider, after the password.
func (c *Console) handleUnlink(q *req) {
	if err := c.svc.RemoveSSOLinks(q.ctx, q.actor.ID, q.r.PathValue("provider"), q.r.PostFormValue("currentPassword")); err != nil {
		if e := meibo.AsError(err); e.Code == meibo.CodeNotFound || e.Code == meibo.CodeInternal {
			c.fail(q, err)
			return
		}
		c.securityForm(q, err)
		return
	}
	c.redirect(q, securityPath, "sso.unlinked")
}

// handleAdminUnlink removes an administrator's link to an identity provider
// (a manager of administrators), ending their sessions.
func (c *Console) handleAdminUnlink(q *req) {
	ad, err := c.adminByPath(q)
	if err != nil {
		c.fail(q, err)
		return
	}
	if err := c.svc.RemoveSSOLinks(q.ctx, ad.ID, q.r.PathValue("provider"), ""); err != nil {
		c.fail(q, err)
		return
	}
	c.redirect(q, Prefix+"/admins/"+strconv.FormatInt(ad.ID, 10)+"/security", "sso.unlinked")
}

// methodsText writes the methods a session was signed in with, as the
// session records them ("password+totp", "sso:entra+mfa"), in lang:
// "Password + Authenticator app". A method it does not know stays as it is.
func methodsText(lang meibo.Lang, methods string) string {
	parts := strings.Split(methods, "+")
	for i, m := range parts {
		if provider, ok := strings.CutPrefix(m, meibo.MethodSSO+":"); ok {
			parts[i] = web.T(lang, "security.method.sso", provider)
		} else if key := "security.method." + m; web.T(lang, key) != key {
			parts[i] = web.T(lang, key)
		}
	}
	return strings.Join(parts, " + ")
}
