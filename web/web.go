// Package web holds what meibo's server-rendered pages share: templates
// parsed from embedded files at start, static assets served under a content
// hash, the two languages, security headers, and sessionless CSRF
// protection; and the pages for people who are not signed in (choosing a
// password from a link, asking for a reset). The console and the portal
// build on it.
//
// It imports the domain and the services, never storage.
package web

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"golang.org/x/text/language"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/request"
)

//go:embed templates static
var files embed.FS

// Assets serves the embedded static files under names that hold a hash of
// their content ("/static/style.3f2a9c1b.css"), cached for a year: a new
// version has a new name.
type Assets struct {
	byName map[string]string // "style.css" → "/static/style.3f2a9c1b.css"
	byPath map[string][]byte // "/static/style.3f2a9c1b.css" → content
	types  map[string]string
}

// NewAssets hashes every file of fsys (a folder of static files).
func NewAssets(fsys fs.FS) (*Assets, error) {
	a := &Assets{byName: map[string]string{}, byPath: map[string][]byte{}, types: map[string]string{}}
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		ext := path.Ext(p)
		hashed := "/static/" + strings.TrimSuffix(p, ext) + "." + hex.EncodeToString(sum[:4]) + ext
		a.byName[p], a.byPath[hashed] = hashed, b
		switch ext {
		case ".css":
			a.types[hashed] = "text/css; charset=utf-8"
		case ".js":
			a.types[hashed] = "text/javascript; charset=utf-8"
		case ".svg":
			a.types[hashed] = "image/svg+xml"
		default:
			a.types[hashed] = http.DetectContentType(b)
		}
		return nil
	})
	return a, err
}

// URL returns the hashed URL of a static file; a missing one panics at
// template execution, which tests catch.
func (a *Assets) URL(name string) (string, error) {
	u, ok := a.byName[name]
	if !ok {
		return "", fmt.Errorf("web: no static file %q", name)
	}
	return u, nil
}

// ServeHTTP serves a hashed static file.
func (a *Assets) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, ok := a.byPath[r.URL.Path]
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", a.types[r.URL.Path])
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(b))
}

// Renderer renders pages from templates parsed once, at start: each page
// template is parsed together with the layout and the partials.
type Renderer struct {
	pages  map[string]*template.Template
	assets *Assets
	log    *slog.Logger
}

// Page is what every page template gets.
type Page struct {
	Lang    meibo.Lang
	Title   string
	Path    string // the request's path, for the language switch
	Query   string // the request's query, which the language switch keeps
	CSRF    string
	Data    any
	Errors  map[string]string // per field, already in Lang
	Message string            // an error or notice for the whole form
	Nav     any               // the console's or portal's navigation, if any
}

// LangHref is the address of the page in the other language: its path and
// query, only lang replaced (a filtered list stays filtered).
func (p *Page) LangHref() string {
	q, _ := url.ParseQuery(p.Query)
	other := meibo.Japanese
	if p.Lang == meibo.Japanese {
		other = meibo.English
	}
	q.Set("lang", string(other))
	return p.Path + "?" + q.Encode()
}

// NewRenderer parses the page templates of fsys ("pages/*.html"), each with
// "layout.html" and "partials/*.html" of the same folder, and fails on the
// first that does not parse.
func NewRenderer(fsys fs.FS, assets *Assets, log *slog.Logger, extra template.FuncMap) (*Renderer, error) {
	r := &Renderer{pages: map[string]*template.Template{}, assets: assets, log: log}
	funcs := template.FuncMap{
		"asset": assets.URL,
		"t":     func(lang meibo.Lang, key string, args ...any) string { return T(lang, key, args...) },
		"tn":    func(lang meibo.Lang, key string, n int, args ...any) string { return TN(lang, key, n, args...) },
		"msg":   func(lang meibo.Lang, m meibo.Msg) string { return m.In(lang) },
		"other": func(lang meibo.Lang) meibo.Lang {
			if lang == meibo.Japanese {
				return meibo.English
			}
			return meibo.Japanese
		},
		"datetime": func(t time.Time, loc *time.Location) string { return t.In(loc).Format("2006-01-02 15:04") },
	}
	for k, v := range extra {
		funcs[k] = v
	}
	pages, err := fs.Glob(fsys, "pages/*.html")
	if err != nil {
		return nil, err
	}
	partials, _ := fs.Glob(fsys, "partials/*.html")
	for _, p := range pages {
		t := template.New("layout.html").Funcs(funcs)
		t, err := t.ParseFS(fsys, append([]string{"layout.html", p}, partials...)...)
		if err != nil {
			return nil, fmt.Errorf("web: parse %s: %w", p, err)
		}
		r.pages[strings.TrimSuffix(path.Base(p), ".html")] = t
	}
	return r, nil
}

