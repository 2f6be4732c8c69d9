// Package scim serves a SCIM 2.0 service provider (RFC 7643, RFC 7644) for
// each group at /scim/v2/{group}: the URL and token an administrator gives
// an identity provider (Entra ID, Okta, Google) so that it creates, changes,
// disables and deletes the group's users itself. Handlers turn SCIM requests
// into the service's provisioning changes; every rule (authority, department
// scope, licence, password policy, audit) stays in the service.
//
// It imports the domain and the services, never storage.
package scim

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/request"
	"github.com/meibo/meibo/service"
)

// Bounds of the service provider, as /ServiceProviderConfig tells them.
const (
	// MaxOperations bounds the operations of one /Bulk request.
	MaxOperations = 1000
	// DefaultMaxPayloadSize bounds the body of one /Bulk request, in
	// bytes, unless Options say otherwise (the server's JSON bound).
	DefaultMaxPayloadSize = 1 << 20
	// MaxResults bounds one page of a list (a larger count is cut down).
	MaxResults = 500
	// Prefix is where the service providers are mounted.
	Prefix = "/scim/v2/"
)

// Schema URNs.
const (
	SchemaUser        = "urn:ietf:params:scim:schemas:core:2.0:User"
	SchemaGroup       = "urn:ietf:params:scim:schemas:core:2.0:Group"
	SchemaMeibo       = "urn:meibo:params:scim:schemas:extension:meibo:2.0:User"
	SchemaList        = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
	SchemaError       = "urn:ietf:params:scim:api:messages:2.0:Error"
	SchemaPatch       = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
	SchemaBulkRequest = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
	SchemaBulkResp    = "urn:ietf:params:scim:api:messages:2.0:BulkResponse"
	SchemaSPC         = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
	SchemaRT          = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
	SchemaSchema      = "urn:ietf:params:scim:schemas:core:2.0:Schema"
)

// ContentType is SCIM's media type.
const ContentType = "application/scim+json"

// Options configure the service providers.
type Options struct {
	Logger *slog.Logger
	// MaxPayloadSize is the largest body of a request (a /Bulk one
	// included), as the server bounds JSON bodies; /ServiceProviderConfig
	// tells it (default DefaultMaxPayloadSize).
	MaxPayloadSize int64
	// PublicURL is meibo's address as people reach it (--public-url), the
	// base of the locations answers name; blank: the request's own host.
	PublicURL string
}

// Server serves every group's SCIM endpoint.
type Server struct {
	svc        *service.Service
	log        *slog.Logger
	mux        *routeMux
	maxPayload int64
	publicURL  string // without a trailing slash
}

// routeMux is the service providers' ServeMux, remembering the patterns
// registered on it, so that the tests can hold the OpenAPI document to the
// routes served.
type routeMux struct {
	*http.ServeMux
	patterns []string
}

func (m *routeMux) Handle(pattern string, h http.Handler) {
	m.patterns = append(m.patterns, pattern)
	m.ServeMux.Handle(pattern, h)
}

// Routes lists the patterns served ("METHOD /scim/v2/{group}/…").
func (s *Server) Routes() []string { return slices.Clone(s.mux.patterns) }

