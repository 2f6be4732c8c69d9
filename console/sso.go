package console

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/service"
	"github.com/meibo/meibo/sso"
	"github.com/meibo/meibo/web"
)

// A sign-in sent to an identity provider is found again by a cookie named
// after the start of its state (ssoCookie + "_" + 16 characters), so that
// sign-ins begun in two tabs do not take each other's place: each callback
// finds its own. It is sent back on the provider's top-level redirect
// (SameSite=Lax). Over plain http its path is ssoCookiePath (the starts and
// the callbacks); over https web.SetCookie makes it a __Host- cookie, which
// must be for the whole site (Path=/), so it is sent with every request
// while it lasts. It lasts as long as the flow kept by the service (ten
// minutes, once), and a browser keeps at most maxSSOFlows of them: each
// start clears the oldest.
const (
	ssoCookie    = "meibo_sso"
	ssoStateKey  = 16
	maxSSOFlows  = 4
	ssoCookieAge = 600
)

var ssoCookiePath = Prefix + "/signin/sso/"

// ssoFlowCookie is the cookie name of the flow of state ("" for a state
// that cannot be one of meibo's), as given to web.SetCookie (without the
// __Host- prefix it adds over https).
func ssoFlowCookie(state string) string {
	if len(state) < ssoStateKey {
		return ""
	}
	key := state[:ssoStateKey]
	for _, r := range key {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return ""
		}
	}
	return ssoCookie + "_" + key
}

// clearSSOCookie clears the flow cookie name (a bare name, see
// ssoFlowCookie and web.Cookies).
func clearSSOCookie(w http.ResponseWriter, r *http.Request, name string) {
	web.SetCookie(w, r, &http.Cookie{Name: name, Value: "", Path: ssoCookiePath, MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode})
}

