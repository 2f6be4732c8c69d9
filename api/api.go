// Package api serves meibo's JSON API under /api/v1. Handlers decode the
// request, call the service with the authenticated actor in the context and
// encode the answer; they hold no rules of their own. Errors are JSON
// {"error":{"code","message","fields"}} with one status per error code.
//
// It imports the domain and the services, never storage.
package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"golang.org/x/text/language"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/request"
	"github.com/meibo/meibo/service"
)

// Options configure the API.
type Options struct {
	Logger *slog.Logger
	// MaxUpload bounds import uploads (default 64 MiB).
	MaxUpload int64
}

// Server is the JSON API.
type Server struct {
	svc *service.Service
	log *slog.Logger
	max int64
	mux *routeMux
}

// New returns the API handler for every /api/v1 route.
func New(svc *service.Service, opts Options) *Server {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.MaxUpload <= 0 {
		opts.MaxUpload = 64 << 20
	}
	s := &Server{svc: svc, log: opts.Logger, max: opts.MaxUpload, mux: &routeMux{ServeMux: http.NewServeMux()}}
	s.routes()
	return s
}

func (s *Server) routes() {
	m := s.mux
	m.HandleFunc("POST /api/v1/login", s.handleLogin)
	m.Handle("POST /api/v1/logout", s.auth(s.handleLogout))
	m.Handle("GET /api/v1/me", s.auth(s.handleMe))
	m.Handle("PUT /api/v1/me/password", s.auth(s.handleMyPassword))

	m.Handle("GET /api/v1/settings", s.auth(s.handleSettings))
	m.Handle("PATCH /api/v1/settings", s.auth(s.handleSettingsUpdate))
	m.Handle("GET /api/v1/licence", s.auth(s.handleLicence))
	m.Handle("GET /api/v1/unified-users", s.auth(s.handleUnifiedUsers))

	m.Handle("GET /api/v1/groups", s.auth(s.handleGroups))
	m.Handle("POST /api/v1/groups", s.auth(s.handleGroupCreate))
	m.Handle("GET /api/v1/groups/{group}", s.auth(s.handleGroup))
	m.Handle("PATCH /api/v1/groups/{group}", s.auth(s.handleGroupUpdate))
	m.Handle("DELETE /api/v1/groups/{group}", s.auth(s.handleGroupDelete))

	m.Handle("GET /api/v1/groups/{group}/profiles", s.auth(s.handleProfiles))
	m.Handle("POST /api/v1/groups/{group}/profiles", s.auth(s.handleProfileCreate))
	m.Handle("PATCH /api/v1/profiles/{id}", s.auth(s.handleProfileUpdate))
	m.Handle("DELETE /api/v1/profiles/{id}", s.auth(s.handleProfileDelete))

	m.Handle("GET /api/v1/groups/{group}/users", s.auth(s.handleUsers))
	m.Handle("POST /api/v1/groups/{group}/users", s.auth(s.handleUserCreate))
	m.Handle("GET /api/v1/users/{id}", s.auth(s.handleUser))
	m.Handle("PATCH /api/v1/users/{id}", s.auth(s.handleUserUpdate))
	m.Handle("DELETE /api/v1/users/{id}", s.auth(s.handleUserDelete))
	m.Handle("POST /api/v1/users/{id}/duplicate", s.auth(s.handleUserDuplicate))

	m.Handle("GET /api/v1/admins", s.auth(s.handleAdmins))
	m.Handle("POST /api/v1/admins", s.auth(s.handleAdminCreate))
	m.Handle("GET /api/v1/admins/{id}", s.auth(s.handleAdmin))
	m.Handle("PATCH /api/v1/admins/{id}", s.auth(s.handleAdminUpdate))
	m.Handle("DELETE /api/v1/admins/{id}", s.auth(s.handleAdminDelete))

	m.Handle("GET /api/v1/audit", s.auth(s.handleAudit))
	m.Handle("GET /api/v1/audit.csv", s.auth(s.handleAuditCSV))

	s.importRoutes()
	s.bulkRoutes()
	s.mailRoutes()
	s.backupRoutes()
	s.deviceRoutes()
	s.throttleRoutes()
	s.factorRoutes()
	s.scimTokenRoutes()
	s.personalRoutes()
	s.openAPIRoutes()
}