// New returns the handler of /scim/v2/.
func New(svc *service.Service, opts Options) *Server {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.MaxPayloadSize <= 0 {
		opts.MaxPayloadSize = DefaultMaxPayloadSize
	}
	s := &Server{svc: svc, log: opts.Logger, mux: &routeMux{ServeMux: http.NewServeMux()}, maxPayload: opts.MaxPayloadSize,
		publicURL: strings.TrimRight(opts.PublicURL, "/")}
	m := s.mux
	m.Handle("GET /scim/v2/{group}/ServiceProviderConfig", s.auth(s.handleSPC))
	m.Handle("GET /scim/v2/{group}/ResourceTypes", s.auth(s.handleResourceTypes))
	m.Handle("GET /scim/v2/{group}/ResourceTypes/{id}", s.auth(s.handleResourceType))
	m.Handle("GET /scim/v2/{group}/Schemas", s.auth(s.handleSchemas))
	m.Handle("GET /scim/v2/{group}/Schemas/{id}", s.auth(s.handleSchema))
	m.Handle("GET /scim/v2/{group}/Users", s.auth(s.handleUsers))
	m.Handle("POST /scim/v2/{group}/Users/.search", s.auth(s.handleUserSearch))
	m.Handle("POST /scim/v2/{group}/Users", s.auth(s.handleUserCreate))
	m.Handle("GET /scim/v2/{group}/Users/{id}", s.auth(s.handleUser))
	m.Handle("PUT /scim/v2/{group}/Users/{id}", s.auth(s.handleUserReplace))
	m.Handle("PATCH /scim/v2/{group}/Users/{id}", s.auth(s.handleUserPatch))
	m.Handle("DELETE /scim/v2/{group}/Users/{id}", s.auth(s.handleUserDelete))
	m.Handle("GET /scim/v2/{group}/Groups", s.auth(s.handleGroups))
	m.Handle("GET /scim/v2/{group}/Groups/{id}", s.auth(s.handleGroup))
	m.Handle("PATCH /scim/v2/{group}/Groups/{id}", s.auth(s.handleGroupPatch))
	m.Handle("PUT /scim/v2/{group}/Groups/{id}", s.auth(s.handleGroupReplace))
	m.Handle("POST /scim/v2/{group}/Groups", s.auth(s.handleGroupFixed))
	// A SCIM token acts for no user: /Me is not supported (RFC 7644
	// §3.11: 501).
	m.Handle("GET /scim/v2/{group}/Me", s.auth(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, &scimError{status: http.StatusNotImplemented, detail: "/Me is not supported: a SCIM token acts for no user"})
	}))
	m.Handle("DELETE /scim/v2/{group}/Groups/{id}", s.auth(s.handleGroupFixed))
	m.Handle("POST /scim/v2/{group}/Bulk", s.auth(s.handleBulk))
	return s
}

// ServeHTTP answers SCIM requests; unknown routes get a SCIM error.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if _, pattern := s.mux.Handler(r); pattern == "" {
		// The mux answers 404, or 405 (with Allow) for a method the
		// endpoint does not take, in plain text: answer as SCIM errors.
		s.mux.ServeHTTP(&scimStatus{ResponseWriter: w, r: r}, r)
		return
	}
	// Every body is bounded here, so that one over the bound is answered
	// as a SCIM error (413, without a scimType: tooMany is a filter's).
	if r.ContentLength > s.maxPayload {
		writeError(w, tooLarge(s.maxPayload))
		return
	}
	if r.Body != nil {
		r.Body = http.MaxBytesReader(w, r.Body, s.maxPayload)
	}
	s.mux.ServeHTTP(w, r)
}

// scimStatus turns the mux's plain-text 404 and 405 into SCIM errors.
type scimStatus struct {
	http.ResponseWriter
	r         *http.Request
	rewritten bool
}

func (e *scimStatus) WriteHeader(code int) {
	switch code {
	case http.StatusNotFound:
		e.rewritten = true
		writeError(e.ResponseWriter, &scimError{status: code, detail: "no such endpoint"})
	case http.StatusMethodNotAllowed:
		e.rewritten = true
		writeError(e.ResponseWriter, &scimError{status: code, detail: e.r.Method + " is not allowed on " + e.r.URL.Path +
			"; it takes " + e.Header().Get("Allow")})
	default:
		e.ResponseWriter.WriteHeader(code)
	}
}

func (e *scimStatus) Write(b []byte) (int, error) {
	if e.rewritten {
		return len(b), nil
	}
	return e.ResponseWriter.Write(b)
}