// handleSSOStart sends the browser to an identity provider.
func (c *Console) handleSSOStart(w http.ResponseWriter, r *http.Request) {
	lang := web.Lang(w, r)
	if c.sso == nil {
		c.handleNotFound(w, r)
		return
	}
	id := r.PathValue("id")
	u, flow, err := c.sso.Start(r.Context(), id, r.URL.Query().Get("next"))
	if meibo.ErrorCode(err) == meibo.CodeNotFound {
		c.handleNotFound(w, r)
		return
	}
	if err != nil {
		c.ssoFailed(w, r, id, err)
		return
	}
	data, _ := json.Marshal(flow)
	secret, err := c.svc.SaveSSOFlow(r.Context(), string(data))
	if err != nil {
		c.log.Error("sso start", "err", err)
		c.ssoRefused(w, r, http.StatusInternalServerError, web.T(lang, "error.internal"))
		return
	}
	// The oldest flows of the browser (cookies of one path come in the
	// order they were set) give way, so that it keeps a few.
	var flows []string
	for _, k := range web.Cookies(r) {
		if strings.HasPrefix(k.Name, ssoCookie+"_") {
			flows = append(flows, k.Name)
		}
	}
	for i := 0; i < len(flows)-(maxSSOFlows-1); i++ {
		clearSSOCookie(w, r, flows[i])
	}
	web.SetCookie(w, r, &http.Cookie{Name: ssoFlowCookie(flow.State), Value: secret, Path: ssoCookiePath, MaxAge: ssoCookieAge,
		HttpOnly: true, SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, u, http.StatusSeeOther)
}

// errorCode is an OAuth error code as it may be logged when anyone could
// have written it: lower-case letters and _ only (as the codes of RFC 6749
// and OpenID Connect are), clipped.
func errorCode(code string) string {
	if code == "" || strings.Trim(code, "abcdefghijklmnopqrstuvwxyz_") != "" {
		return "(not an error code)"
	}
	if len(code) > 40 {
		code = code[:40] + "…"
	}
	return code
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
	if !slices.ContainsFunc(c.sso.Providers(), func(p sso.Provider) bool { return p.ID == id }) {
		// (Not audited: anyone may write any name in the address.)
		c.handleNotFound(w, r)
		return
	}
	q := r.URL.Query()
	secret := ""
	if name := ssoFlowCookie(q.Get("state")); name != "" {
		secret = web.CookieValue(r, name)
		clearSSOCookie(w, r, name)
	}
	answered := sso.AnswerError(q)
	data, err := c.svc.TakeSSOFlow(r.Context(), secret)
	if err != nil && meibo.ErrorCode(err) != meibo.CodeUnauthorized {
		c.log.Error("sso callback", "err", err)
		c.ssoRefused(w, r, http.StatusInternalServerError, web.T(lang, "error.internal"))
		return
	}
	if err != nil {
		// Without a sign-in under way (ended, used already, or begun
		// elsewhere) anyone could have written the address: an error it
		// carries is not shown, and only its code, if it is one, is
		// logged and audited, never its description.
		why := fmt.Errorf("%w: a callback with no sign-in under way", sso.ErrStale)
		if answered != nil {
			why = fmt.Errorf("%w; it carries the error %s", why, errorCode(answered.Code))
		}
		c.ssoFailed(w, r, id, why)
		return
	}
	var flow sso.Flow
	if err := json.Unmarshal([]byte(data), &flow); err != nil || flow.Provider != id {
		c.ssoFailed(w, r, id, fmt.Errorf("%w: the sign-in was begun with another provider", sso.ErrStale))
		return
	}
	if answered != nil {
		if subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(flow.State)) != 1 {
			c.ssoFailed(w, r, id, fmt.Errorf("%w: state does not match; the provider answered %s", sso.ErrStale, answered))
			return
		}
		c.ssoFailed(w, r, id, answered)
		return
	}
	who, err := c.sso.Finish(r.Context(), &flow, q.Get("state"), q.Get("code"))
	if err != nil {
		c.ssoFailed(w, r, id, err)
		return
	}
	secret, _, err = c.svc.SignInSSO(r.Context(), service.SSOIdentity{Provider: who.Provider, Subject: who.Subject, Claim: who.Claim,
		Value: who.Value, MFA: who.MFA, IDToken: who.IDToken}, web.ClientAddr(r), r.UserAgent(), lang)
	if err != nil {
		if meibo.ErrorCode(err) == meibo.CodeUnauthorized {
			// The service audited why; the person learns nothing of which
			// administrators there are.
			c.ssoRefused(w, r, http.StatusUnauthorized, web.T(lang, "ssoerr.unknown"))
			return
		}
		c.log.Error("sso sign-in", "err", err)
		c.ssoRefused(w, r, http.StatusInternalServerError, web.T(lang, "error.internal"))
		return
	}
	c.setCookie(w, r, secret)
	http.Redirect(w, r, safeNext(flow.Next), http.StatusSeeOther)
}

// ssoFailed logs and audits a failed sign-in with provider, and shows the
// person what to do: come back later (the provider cannot be reached, or
// refuses meibo itself: the operator is told), start again (a sign-in that
// is over), what the provider said (an error it answered at the redirect),
// or ask a manager of administrators (an account that names no one).
func (c *Console) ssoFailed(w http.ResponseWriter, r *http.Request, provider string, err error) {
	lang := web.Lang(w, r)
	var pe *sso.ProviderError
	operator, status, msg := false, http.StatusUnauthorized, ""
	switch {
	case errors.Is(err, sso.ErrUnreachable):
		operator, status, msg = true, http.StatusBadGateway, web.T(lang, "ssoerr.unreachable")
		c.log.Warn("sso: the identity provider cannot be reached: its sign-ins fail", "provider", provider, "err", err)
	case errors.Is(err, sso.ErrStale):
		msg = web.T(lang, "ssoerr.stale")
		c.log.Info("sso refused", "provider", provider, "err", err)
	case errors.As(err, &pe) && pe.Operator():
		operator, status, msg = true, http.StatusBadGateway, web.T(lang, "ssoerr.unreachable")
		c.log.Error("sso: the identity provider refused meibo: check the provider's clientId, clientSecretFile and scopes, and the client and redirect URL registered with it",
			"provider", provider, "redirect", c.sso.RedirectURL(provider), "err", err)
	case errors.As(err, &pe):
		msg = web.T(lang, "ssoerr.denied", pe.Code)
		if pe.Description != "" {
			msg = web.T(lang, "ssoerr.denied.said", pe.Description)
		}
		c.log.Info("sso refused by the provider", "provider", provider, "err", err)
	case errors.Is(err, sso.ErrNoIdentity):
		msg = web.T(lang, "ssoerr.unknown")
		c.log.Info("sso refused", "provider", provider, "err", err)
	default:
		// An ID token that does not verify: an attack, or a provider (or
		// a clock) the operator should look at.
		msg = web.T(lang, "ssoerr.refused")
		c.log.Warn("sso: the identity provider's answer does not verify", "provider", provider, "err", err)
	}
	c.svc.SSOFailed(r.Context(), provider, err.Error(), web.ClientAddr(r), operator)
	c.ssoRefused(w, r, status, msg)
}

