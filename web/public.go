package web

import (
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/service"
)

// Public serves the pages for people who are not signed in: choosing a
// password from an invitation or reset link, and asking for a reset.
type Public struct {
	svc      *service.Service
	render   *Renderer
	assets   *Assets
	log      *slog.Logger
	loc      *time.Location
	minReset time.Duration
}

// PublicOptions configure the public pages.
type PublicOptions struct {
	Logger   *slog.Logger
	Location *time.Location // for times shown on pages
	// MinResetTime is how long a reset request takes at least, so that a
	// known and an unknown account answer alike (default 500 ms).
	MinResetTime time.Duration
}

// NewPublic parses the templates and hashes the assets; an error here is a
// broken build.
func NewPublic(svc *service.Service, opts PublicOptions) (*Public, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Location == nil {
		opts.Location = time.UTC
	}
	if opts.MinResetTime <= 0 {
		opts.MinResetTime = 500 * time.Millisecond
	}
	static, _ := fs.Sub(files, "static")
	assets, err := NewAssets(static)
	if err != nil {
		return nil, err
	}
	tmpl, _ := fs.Sub(files, "templates")
	r, err := NewRenderer(tmpl, assets, opts.Logger, nil)
	if err != nil {
		return nil, err
	}
	return &Public{svc: svc, render: r, assets: assets, log: opts.Logger, loc: opts.Location, minReset: opts.MinResetTime}, nil
}

// Assets are the shared static files (for the console and the portal too).
func (p *Public) Assets() *Assets { return p.assets }

// Register adds the public routes to mux.
func (p *Public) Register(mux *http.ServeMux) {
	mux.Handle("GET /static/", p.assets)
	mux.Handle("GET "+service.PasswordPath+"{token}", Secure(http.HandlerFunc(p.handlePassword)))
	mux.Handle("POST "+service.PasswordPath+"{token}", Secure(http.HandlerFunc(p.handlePasswordSet)))
	mux.Handle("GET /reset", Secure(http.HandlerFunc(p.handleReset)))
	mux.Handle("POST /reset", Secure(http.HandlerFunc(p.handleResetRequest)))
}

func (p *Public) page(w http.ResponseWriter, r *http.Request, titleKey string) *Page {
	lang := Lang(w, r)
	return &Page{Lang: lang, Title: T(lang, titleKey), Path: r.URL.Path}
}

type linkData struct {
	UserName, GroupID, GroupName, Expires string
}

func (p *Public) linkData(info *service.LinkInfo) linkData {
	return linkData{UserName: info.UserName, GroupID: info.GroupID, GroupName: info.GroupName,
		Expires: info.ExpiresAt.In(p.loc).Format("2006-01-02 15:04 MST")}
}

func (p *Public) handlePassword(w http.ResponseWriter, r *http.Request) {
	pg := p.page(w, r, "password.title")
	info, err := p.svc.CheckLink(r.Context(), r.PathValue("token"))
	if err != nil {
		p.linkError(w, r, pg, err)
		return
	}
	pg.Data = p.linkData(info)
	pg.CSRF = FormToken(w, r)
	p.render.Render(w, http.StatusOK, "password", pg)
}

// linkError shows the page for a link that cannot be used, or an internal
// error.
func (p *Public) linkError(w http.ResponseWriter, r *http.Request, pg *Page, err error) {
	if meibo.ErrorCode(err) == meibo.CodeNotFound {
		pg.Title = T(pg.Lang, "link.invalid.title")
		p.render.Render(w, http.StatusNotFound, "link_invalid", pg)
		return
	}
	p.internal(w, pg, err)
}

func (p *Public) internal(w http.ResponseWriter, pg *Page, err error) {
	p.log.Error("public page", "path", pg.Path, "err", err)
	pg.Message = T(pg.Lang, "error.internal")
	pg.Title = T(pg.Lang, "error.internal")
	p.render.Render(w, http.StatusInternalServerError, "notfound", pg)
}

func (p *Public) handlePasswordSet(w http.ResponseWriter, r *http.Request) {
	pg := p.page(w, r, "password.title")
	token := r.PathValue("token")
	info, err := p.svc.CheckLink(r.Context(), token)
	if err != nil {
		p.linkError(w, r, pg, err)
		return
	}
	pg.Data = p.linkData(info)
	if !CheckFormToken(r) {
		pg.CSRF = FormToken(w, r)
		pg.Message = T(pg.Lang, "form.expired")
		p.render.Render(w, http.StatusForbidden, "password", pg)
		return
	}
	pg.CSRF = FormToken(w, r)
	pw, pw2 := r.PostFormValue("password"), r.PostFormValue("password2")
	if pw != pw2 {
		pg.Errors = map[string]string{"password2": T(pg.Lang, "password.mismatch")}
		p.render.Render(w, http.StatusUnprocessableEntity, "password", pg)
		return
	}
	info, err = p.svc.SetPasswordByLink(r.Context(), token, pw, ClientAddr(r))
	switch {
	case meibo.ErrorCode(err) == meibo.CodeInvalid:
		pg.Errors = map[string]string{}
		for f, m := range meibo.AsError(err).Fields {
			pg.Errors[f] = m.In(pg.Lang)
		}
		if len(pg.Errors) == 0 {
			pg.Errors["password"] = meibo.AsError(err).Msg.In(pg.Lang)
		}
		p.render.Render(w, http.StatusUnprocessableEntity, "password", pg)
		return
	case err != nil:
		p.linkError(w, r, pg, err)
		return
	}
	pg.Title = T(pg.Lang, "password.done.title")
	pg.Data = p.linkData(info)
	p.render.Render(w, http.StatusOK, "password_done", pg)
}

type resetData struct{ Group, User string }

func (p *Public) handleReset(w http.ResponseWriter, r *http.Request) {
	pg := p.page(w, r, "reset.title")
	pg.CSRF = FormToken(w, r)
	pg.Data = resetData{Group: r.URL.Query().Get("group"), User: r.URL.Query().Get("user")}
	p.render.Render(w, http.StatusOK, "reset", pg)
}

// handleResetRequest answers a reset request with one page whatever the
// account, after the same minimum time, so that neither the answer nor its
// timing tells whether the account exists.
func (p *Public) handleResetRequest(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	pg := p.page(w, r, "reset.title")
	d := resetData{Group: strings.TrimSpace(r.PostFormValue("group")), User: strings.TrimSpace(r.PostFormValue("user"))}
	pg.Data = d
	if !CheckFormToken(r) {
		pg.CSRF = FormToken(w, r)
		pg.Message = T(pg.Lang, "form.expired")
		p.render.Render(w, http.StatusForbidden, "reset", pg)
		return
	}
	pg.CSRF = FormToken(w, r)
	if d.Group == "" || d.User == "" {
		pg.Message = T(pg.Lang, "reset.required")
		p.render.Render(w, http.StatusUnprocessableEntity, "reset", pg)
		return
	}
	err := p.svc.RequestPasswordReset(r.Context(), d.Group, d.User, ClientAddr(r), pg.Lang)
	if wait := p.minReset - time.Since(start); wait > 0 {
		time.Sleep(wait)
	}
	switch {
	case meibo.ErrorCode(err) == meibo.CodeRateLimited:
		pg.Message = meibo.AsError(err).Msg.In(pg.Lang)
		p.render.Render(w, http.StatusTooManyRequests, "reset", pg)
		return
	case err != nil:
		p.internal(w, pg, err)
		return
	}
	pg.Title = T(pg.Lang, "reset.sent.title")
	p.render.Render(w, http.StatusOK, "reset_sent", pg)
}