// auth checks the bearer token against the group of the path and puts
// the token's actor in the context, and the group's stored ID in the
// path's place.
func (s *Server) auth(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			w.Header().Set("WWW-Authenticate", `Bearer realm="meibo SCIM"`)
			writeError(w, &scimError{status: http.StatusUnauthorized, detail: "a bearer token is needed"})
			return
		}
		act, err := s.svc.AuthenticateSCIM(r.Context(), r.PathValue("group"), strings.TrimSpace(token), request.ClientAddr(r))
		if err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="meibo SCIM"`)
			s.fail(w, r, err)
			return
		}
		// The group as stored, whatever the case of the path: the
		// locations answers name are the group's own.
		r.SetPathValue("group", act.GroupID)
		h(w, r.WithContext(meibo.WithActor(r.Context(), act)))
	})
}

// scimError is an error answered as a SCIM error response.
type scimError struct {
	status   int
	scimType string
	detail   string
}

func (e *scimError) Error() string { return e.detail }

func badRequest(scimType, detail string) *scimError {
	return &scimError{status: http.StatusBadRequest, scimType: scimType, detail: detail}
}

// toSCIMError maps a service error to a SCIM error.
func toSCIMError(err error) (*scimError, bool) {
	var se *scimError
	if errors.As(err, &se) {
		return se, true
	}
	var me *meibo.Error
	if !errors.As(err, &me) {
		return &scimError{status: http.StatusInternalServerError, detail: "internal error"}, false
	}
	// The detail names each attribute refused, as SCIM names it.
	detail := me.Msg.In(meibo.English)
	for _, f := range slices.Sorted(maps.Keys(me.Fields)) {
		d := me.Fields[f].In(meibo.English)
		if a, ok := fieldAttrs[f]; ok {
			f = a
		}
		if d == detail && len(me.Fields) == 1 {
			detail = f + ": " + d
		} else {
			detail += "; " + f + ": " + d
		}
	}
	switch me.Code {
	case meibo.CodeInvalid:
		return &scimError{status: http.StatusBadRequest, scimType: "invalidValue", detail: detail}, true
	case meibo.CodeBadRequest:
		return &scimError{status: http.StatusBadRequest, scimType: "invalidSyntax", detail: detail}, true
	case meibo.CodeUnauthorized:
		return &scimError{status: http.StatusUnauthorized, detail: detail}, true
	case meibo.CodeForbidden:
		return &scimError{status: http.StatusForbidden, detail: detail}, true
	case meibo.CodeNotFound:
		return &scimError{status: http.StatusNotFound, detail: detail}, true
	case meibo.CodeConflict:
		return &scimError{status: http.StatusConflict, scimType: "uniqueness", detail: detail}, true
	case meibo.CodeLicenceExceeded:
		// No scimType fits; the status says the request cannot be made.
		return &scimError{status: http.StatusConflict, detail: detail}, true
	case meibo.CodeTooLarge:
		return &scimError{status: http.StatusRequestEntityTooLarge, detail: detail}, true
	case meibo.CodeRateLimited:
		return &scimError{status: http.StatusTooManyRequests, detail: detail}, true
	}
	return &scimError{status: http.StatusInternalServerError, detail: "internal error"}, false
}

// fieldAttrs names the SCIM attributes of the service's fields where
// they differ.
var fieldAttrs = map[string]string{"name": "userName", "email": "emails", "givenName": "name.givenName",
	"familyName": "name.familyName", "profile": SchemaMeibo + ":profile", "apiAccess": SchemaMeibo + ":apiAccess"}

func (e *scimError) body() map[string]any {
	b := map[string]any{"schemas": []string{SchemaError}, "status": strconv.Itoa(e.status), "detail": e.detail}
	if e.scimType != "" {
		b["scimType"] = e.scimType
	}
	return b
}

// fail answers err as a SCIM error, logging internal errors.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	se, known := toSCIMError(err)
	if !known {
		s.log.Error("SCIM request failed", "err", err, "path", r.URL.Path)
	}
	writeError(w, se)
}

func writeError(w http.ResponseWriter, e *scimError) {
	writeJSON(w, e.status, e.body())
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", ContentType+"; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v) //nolint:errcheck // the client went away
}

// decode reads a JSON body into v (numbers kept as json.Number).
func decode(r *http.Request, v any) error {
	dec := json.NewDecoder(r.Body)
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return tooLarge(mbe.Limit)
		}
		if errors.Is(err, io.EOF) {
			return badRequest("invalidSyntax", "the request body is empty")
		}
		return badRequest("invalidSyntax", "the request body is not valid JSON: "+err.Error())
	}
	return nil
}

// tooLarge is the refusal of a body over max bytes.
func tooLarge(max int64) *scimError {
	return &scimError{status: http.StatusRequestEntityTooLarge,
		detail: "the request body is larger than the limit of " + request.FormatBytes(max) + " (set by --json-max-bytes)"}
}

// base is the URL of the group's endpoint, for meta.location and $ref: under
// the public URL when one is set, else as the request reached meibo.
func (s *Server) base(r *http.Request) string {
	if s.publicURL != "" {
		return s.publicURL + Prefix + r.PathValue("group")
	}
	scheme := "http"
	if request.IsHTTPS(r) {
		scheme = "https"
	}
	return scheme + "://" + r.Host + Prefix + r.PathValue("group")
}
