// Package portal serves the personal portal: device users sign in with
// their group ID, user ID and password, see their own devices (a group's
// admin user: every device of the group) and send them the remote actions
// their profile allows, watching each command's status change. Pages are
// server-rendered in English and Japanese and work on a phone; a little
// JavaScript updates command status live.
//
// It imports the domain, the services and web; never storage. The services
// decide what a user may see: a device or command that is not theirs is
// "not found", whatever ID is sent.
package portal

import (
	"context"
	"crypto/subtle"
	"embed"
	"encoding/json"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/service"
	"github.com/meibo/meibo/web"
)

//go:embed templates
var files embed.FS

const cookieName = "meibo_portal"

// Options configure the portal.
type Options struct {
	Logger   *slog.Logger
	Location *time.Location
	Assets   *web.Assets
}

// Portal is the personal portal.
type Portal struct {
	svc    *service.Service
	render *web.Renderer
	log    *slog.Logger
	loc    *time.Location
}

// New parses the portal's templates.
func New(svc *service.Service, opts Options) (*Portal, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Location == nil {
		opts.Location = time.UTC
	}
	p := &Portal{svc: svc, log: opts.Logger, loc: opts.Location}
	tmpl, _ := fs.Sub(files, "templates")
	r, err := web.NewRenderer(tmpl, opts.Assets, opts.Logger, template.FuncMap{
		"when": func(t *time.Time) string {
			if t == nil || t.IsZero() {
				return "—"
			}
			return t.In(p.loc).Format("2006-01-02 15:04")
		},
		"whenT":   func(t time.Time) string { return t.In(p.loc).Format("2006-01-02 15:04") },
		"allowed": func(pr *meibo.Profile, a string) bool { return pr != nil && pr.Allows(meibo.Action(a)) },
		"coord":   func(f float64) string { return strconv.FormatFloat(f, 'f', 5, 64) },
		"list":    func(s ...string) []string { return s },
	})
	if err != nil {
		return nil, err
	}
	p.render = r
	return p, nil
}

// Register adds the portal's routes to mux (at the root).
func (p *Portal) Register(mux *http.ServeMux) {
	h := func(pattern string, fn http.HandlerFunc) { mux.Handle(pattern, web.Secure(fn)) }
	h("GET /{$}", p.handleHome)
	h("POST /signin", p.handleSignIn)
	a := func(pattern string, fn handler) { mux.Handle(pattern, web.Secure(p.authed(fn))) }
	a("POST /signout", p.handleSignOut)
	a("GET /devices/{id}", p.handleDevice)
	a("POST /devices/{id}/commands", p.handleCommand)
	a("GET /commands/{id}/status", p.handleCommandStatus)
	a("POST /commands/{id}/cancel", p.handleCancel)
	a("GET /password", p.handlePassword)
	a("POST /password", p.handlePasswordPost)
	a("GET /tokens", p.handleTokens)
	a("POST /tokens", p.handleTokenCreate)
	a("POST /tokens/{id}/revoke", p.handleTokenRevoke)
	// The addresses forms are sent to, opened in the address bar (a page
	// refused after a wrong password stays at /signin; a phone restores a
	// tab): the page the form was on.
	back := func(to func(*http.Request) string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, to(r), http.StatusSeeOther) }
	}
	home := func(*http.Request) string { return "/" }
	h("GET /signin", back(home))
	h("GET /signout", back(home))
	h("GET /commands/{id}/cancel", back(home))
	h("GET /devices/{id}/commands", back(func(r *http.Request) string { return "/devices/" + url.PathEscape(r.PathValue("id")) }))
	h("GET /tokens/{id}/revoke", back(func(*http.Request) string { return "/tokens" }))
	// Any other address of the portal: a page in the person's language.
	h("/", p.handleNotFound)
}

// handleNotFound answers an address the portal does not have with its own
// page, signed in or not.
func (p *Portal) handleNotFound(w http.ResponseWriter, r *http.Request) {
	q := p.current(w, r)
	if q == nil {
		q = &req{w: w, r: r, ctx: r.Context(), lang: web.Lang(w, r)}
	}
	p.page(q, http.StatusNotFound, "error", "portal.notfound", nil, meibo.M("not_found").In(q.lang))
}

type req struct {
	w     http.ResponseWriter
	r     *http.Request
	ctx   context.Context
	actor *meibo.Actor
	sess  *meibo.Session
	lang  meibo.Lang
}

type handler func(*req)

