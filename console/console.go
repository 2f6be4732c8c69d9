// Package console serves the administrator console: server-rendered pages
// (html/template, embedded), in English and Japanese, for users, groups and
// profiles, imports and exports, administrators, the licence, the outbox
// and the audit log. Every page and form calls the services with the signed-in
// administrator as actor, so the services decide, again, on every request,
// what may be done; the console only leaves out of its navigation what the
// administrator may not use.
//
// It imports the domain, the services, csvio and web; never storage.
package console

import (
	"context"
	"crypto/subtle"
	"embed"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/service"
	"github.com/meibo/meibo/sso"
	"github.com/meibo/meibo/web"
)

//go:embed templates
var files embed.FS

// Prefix is where the console lives.
const Prefix = "/console"

// cookieName is the session cookie of the console.
const cookieName = "meibo_console"

// Options configure the console.
type Options struct {
	Logger   *slog.Logger
	Location *time.Location // times are shown in it
	Assets   *web.Assets    // the shared static files
	// MaxUpload bounds import uploads (default 64 MiB).
	MaxUpload int64
	// SSO offers sign-in with identity providers (nil: none).
	SSO *sso.Client
}

// Console is the administrator console.
type Console struct {
	svc    *service.Service
	render *web.Renderer
	log    *slog.Logger
	loc    *time.Location
	max    int64
	sso    *sso.Client
}

// New parses the console's templates (a broken one fails here, at start).
func New(svc *service.Service, opts Options) (*Console, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Location == nil {
		opts.Location = time.UTC
	}
	if opts.MaxUpload <= 0 {
		opts.MaxUpload = 64 << 20
	}
	c := &Console{svc: svc, log: opts.Logger, loc: opts.Location, max: opts.MaxUpload, sso: opts.SSO}
	tmpl, _ := fs.Sub(files, "templates")
	r, err := web.NewRenderer(tmpl, opts.Assets, opts.Logger, c.funcs())
	if err != nil {
		return nil, err
	}
	c.render = r
	return c, nil
}

// funcs are the template functions of the console's pages.
func (c *Console) funcs() template.FuncMap {
	return template.FuncMap{
		"when": func(t any) string {
			switch v := t.(type) {
			case time.Time:
				if v.IsZero() {
					return "—"
				}
				return v.In(c.loc).Format("2006-01-02 15:04")
			case *time.Time:
				if v == nil || v.IsZero() {
					return "—"
				}
				return v.In(c.loc).Format("2006-01-02 15:04")
			}
			return ""
		},
		"prefix":  func() string { return Prefix },
		"methods": methodsText,
		"query": func(pairs ...string) template.URL {
			v := url.Values{}
			for i := 0; i+1 < len(pairs); i += 2 {
				if pairs[i+1] != "" {
					v.Set(pairs[i], pairs[i+1])
				}
			}
			if len(v) == 0 {
				return ""
			}
			return template.URL("?" + v.Encode())
		},
		"has": func(a *meibo.Actor, name string) bool {
			au, ok := meibo.AuthorityByName(name)
			return ok && a != nil && a.Has(au)
		},
		"pathEscape": url.PathEscape,

		// Times to the second with the zone (import pages), and the
		// invitation states a list filters by.
		"whenSec":          c.whenSec,
		"invitationStates": invitationStates,
	}
}

// Register adds the console's routes to mux.
func (c *Console) Register(mux *http.ServeMux) {
	h := func(pattern string, fn func(http.ResponseWriter, *http.Request)) {
		mux.Handle(pattern, web.Secure(http.HandlerFunc(fn)))
	}
	// Signed out.
	h("GET "+Prefix+"/signin", c.handleSignIn)
	h("POST "+Prefix+"/signin", c.handleSignInPost)
	// Signed in.
	a := func(pattern string, fn handler) {
		mux.Handle(pattern, web.Secure(c.authed(fn)))
	}
	a("POST "+Prefix+"/signout", c.handleSignOut)
	a("GET "+Prefix+"/{$}", c.handleHome)
	c.userRoutes(a)
	c.bulkRoutes(a)
	c.groupRoutes(a)
	c.importRoutes(a)
	c.adminRoutes(a)
	c.logRoutes(a)
	c.deviceRoutes(a)
	c.throttleRoutes(a)
	c.factorRoutes(mux, a)
	c.backupRoutes(a)
	c.scimRoutes(a)
	mux.Handle(Prefix+"/", web.Secure(http.HandlerFunc(c.handleNotFound)))
	mux.Handle("GET "+Prefix, http.RedirectHandler(Prefix+"/", http.StatusMovedPermanently))
}

// req is one request of a signed-in administrator.
type req struct {
	w     http.ResponseWriter
	r     *http.Request
	ctx   context.Context // with the actor
	actor *meibo.Actor
	sess  *meibo.Session
	lang  meibo.Lang
}

type handler func(*req)

