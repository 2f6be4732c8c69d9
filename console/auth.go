package console

import (
	"net/http"
	"strings"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/sso"
	"github.com/meibo/meibo/web"
)

type signInData struct {
	LoginID string
	Next    string
	SSO     []sso.Provider // "Sign in with …"
	// SSOOpen: signed out of meibo, the provider's session may be open.
	SSOOpen bool
}

// safeNext keeps a "next" address only when it is a path of the console.
func safeNext(next string) string {
	if strings.HasPrefix(next, Prefix+"/") && !strings.HasPrefix(next, "//") && !strings.ContainsAny(next, "\\\r\n") {
		return next
	}
	return Prefix + "/"
}

func (c *Console) handleSignIn(w http.ResponseWriter, r *http.Request) {
	lang := web.Lang(w, r)
	p := &web.Page{Lang: lang, Title: web.T(lang, "signin.title"), Path: r.URL.Path, Query: r.URL.RawQuery, CSRF: web.FormToken(w, r),
		Data: signInData{Next: r.URL.Query().Get("next"), SSO: c.sso.Providers()}}
	if r.URL.Query().Get("ended") != "" {
		p.Message = web.T(lang, "signin.ended")
	}
	if m, open := c.signedOutMessage(lang, r.URL.Query()); m != "" {
		p.Message = m
		p.Data = signInData{Next: r.URL.Query().Get("next"), SSO: c.sso.Providers(), SSOOpen: open}
	}
	if r.URL.Query().Get("restored") != "" {
		p.Message = web.T(lang, "signin.restored")
	}
	c.render.Render(w, http.StatusOK, "signin", p)
}

// handleSignInPost signs in: a new session (and cookie) at every sign-in;
// every refusal the same generic message, but for a correct password of an
// administrator who must sign in with the identity provider
// (passwordOffWithSso), who is told so.
func (c *Console) handleSignInPost(w http.ResponseWriter, r *http.Request) {
	lang := web.Lang(w, r)
	d := signInData{LoginID: r.PostFormValue("loginId"), Next: r.PostFormValue("next"), SSO: c.sso.Providers()}
	p := &web.Page{Lang: lang, Title: web.T(lang, "signin.title"), Path: r.URL.Path, Data: d}
	if !web.CheckFormToken(r) {
		p.CSRF, p.Message = web.FormToken(w, r), web.T(lang, "form.expired")
		c.render.Render(w, http.StatusForbidden, "signin", p)
		return
	}
	p.CSRF = web.FormToken(w, r)
	secret, _, err := c.svc.SignIn(r.Context(), d.LoginID, r.PostFormValue("password"), web.ClientAddr(r), r.UserAgent(), lang)
	if err != nil {
		status := http.StatusUnauthorized
		switch meibo.ErrorCode(err) {
		case meibo.CodeUnauthorized:
			p.Message = meibo.M("login.failed").In(lang)
			if meibo.AsError(err).Msg.Key == "mfa.password.off" {
				// Said only after the password was found correct (the
				// service checks it first), so a guess learns nothing.
				p.Message = meibo.AsError(err).Msg.In(lang)
				c.svc.PasswordOffRefused(r.Context(), d.LoginID, web.ClientAddr(r))
			}
		case meibo.CodeRateLimited:
			status, p.Message = http.StatusTooManyRequests, meibo.AsError(err).Msg.In(lang)
		default:
			c.log.Error("console sign-in", "err", err)
			status, p.Message = http.StatusInternalServerError, web.T(lang, "error.internal")
		}
		c.render.Render(w, status, "signin", p)
		return
	}
	c.setCookie(w, r, secret)
	http.Redirect(w, r, safeNext(d.Next), http.StatusSeeOther)
}

func (c *Console) handleSignOut(q *req) {
	c.signOut(q.ctx, q.w, q.r)
}