func (p *Portal) secret(r *http.Request) string { return web.CookieValue(r, cookieName) }

// current returns the signed-in user of the request, or nil.
func (p *Portal) current(w http.ResponseWriter, r *http.Request) *req {
	actor, sess, err := p.svc.PortalActor(r.Context(), p.secret(r), web.ClientAddr(r))
	if err != nil {
		if meibo.ErrorCode(err) != meibo.CodeUnauthorized {
			p.log.Error("portal session", "err", err)
		}
		return nil
	}
	return &req{w: w, r: r, ctx: meibo.WithActor(r.Context(), actor), actor: actor, sess: sess, lang: web.Lang(w, r)}
}

// authed requires a session and, on changes, its CSRF token.
func (p *Portal) authed(fn handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := p.current(w, r)
		if q == nil {
			p.clearCookie(w, r)
			if strings.HasSuffix(r.URL.Path, "/status") {
				writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "signed out"})
				return
			}
			http.Redirect(w, r, "/?ended=1", http.StatusSeeOther)
			return
		}
		if r.Method == http.MethodPost {
			tok := r.Header.Get("X-CSRF-Token")
			if tok == "" {
				tok = r.PostFormValue("csrf")
			}
			if subtle.ConstantTimeCompare([]byte(tok), []byte(q.sess.CSRF)) != 1 {
				p.page(q, http.StatusForbidden, "error", "portal.error", nil, web.T(q.lang, "portal.csrf"))
				return
			}
		}
		fn(q)
	})
}

func (p *Portal) setCookie(w http.ResponseWriter, r *http.Request, secret string) {
	web.SetCookie(w, r, &http.Cookie{Name: cookieName, Value: secret, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode})
}

func (p *Portal) clearCookie(w http.ResponseWriter, r *http.Request) {
	web.SetCookie(w, r, &http.Cookie{Name: cookieName, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode})
}

type navData struct {
	Actor *meibo.Actor
}

func (p *Portal) page(q *req, status int, name, titleKey string, data any, message string) {
	pg := &web.Page{Lang: q.lang, Title: web.T(q.lang, titleKey), Path: q.r.URL.Path, Data: data, Message: message, Nav: &navData{q.actor}}
	if q.sess != nil {
		pg.CSRF = q.sess.CSRF
	}
	p.render.Render(q.w, status, name, pg)
}

