package console

import (
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/web"
)

// Passkeys in the console. The browser's part (console-passkeys.js) asks
// for the options, calls navigator.credentials, and posts the answer as a
// form field ("credential", JSON) with the CSRF token; each answer is JSON.

// passkeyCookie holds the secret of a passkey sign-in under way.
const passkeyCookie = "meibo_passkey"

func (c *Console) passkeyRoutes(mux *http.ServeMux, f func(string, handler)) {
	h := func(pattern string, fn func(http.ResponseWriter, *http.Request)) {
		mux.Handle(pattern, web.Secure(http.HandlerFunc(fn)))
	}
	h("POST "+Prefix+"/signin/passkey/begin", c.handlePasskeySignInBegin)
	h("POST "+Prefix+"/signin/passkey", c.handlePasskeySignIn)
	h("POST "+secondPath+"/passkey/begin", c.handlePasskeySecondBegin)
	h("POST "+secondPath+"/passkey", c.handlePasskeySecond)
	f("POST "+securityPath+"/passkeys/begin", c.handlePasskeyRegisterBegin)
	f("POST "+securityPath+"/passkeys", c.handlePasskeyRegister)
	f("POST "+securityPath+"/passkeys/{id}/remove", c.handlePasskeyRemove)
}

// origin is the origin the request was sent to (the relying party's in
// development, without a public URL).
func origin(r *http.Request) string {
	scheme := "http"
	if web.IsHTTPS(r) {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// passkeyJSON answers a passkey request: the options, or where to go next.
func (c *Console) passkeyJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(v); err != nil {
		c.log.Debug("write passkey answer", "err", err)
	}
}

// passkeyError answers a refusal in the request's language.
func (c *Console) passkeyError(w http.ResponseWriter, r *http.Request, err error) {
	lang := web.Lang(w, r)
	e := meibo.AsError(err)
	status := http.StatusBadRequest
	switch e.Code {
	case meibo.CodeUnauthorized:
		status = http.StatusUnauthorized
	case meibo.CodeForbidden:
		status = http.StatusForbidden
	case meibo.CodeNotFound:
		status = http.StatusNotFound
	case meibo.CodeConflict:
		status = http.StatusConflict
	case meibo.CodeInvalid:
		status = http.StatusUnprocessableEntity
	case meibo.CodeInternal:
		c.log.Error("passkey", "path", r.URL.Path, "err", err)
		status = http.StatusInternalServerError
	}
	c.passkeyJSON(w, status, map[string]string{"error": e.Msg.In(lang)})
}

func (c *Console) handlePasskeySignInBegin(w http.ResponseWriter, r *http.Request) {
	if !web.CheckFormToken(r) {
		c.passkeyError(w, r, meibo.Forbidden("forbidden"))
		return
	}
	opts, secret, err := c.svc.BeginPasskeySignIn(r.Context(), origin(r))
	if err != nil {
		c.passkeyError(w, r, err)
		return
	}
	web.SetCookie(w, r, &http.Cookie{Name: passkeyCookie, Value: secret, Path: Prefix + "/", MaxAge: 300, HttpOnly: true,
		SameSite: http.SameSiteStrictMode})
	c.passkeyJSON(w, http.StatusOK, json.RawMessage(opts))
}

// handlePasskeySignIn signs in with a passkey alone.
func (c *Console) handlePasskeySignIn(w http.ResponseWriter, r *http.Request) {
	if !web.CheckFormToken(r) {
		c.passkeyError(w, r, meibo.Forbidden("forbidden"))
		return
	}
	ceremony := web.CookieValue(r, passkeyCookie)
	web.SetCookie(w, r, &http.Cookie{Name: passkeyCookie, Value: "", Path: Prefix + "/", MaxAge: -1, HttpOnly: true,
		SameSite: http.SameSiteStrictMode})
	secret, _, err := c.svc.FinishPasskeySignIn(r.Context(), origin(r), ceremony, []byte(r.PostFormValue("credential")),
		web.ClientAddr(r), r.UserAgent(), web.Lang(w, r))
	if err != nil {
		c.passkeyError(w, r, err)
		return
	}
	c.setCookie(w, r, secret)
	c.passkeyJSON(w, http.StatusOK, map[string]string{"next": safeNext(r.PostFormValue("next"))})
}

// pendingCSRF checks the CSRF token of a half signed-in session's request.
func (c *Console) pendingCSRF(r *http.Request) bool {
	sess, _, err := c.svc.PendingSession(r.Context(), web.CookieValue(r, cookieName))
	return err == nil && sess.CSRF != "" && subtle.ConstantTimeCompare([]byte(r.PostFormValue("csrf")), []byte(sess.CSRF)) == 1
}

func (c *Console) handlePasskeySecondBegin(w http.ResponseWriter, r *http.Request) {
	if !c.pendingCSRF(r) {
		c.passkeyError(w, r, meibo.Forbidden("forbidden"))
		return
	}
	opts, err := c.svc.BeginPasskeySecond(r.Context(), web.CookieValue(r, cookieName), origin(r))
	if err != nil {
		c.passkeyError(w, r, err)
		return
	}
	c.passkeyJSON(w, http.StatusOK, json.RawMessage(opts))
}

func (c *Console) handlePasskeySecond(w http.ResponseWriter, r *http.Request) {
	if !c.pendingCSRF(r) {
		c.passkeyError(w, r, meibo.Forbidden("forbidden"))
		return
	}
	err := c.svc.FinishPasskeySecond(r.Context(), web.CookieValue(r, cookieName), origin(r), []byte(r.PostFormValue("credential")),
		web.ClientAddr(r))
	if err != nil {
		c.passkeyError(w, r, err)
		return
	}
	c.passkeyJSON(w, http.StatusOK, map[string]string{"next": Prefix + "/"})
}

func (c *Console) handlePasskeyRegisterBegin(q *req) {
	opts, err := c.svc.BeginPasskeyRegistration(q.ctx, origin(q.r))
	if err != nil {
		c.passkeyError(q.w, q.r, err)
		return
	}
	c.passkeyJSON(q.w, http.StatusOK, json.RawMessage(opts))
}

// handlePasskeyRegister keeps a new passkey; recovery codes made with it
// (the first factor) are in the answer, to be shown once.
func (c *Console) handlePasskeyRegister(q *req) {
	codes, err := c.svc.FinishPasskeyRegistration(q.ctx, origin(q.r), q.r.PostFormValue("name"), []byte(q.r.PostFormValue("credential")))
	if err != nil {
		c.passkeyError(q.w, q.r, err)
		return
	}
	c.passkeyJSON(q.w, http.StatusOK, map[string]any{"next": securityPath + "?done=passkey.added", "codes": codes})
}

func (c *Console) handlePasskeyRemove(q *req) {
	id, err := strconv.ParseInt(q.r.PathValue("id"), 10, 64)
	if err != nil {
		c.fail(q, meibo.NotFound("mfa.passkey.notfound"))
		return
	}
	if err := c.svc.RemovePasskey(q.ctx, id, q.r.PostFormValue("currentPassword")); err != nil {
		if e := meibo.AsError(err); e.Code == meibo.CodeNotFound || e.Code == meibo.CodeInternal {
			c.fail(q, err)
			return
		}
		c.securityForm(q, err)
		return
	}
	c.redirect(q, securityPath, "passkey.removed")
}