// authed resolves the session, checks the CSRF token of every request that
// changes something, and runs fn; without a session it sends the browser to
// the sign-in page (and back afterwards).
func (c *Console) authed(fn handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		lang := web.Lang(w, r)
		secret := web.CookieValue(r, cookieName)
		actor, sess, err := c.svc.ConsoleActor(r.Context(), secret, web.ClientAddr(r))
		if err != nil {
			if c.pending(w, r, sess) {
				return
			}
			if meibo.ErrorCode(err) != meibo.CodeUnauthorized {
				c.log.Error("console session", "err", err)
			}
			c.clearCookie(w, r)
			next := ""
			if r.Method == http.MethodGet {
				next = r.URL.RequestURI()
			}
			http.Redirect(w, r, Prefix+"/signin"+queryString("next", next, "ended", boolString(secret != "")), http.StatusSeeOther)
			return
		}
		q := &req{w: w, r: r, ctx: meibo.WithActor(r.Context(), actor), actor: actor, sess: sess, lang: lang}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			// Bound every body before anything reads it: no form is larger
			// than an upload with its other fields.
			r.Body = http.MaxBytesReader(w, r.Body, c.max+64<<10)
			token := r.Header.Get("X-CSRF-Token")
			if token == "" {
				// A multipart form keeps at most 1 MiB in memory, the rest
				// in a temporary file until the request ends.
				var big *http.MaxBytesError
				if err := r.ParseMultipartForm(1 << 20); errors.As(err, &big) {
					c.page(q, http.StatusRequestEntityTooLarge, "error", "error.title", nil,
						meibo.M("too_large", service.FormatBytes(c.max)).In(lang))
					return
				}
				token = r.PostFormValue("csrf")
			}
			if subtle.ConstantTimeCompare([]byte(token), []byte(sess.CSRF)) != 1 {
				c.page(q, http.StatusForbidden, "error", "error.csrf.title", nil, web.T(lang, "error.csrf"))
				return
			}
		}
		if c.firstPassword(q) {
			return
		}
		fn(q)
	})
}

func boolString(b bool) string {
	if b {
		return "1"
	}
	return ""
}

func queryString(pairs ...string) string {
	v := url.Values{}
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1] != "" {
			v.Set(pairs[i], pairs[i+1])
		}
	}
	if len(v) == 0 {
		return ""
	}
	return "?" + v.Encode()
}

// setCookie sets the session cookie: for the console's paths over plain
// http, and over https Secure with the __Host- prefix (see web.SetCookie).
func (c *Console) setCookie(w http.ResponseWriter, r *http.Request, secret string) {
	web.SetCookie(w, r, &http.Cookie{Name: cookieName, Value: secret, Path: Prefix + "/", HttpOnly: true,
		SameSite: http.SameSiteLaxMode})
}

func (c *Console) clearCookie(w http.ResponseWriter, r *http.Request) {
	web.SetCookie(w, r, &http.Cookie{Name: cookieName, Value: "", Path: Prefix + "/", MaxAge: -1, HttpOnly: true,
		SameSite: http.SameSiteLaxMode})
}

// page renders a page of the console for q with the navigation of its
// administrator.
func (c *Console) page(q *req, status int, name, titleKey string, data any, message string) {
	p := &web.Page{Lang: q.lang, Title: web.T(q.lang, titleKey), Path: q.r.URL.Path, Query: q.r.URL.RawQuery, Data: data, Message: message,
		Nav: c.nav(q)}
	if q.sess != nil {
		p.CSRF = q.sess.CSRF
	}
	c.render.Render(q.w, status, name, p)
}

// form renders a form page again with the values typed and the errors of
// err next to their fields.
func (c *Console) form(q *req, status int, name, titleKey string, data any, err error) {
	e := meibo.AsError(err)
	p := &web.Page{Lang: q.lang, Title: web.T(q.lang, titleKey), Path: q.r.URL.Path, Query: q.r.URL.RawQuery, Data: data, Nav: c.nav(q), CSRF: q.sess.CSRF,
		Errors: map[string]string{}}
	for f, m := range e.Fields {
		p.Errors[f] = m.In(q.lang)
	}
	p.Message = e.Msg.In(q.lang)
	if len(p.Errors) == 0 {
		// An error about no field in particular (a licence refusal, say)
		// still shows as an error.
		p.Errors[""] = p.Message
	}
	if e.Code == meibo.CodeInternal {
		c.log.Error("console", "path", q.r.URL.Path, "err", err)
	}
	c.render.Render(q.w, status, name, p)
}

// fail answers an error that has no form to go back to: not found, lacking
// authority, or internal (logged).
func (c *Console) fail(q *req, err error) {
	e := meibo.AsError(err)
	status := http.StatusInternalServerError
	switch e.Code {
	case meibo.CodeNotFound:
		status = http.StatusNotFound
	case meibo.CodeForbidden:
		status = http.StatusForbidden
	case meibo.CodeUnauthorized:
		http.Redirect(q.w, q.r, Prefix+"/signin", http.StatusSeeOther)
		return
	case meibo.CodeInvalid, meibo.CodeConflict, meibo.CodeLicenceExceeded, meibo.CodeBadRequest, meibo.CodeTooLarge:
		status = http.StatusUnprocessableEntity
	case meibo.CodeRateLimited:
		status = http.StatusTooManyRequests
	default:
		c.log.Error("console", "path", q.r.URL.Path, "err", err)
	}
	c.page(q, status, "error", "error.title", nil, e.Msg.In(q.lang))
}

// redirect sends the browser on after a change, with a notice key.
func (c *Console) redirect(q *req, path, notice string) {
	if notice != "" {
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		path += sep + "done=" + url.QueryEscape(notice)
	}
	http.Redirect(q.w, q.r, path, http.StatusSeeOther)
}

// notice is the notice of a redirect after a change ("done" in the query),
// when it is one the console knows.
func notice(q *req) string {
	key := "done." + q.r.URL.Query().Get("done")
	if _, ok := web.Labels()[key]; ok {
		return web.T(q.lang, key)
	}
	return ""
}

func (c *Console) handleNotFound(w http.ResponseWriter, r *http.Request) {
	lang := web.Lang(w, r)
	p := &web.Page{Lang: lang, Title: web.T(lang, "notfound.title"), Path: r.URL.Path, Message: web.T(lang, "notfound.body")}
	c.render.Render(w, http.StatusNotFound, "error", p)
}