// Render writes page name with status.
func (r *Renderer) Render(w http.ResponseWriter, status int, name string, p *Page) {
	t, ok := r.pages[name]
	if !ok {
		r.log.Error("no such page template", "page", name)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	var b bytes.Buffer
	if err := t.Execute(&b, p); err != nil {
		r.log.Error("render page", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(b.Bytes())
}

// Secure sets the headers of every response (the server wraps its whole
// mux in it, so that a 404 for an unknown path and the API have them too):
// a strict content security policy (no inline script or style), no framing,
// no referrer (links carry tokens), no caching, and over https
// Strict-Transport-Security.
func Secure(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		if request.IsHTTPS(r) {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "+
			"frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

// ClientAddr is the client's address: the peer, or through a trusted proxy
// the address it reports (see package request).
func ClientAddr(r *http.Request) string { return request.ClientAddr(r) }

// IsHTTPS reports whether the client reached meibo over https (see package
// request).
func IsHTTPS(r *http.Request) bool { return request.IsHTTPS(r) }

// hostPrefix is the prefix of cookie names over https: a browser takes such
// a cookie only when it is Secure, for Path=/ and without Domain, so no
// other host (nor plain http) can plant one.
const hostPrefix = "__Host-"

// SetCookie sets c; over https (see request.IsHTTPS) with the __Host-
// prefix, Secure and for the whole site, else under its own name.
func SetCookie(w http.ResponseWriter, r *http.Request, c *http.Cookie) {
	if request.IsHTTPS(r) {
		c.Name, c.Secure, c.Path, c.Domain = hostPrefix+c.Name, true, "/", ""
	}
	http.SetCookie(w, c)
}

// CookieValue reads the cookie name as SetCookie set it for this request
// ("" when there is none): over https only the __Host- one.
func CookieValue(r *http.Request, name string) string {
	if request.IsHTTPS(r) {
		name = hostPrefix + name
	}
	if c, err := r.Cookie(name); err == nil {
		return c.Value
	}
	return ""
}

// Cookies lists the request's cookies by the names SetCookie was given:
// over https only the __Host- ones, without the prefix (so that a name
// listed here is one to give SetCookie and CookieValue), else all of them.
func Cookies(r *http.Request) []*http.Cookie {
	https := request.IsHTTPS(r)
	var cs []*http.Cookie
	for _, c := range r.Cookies() {
		if https {
			name, ok := strings.CutPrefix(c.Name, hostPrefix)
			if !ok {
				continue
			}
			c.Name = name
		}
		cs = append(cs, c)
	}
	return cs
}

const langCookie = "meibo_lang"

var matcher = language.NewMatcher([]language.Tag{language.English, language.Japanese})

// Lang picks the page language: ?lang= (remembered in a cookie), else the
// cookie, else Accept-Language.
func Lang(w http.ResponseWriter, r *http.Request) meibo.Lang {
	if l := r.URL.Query().Get("lang"); l == "en" || l == "ja" {
		SetCookie(w, r, &http.Cookie{Name: langCookie, Value: l, Path: "/", MaxAge: 365 * 24 * 3600, HttpOnly: true,
			SameSite: http.SameSiteLaxMode})
		return meibo.Lang(l)
	}
	if c := CookieValue(r, langCookie); c == "en" || c == "ja" {
		return meibo.Lang(c)
	}
	tags, _, _ := language.ParseAcceptLanguage(r.Header.Get("Accept-Language"))
	if _, i, _ := matcher.Match(tags...); i == 1 {
		return meibo.Japanese
	}
	return meibo.English
}

const formCSRFCookie = "meibo_form"

// FormToken returns the CSRF token of a sessionless form (double submit: a
// random cookie, and the same value in the form), setting the cookie when
// the browser has none.
func FormToken(w http.ResponseWriter, r *http.Request) string {
	if c := CookieValue(r, formCSRFCookie); len(c) >= 32 {
		return c
	}
	b := make([]byte, 32)
	rand.Read(b)
	v := base64.RawURLEncoding.EncodeToString(b)
	SetCookie(w, r, &http.Cookie{Name: formCSRFCookie, Value: v, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode})
	return v
}

// CheckFormToken compares the form's CSRF token with the cookie in constant
// time.
func CheckFormToken(r *http.Request) bool {
	c := CookieValue(r, formCSRFCookie)
	if len(c) < 32 {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(c), []byte(r.PostFormValue("csrf"))) == 1
}