func (p *Portal) fail(q *req, err error) {
	e := meibo.AsError(err)
	status := http.StatusInternalServerError
	switch e.Code {
	case meibo.CodeNotFound:
		status = http.StatusNotFound
	case meibo.CodeForbidden:
		status = http.StatusForbidden
	case meibo.CodeRateLimited:
		status = http.StatusTooManyRequests
	default:
		p.log.Error("portal", "path", q.r.URL.Path, "err", err)
	}
	p.page(q, status, "error", "portal.error", nil, e.Msg.In(q.lang))
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

type signInData struct{ Group, User string }

// handleHome shows the devices of a signed-in user, or the sign-in page.
func (p *Portal) handleHome(w http.ResponseWriter, r *http.Request) {
	if q := p.current(w, r); q != nil {
		p.devices(q)
		return
	}
	lang := web.Lang(w, r)
	pg := &web.Page{Lang: lang, Title: web.T(lang, "portal.signin.title"), Path: r.URL.Path, CSRF: web.FormToken(w, r),
		Data: signInData{Group: r.URL.Query().Get("group")}}
	switch {
	case r.URL.Query().Get("ended") != "":
		pg.Message = web.T(lang, "portal.ended")
	case r.URL.Query().Get("out") != "":
		pg.Message = web.T(lang, "portal.out")
	}
	p.render.Render(w, http.StatusOK, "signin", pg)
}

// handleSignIn signs in: one message for every refusal, a new session every
// time.
func (p *Portal) handleSignIn(w http.ResponseWriter, r *http.Request) {
	lang := web.Lang(w, r)
	d := signInData{Group: strings.TrimSpace(r.PostFormValue("group")), User: strings.TrimSpace(r.PostFormValue("user"))}
	pg := &web.Page{Lang: lang, Title: web.T(lang, "portal.signin.title"), Path: "/", Data: d}
	if !web.CheckFormToken(r) {
		pg.CSRF, pg.Message = web.FormToken(w, r), web.T(lang, "form.expired")
		p.render.Render(w, http.StatusForbidden, "signin", pg)
		return
	}
	pg.CSRF = web.FormToken(w, r)
	secret, _, err := p.svc.PortalSignIn(r.Context(), d.Group, d.User, r.PostFormValue("password"), web.ClientAddr(r), r.UserAgent(), lang)
	if err != nil {
		status := http.StatusUnauthorized
		switch meibo.ErrorCode(err) {
		case meibo.CodeUnauthorized:
			pg.Message = meibo.M("portal.failed").In(lang)
		case meibo.CodeRateLimited:
			status, pg.Message = http.StatusTooManyRequests, meibo.AsError(err).Msg.In(lang)
		default:
			p.log.Error("portal sign-in", "err", err)
			status, pg.Message = http.StatusInternalServerError, web.T(lang, "error.internal")
		}
		p.render.Render(w, status, "signin", pg)
		return
	}
	p.setCookie(w, r, secret)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func (p *Portal) handleSignOut(q *req) {
	if err := p.svc.SignOut(q.ctx, p.secret(q.r)); err != nil {
		p.log.Error("portal sign-out", "err", err)
	}
	p.clearCookie(q.w, q.r)
	http.Redirect(q.w, q.r, "/?out=1", http.StatusSeeOther)
}

func (p *Portal) devices(q *req) {
	v, err := p.svc.MyDevices(q.ctx)
	if err != nil {
		p.fail(q, err)
		return
	}
	notice := ""
	switch {
	case q.r.URL.Query().Get("done") == "password":
		notice = web.T(q.lang, "portal.password.done")
	case q.r.URL.Query().Get("sent") == "wipe":
		notice = web.T(q.lang, "portal.wipe.sent")
	}
	title := "portal.devices.title"
	if q.actor.GroupAdmin {
		title = "portal.devices.all" // as the page's heading says
	}
	p.page(q, http.StatusOK, "devices", title, v, notice)
}

type deviceData struct {
	Device   *meibo.Device
	Commands []*meibo.Command
	Profile  *meibo.Profile
	Errors   map[string]string
	Action   string
	Message  string
	Me       string // the signed-in user's name: commands they sent read "by you"
}

func deviceID(q *req) (int64, error) {
	id, err := strconv.ParseInt(q.r.PathValue("id"), 10, 64)
	if err != nil {
		return 0, meibo.NotFound("device.not_found")
	}
	return id, nil
}

func (p *Portal) loadDevice(q *req) (*deviceData, error) {
	id, err := deviceID(q)
	if err != nil {
		return nil, err
	}
	d, cmds, err := p.svc.MyDevice(q.ctx, id)
	if err != nil {
		return nil, err
	}
	v, err := p.svc.MyDevices(q.ctx)
	if err != nil {
		return nil, err
	}
	return &deviceData{Device: d, Commands: cmds, Profile: v.Profile, Me: q.actor.Name}, nil
}

func (p *Portal) handleDevice(q *req) {
	d, err := p.loadDevice(q)
	if err != nil {
		p.fail(q, err)
		return
	}
	notice := ""
	switch q.r.URL.Query().Get("done") {
	case "cancelled":
		notice = web.T(q.lang, "portal.command.cancelled")
	case "late":
		notice = web.T(q.lang, "portal.command.late")
	}
	if q.r.URL.Query().Get("sent") != "" {
		notice = web.T(q.lang, "portal.command.sent")
	}
	p.page(q, http.StatusOK, "device", "portal.device.title", d, notice)
}

func (p *Portal) handleCommand(q *req) {
	id, err := deviceID(q)
	if err != nil {
		p.fail(q, err)
		return
	}
	in := service.PortalCommand{Action: meibo.Action(q.r.PostFormValue("action")), Message: q.r.PostFormValue("message"),
		Password: q.r.PostFormValue("password"), ConfirmName: q.r.PostFormValue("confirmName")}
	if _, err := p.svc.SendCommand(q.ctx, id, in); err != nil {
		status := map[meibo.Code]int{meibo.CodeInvalid: http.StatusUnprocessableEntity, meibo.CodeConflict: http.StatusConflict,
			meibo.CodeRateLimited: http.StatusTooManyRequests}[meibo.ErrorCode(err)]
		if status != 0 {
			d, lerr := p.loadDevice(q)
			if lerr != nil {
				p.fail(q, lerr)
				return
			}
			e := meibo.AsError(err)
			d.Errors, d.Action, d.Message = map[string]string{}, string(in.Action), in.Message
			for f, m := range e.Fields {
				d.Errors[f] = m.In(q.lang)
			}
			if e.Code == meibo.CodeRateLimited {
				// Too many wrong passwords for a wipe: say so at the field.
				d.Errors["password"] = e.Msg.In(q.lang)
			}
			pg := &web.Page{Lang: q.lang, Title: web.T(q.lang, "portal.device.title"), Path: q.r.URL.Path, Data: d, CSRF: q.sess.CSRF,
				Message: e.Msg.In(q.lang), Errors: d.Errors, Nav: &navData{q.actor}}
			p.render.Render(q.w, status, "device", pg)
			return
		}
		p.fail(q, err)
		return
	}
	if in.Action == meibo.ActionWipe {
		// An online device is wiped, and so gone from the portal, before
		// its page could show again: back to the list, which says so.
		http.Redirect(q.w, q.r, "/?sent=wipe", http.StatusSeeOther)
		return
	}
	http.Redirect(q.w, q.r, "/devices/"+strconv.FormatInt(id, 10)+"?sent=1", http.StatusSeeOther)
}

// handleCommandStatus answers the live status of a command as JSON.
func (p *Portal) handleCommandStatus(q *req) {
	id, err := strconv.ParseInt(q.r.PathValue("id"), 10, 64)
	if err != nil {
		writeJSON(q.w, http.StatusNotFound, map[string]string{"error": "not found"})
		return
	}
	c, err := p.svc.MyCommand(q.ctx, id)
	if err != nil {
		status := http.StatusInternalServerError
		if meibo.ErrorCode(err) == meibo.CodeNotFound {
			status = http.StatusNotFound
		}
		writeJSON(q.w, status, map[string]string{"error": meibo.AsError(err).Msg.In(q.lang)})
		return
	}
	writeJSON(q.w, http.StatusOK, map[string]any{"id": c.ID, "status": c.Status, "label": web.T(q.lang, "command.status."+string(c.Status)),
		"final": c.Status.Final(), "result": c.Result})
}

func (p *Portal) handleCancel(q *req) {
	id, err := strconv.ParseInt(q.r.PathValue("id"), 10, 64)
	if err != nil {
		p.fail(q, meibo.NotFound("not_found"))
		return
	}
	c, err := p.svc.MyCommand(q.ctx, id)
	if err != nil {
		p.fail(q, err)
		return
	}
	done := "cancelled"
	if _, err := p.svc.CancelCommand(q.ctx, id); meibo.ErrorCode(err) == meibo.CodeConflict {
		done = "late" // the device took it meanwhile
	} else if err != nil {
		p.fail(q, err)
		return
	}
	http.Redirect(q.w, q.r, "/devices/"+strconv.FormatInt(c.DeviceID, 10)+"?done="+done, http.StatusSeeOther)
}

func (p *Portal) handlePassword(q *req) {
	p.page(q, http.StatusOK, "password", "portal.password.title", nil, "")
}

func (p *Portal) handlePasswordPost(q *req) {
	cur, next, next2 := q.r.PostFormValue("currentPassword"), q.r.PostFormValue("newPassword"), q.r.PostFormValue("newPassword2")
	pg := &web.Page{Lang: q.lang, Title: web.T(q.lang, "portal.password.title"), Path: q.r.URL.Path, CSRF: q.sess.CSRF,
		Errors: map[string]string{}, Nav: &navData{q.actor}}
	if next != next2 {
		pg.Errors["newPassword2"] = web.T(q.lang, "password.mismatch")
		p.render.Render(q.w, http.StatusUnprocessableEntity, "password", pg)
		return
	}
	if err := p.svc.ChangePortalPassword(q.ctx, cur, next); err != nil {
		e := meibo.AsError(err)
		switch e.Code {
		case meibo.CodeInvalid:
		case meibo.CodeRateLimited:
			// Too many wrong current passwords: say so at the field.
			pg.Errors["currentPassword"] = e.Msg.In(q.lang)
			p.render.Render(q.w, http.StatusTooManyRequests, "password", pg)
			return
		default:
			p.fail(q, err)
			return
		}
		for f, m := range e.Fields {
			if f == "password" {
				f = "newPassword"
			}
			pg.Errors[f] = m.In(q.lang)
		}
		p.render.Render(q.w, http.StatusUnprocessableEntity, "password", pg)
		return
	}
	http.Redirect(q.w, q.r, "/?done=password", http.StatusSeeOther)
}