// ssoRefused shows the sign-in page with a refusal.
func (c *Console) ssoRefused(w http.ResponseWriter, r *http.Request, status int, message string) {
	lang := web.Lang(w, r)
	p := &web.Page{Lang: lang, Title: web.T(lang, "signin.title"), Path: Prefix + "/signin", CSRF: web.FormToken(w, r),
		Data: signInData{SSO: c.sso.Providers()}, Message: message}
	c.render.Render(w, status, "signin", p)
}

// signOut ends the console session of the request (ctx carries its actor,
// for the audit) and clears its cookie. A session made through an identity
// provider then goes to the provider's end_session_endpoint, which ends the
// provider's session and sends the browser back to the sign-in page
// (post_logout_redirect_uri, with the state the page knows); for a provider
// without one, the sign-in page says its session may still be open.
//
// The browser is sent to the provider by a page that refreshes to it (and
// links to it), not by a redirect: the sign-out is a form, and the console's
// content security policy (form-action 'self') holds for the redirects that
// follow a form, which would stop the browser at the provider's address.
func (c *Console) signOut(ctx context.Context, w http.ResponseWriter, r *http.Request) {
	lang := web.Lang(w, r)
	var ends service.SSOEndSession
	if c.sso != nil {
		ends = c.sso
	}
	out, err := c.svc.SignOutConsole(ctx, web.CookieValue(r, cookieName), ends, lang)
	if err != nil {
		c.log.Error("console sign-out", "err", err)
	}
	c.clearCookie(w, r)
	switch {
	case out.URL != "":
		name := out.Provider
		for _, p := range c.sso.Providers() {
			if p.ID == out.Provider {
				name = p.Name
			}
		}
		w.Header().Set("Refresh", "0; url="+out.URL)
		c.render.Render(w, http.StatusOK, "signout_sso", &web.Page{Lang: lang, Title: web.T(lang, "signin.out"), Path: Prefix + "/signin",
			Data: struct{ Name, URL string }{name, out.URL}})
	case out.Provider != "":
		http.Redirect(w, r, Prefix+"/signin?"+url.Values{"out": {"1"}, "sso": {out.Provider}}.Encode(), http.StatusSeeOther)
	default:
		http.Redirect(w, r, Prefix+"/signin?out=1", http.StatusSeeOther)
	}
}

// signedOutMessage is what the sign-in page says after a sign-out: signed
// out (back from meibo, or from a provider that ended its session too), and
// for a provider that could not be asked to end its session, that the
// person may still be signed in there (open). "" when q says none.
func (c *Console) signedOutMessage(lang meibo.Lang, q url.Values) (msg string, open bool) {
	if q.Get("state") == sso.SignedOutState {
		return web.T(lang, "signin.out"), false
	}
	if q.Get("out") == "" {
		return "", false
	}
	if id := q.Get("sso"); id != "" {
		for _, p := range c.sso.Providers() {
			if p.ID == id {
				return web.T(lang, "signin.out.sso", p.Name), true
			}
		}
	}
	return web.T(lang, "signin.out"), false
}
