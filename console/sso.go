package console

import (
	"encoding/json"
	"net/http"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/service"
	"github.com/meibo/meibo/sso"
	"github.com/meibo/meibo/web"
)

// ssoCookie finds the state of a sign-in sent to an identity provider. It
// is sent back on the provider's top-level redirect (SameSite=Lax).
const ssoCookie = "meibo_sso"

// handleSSOStart sends the browser to an identity provider.
func (c *Console) handleSSOStart(w http.ResponseWriter, r *http.Request) {
	lang := web.Lang(w, r)
	if c.sso == nil {
		c.handleNotFound(w, r)
		return
	}
	u, flow, err := c.sso.Start(r.Context(), r.PathValue("id"), r.URL.Query().Get("next"))
	if meibo.ErrorCode(err) == meibo.CodeNotFound {
		c.handleNotFound(w, r)
		return
	}
	if err != nil {
		c.log.Error("sso start", "provider", r.PathValue("id"), "err", err)
		c.ssoRefused(w, r, http.StatusBadGateway, meibo.M("sso.failed").In(lang))
		return
	}
	data, _ := json.Marshal(flow)
	secret, err := c.svc.SaveSSOFlow(r.Context(), string(data))
	if err != nil {
		c.log.Error("sso start", "err", err)
		c.ssoRefused(w, r, http.StatusInternalServerError, web.T(lang, "error.internal"))
		return
	}
	web.SetCookie(w, r, &http.Cookie{Name: ssoCookie, Value: secret, Path: Prefix + "/", MaxAge: 600, HttpOnly: true,
		SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, u, http.StatusSeeOther)
}

// handleSSOCallback takes the identity provider's answer: the flow kept at
// the start (once), the state, the code exchanged with the PKCE verifier,
// the ID token verified; then the administrator it names is signed in.
func (c *Console) handleSSOCallback(w http.ResponseWriter, r *http.Request) {
	lang := web.Lang(w, r)
	id := r.PathValue("id")
	if c.sso == nil {
		c.handleNotFound(w, r)
		return
	}
	web.SetCookie(w, r, &http.Cookie{Name: ssoCookie, Value: "", Path: Prefix + "/", MaxAge: -1, HttpOnly: true,
		SameSite: http.SameSiteLaxMode})
	refuse := func(reason string) {
		c.svc.SSOFailed(r.Context(), id, reason, web.ClientAddr(r))
		c.ssoRefused(w, r, http.StatusUnauthorized, meibo.M("sso.failed").In(lang))
	}
	data, err := c.svc.TakeSSOFlow(r.Context(), web.CookieValue(r, ssoCookie))
	if err != nil {
		refuse("no sign-in under way")
		return
	}
	var flow sso.Flow
	if err := json.Unmarshal([]byte(data), &flow); err != nil || flow.Provider != id {
		refuse("another provider's sign-in")
		return
	}
	q := r.URL.Query()
	if e := q.Get("error"); e != "" {
		refuse("the provider answered " + e)
		return
	}
	who, err := c.sso.Finish(r.Context(), &flow, q.Get("state"), q.Get("code"))
	if err != nil {
		c.log.Info("sso refused", "provider", id, "err", err)
		refuse(err.Error())
		return
	}
	secret, _, err := c.svc.SignInSSO(r.Context(), service.SSOIdentity{Provider: who.Provider, Subject: who.Subject, Claim: who.Claim,
		Value: who.Value, MFA: who.MFA}, web.ClientAddr(r), r.UserAgent(), lang)
	if err != nil {
		if meibo.ErrorCode(err) == meibo.CodeUnauthorized {
			c.ssoRefused(w, r, http.StatusUnauthorized, meibo.AsError(err).Msg.In(lang))
			return
		}
		c.log.Error("sso sign-in", "err", err)
		c.ssoRefused(w, r, http.StatusInternalServerError, web.T(lang, "error.internal"))
		return
	}
	c.setCookie(w, r, secret)
	http.Redirect(w, r, safeNext(flow.Next), http.StatusSeeOther)
}

// ssoRefused shows the sign-in page with a refusal.
func (c *Console) ssoRefused(w http.ResponseWriter, r *http.Request, status int, message string) {
	lang := web.Lang(w, r)
	p := &web.Page{Lang: lang, Title: web.T(lang, "signin.title"), Path: Prefix + "/signin", CSRF: web.FormToken(w, r),
		Data: signInData{SSO: c.sso.Providers()}, Message: message}
	c.render.Render(w, status, "signin", p)
}