// ServeHTTP serves the API with request IDs, panic recovery and JSON
// answers for unknown routes and wrong methods.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.Error("panic", "panic", v, "path", r.URL.Path, "request_id", RequestID(r.Context()))
			s.writeError(w, r, meibo.Errorf(meibo.CodeInternal, "internal"))
		}
	}()
	if _, pattern := s.mux.Handler(r); pattern == "" {
		// The mux would answer 404 or 405 in plain text; answer in JSON.
		w = &jsonStatus{ResponseWriter: w, s: s, r: r}
	}
	s.mux.ServeHTTP(w, r)
}

// jsonStatus turns the mux's plain-text 404 and 405 into JSON errors.
type jsonStatus struct {
	http.ResponseWriter
	s         *Server
	r         *http.Request
	rewritten bool
}

func (j *jsonStatus) WriteHeader(code int) {
	switch code {
	case http.StatusNotFound:
		j.rewritten = true
		j.s.writeError(j.ResponseWriter, j.r, meibo.NotFound("not_found"))
	case http.StatusMethodNotAllowed:
		j.rewritten = true
		writeJSON(j.ResponseWriter, code, errorBody{Error: errorDetail{Code: "method_not_allowed", Message: meibo.M("method_not_allowed", j.r.Method).In(Lang(j.r))}})
	default:
		j.ResponseWriter.WriteHeader(code)
	}
}

func (j *jsonStatus) Write(b []byte) (int, error) {
	if j.rewritten {
		return len(b), nil
	}
	return j.ResponseWriter.Write(b)
}

// auth authenticates the bearer token and puts the actor in the context.
func (s *Server) auth(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, ok := bearer(r)
		if !ok {
			s.writeError(w, r, meibo.Errorf(meibo.CodeUnauthorized, "unauthorized"))
			return
		}
		act, err := s.svc.Authenticate(r.Context(), token, ClientAddr(r))
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		h(w, r.WithContext(meibo.WithActor(r.Context(), act)))
	})
}

func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return "", false
	}
	return strings.TrimSpace(token), true
}

// ClientAddr is the address of the client: the connection's peer, or
// through a trusted proxy the address it reports (see package request).
func ClientAddr(r *http.Request) string { return request.ClientAddr(r) }

var langMatcher = language.NewMatcher([]language.Tag{language.English, language.Japanese})

// Lang picks English or Japanese from the request's Accept-Language.
func Lang(r *http.Request) meibo.Lang {
	tags, _, _ := language.ParseAcceptLanguage(r.Header.Get("Accept-Language"))
	_, i, _ := langMatcher.Match(tags...)
	if i == 1 {
		return meibo.Japanese
	}
	return meibo.English
}

type requestIDKey struct{}

// RequestID returns the request's ID (set by WithRequestID).
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// WithRequestID gives each request an ID (the X-Request-ID header, or a new
// one), logs the request when it ends, and answers with the ID.
func WithRequestID(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-ID")
		if id == "" || len(id) > 64 {
			b := make([]byte, 8)
			rand.Read(b)
			id = hex.EncodeToString(b)
		}
		w.Header().Set("X-Request-ID", id)
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r.WithContext(context.WithValue(r.Context(), requestIDKey{}, id)))
		log.Info("request", "method", r.Method, "path", loggedPath(r.URL.Path), "status", sw.status,
			"duration_ms", float64(time.Since(start).Microseconds())/1000, "request_id", id, "addr", ClientAddr(r))
	})
}

// loggedPath is the path as logged: the token of a password link is a
// secret and never written to the log.
func loggedPath(p string) string {
	if strings.HasPrefix(p, service.PasswordPath) && len(p) > len(service.PasswordPath) {
		return service.PasswordPath + "(token)"
	}
	return p
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) { w.status = code; w.ResponseWriter.WriteHeader(code) }

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
