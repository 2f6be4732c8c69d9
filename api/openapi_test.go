package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/meibo/meibo/api"
	"github.com/meibo/meibo/service"
	"github.com/meibo/meibo/store/storetest"
)

// The OpenAPI document, loaded and checked once for every test.
var openAPI struct {
	once   sync.Once
	doc    *openapi3.T
	router routers.Router
	err    error
}

func loadOpenAPI(t testing.TB) (*openapi3.T, routers.Router) {
	t.Helper()
	openAPI.once.Do(func() {
		// CSV files are opaque here (docs/CSV.md describes them): the
		// library's CSV decoder would reject CP932 and byte order marks.
		openapi3filter.RegisterBodyDecoder("text/csv", openapi3filter.FileBodyDecoder)
		openapi3filter.RegisterBodyDecoder("application/gzip", openapi3filter.FileBodyDecoder)
		loader := openapi3.NewLoader()
		doc, err := loader.LoadFromData(api.OpenAPI)
		if err != nil {
			openAPI.err = err
			return
		}
		if err := doc.Validate(loader.Context); err != nil {
			openAPI.err = err
			return
		}
		openAPI.doc = doc
		openAPI.router, openAPI.err = gorillamux.NewRouter(doc)
	})
	if openAPI.err != nil {
		t.Fatalf("api/openapi.yaml: %v", openAPI.err)
	}
	return openAPI.doc, openAPI.router
}

// newTestServer serves h as httptest does, holding every request and answer
// to the OpenAPI document: each answer must be documented for its route
// and status and match its schema, and each request the API accepted (2xx)
// must match the document too. Requests the API refused are not checked
// against it: tests send malformed ones on purpose. Every API test starts
// its server here.
func newTestServer(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	_, router := loadOpenAPI(t)
	return httptest.NewServer(validateOpenAPI(t.Errorf, router, h))
}

// validateOpenAPI is the middleware of newTestServer.
func validateOpenAPI(report func(format string, args ...any), router routers.Router, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var reqBody bytes.Buffer
		if r.Body != nil {
			r.Body = readCloser{io.TeeReader(r.Body, &reqBody), r.Body}
		}
		rec := &recordingWriter{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(rec, r)
		what := r.Method + " " + r.URL.Path

		// The request as the router and validator see it.
		req := r.Clone(context.Background())
		req.Body = io.NopCloser(bytes.NewReader(reqBody.Bytes()))
		req.ContentLength = int64(reqBody.Len())
		route, params, err := router.FindRoute(req)
		if err != nil {
			if rec.status != http.StatusNotFound && rec.status != http.StatusMethodNotAllowed {
				report("OpenAPI: %s answered %d but is not in api/openapi.yaml: %v", what, rec.status, err)
			}
			return
		}
		opts := &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, IncludeResponseStatus: true, MultiError: true}
		in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: opts}
		if rec.status >= 200 && rec.status < 300 {
			if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
				report("OpenAPI: %s was accepted (%d) but does not match api/openapi.yaml: %v", what, rec.status, err)
			}
		}
		out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: rec.status, Header: rec.Header().Clone(),
			Options: opts}
		out.SetBodyBytes(rec.body.Bytes())
		if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
			report("OpenAPI: the answer %d to %s does not match api/openapi.yaml: %v\n%s", rec.status, what, err, clipBody(rec.body.String()))
		}
	})
}

func clipBody(s string) string {
	if len(s) > 2000 {
		return s[:2000] + "…"
	}
	return s
}

type readCloser struct {
	io.Reader
	io.Closer
}

// recordingWriter passes an answer through and keeps a copy of it.
type recordingWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
	body   bytes.Buffer
}

func (w *recordingWriter) WriteHeader(code int) {
	if !w.wrote {
		w.status, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *recordingWriter) Write(b []byte) (int, error) {
	w.wrote = true
	w.body.Write(b)
	return w.ResponseWriter.Write(b)
}

func (w *recordingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// TestOpenAPIRoutes holds the document to the routes served: every route
// registered on the API is documented with its method, and every operation
// of the document is served.
func TestOpenAPIRoutes(t *testing.T) {
	doc, _ := loadOpenAPI(t)
	db := storetest.Open(t, "sqlite", nil)
	srv := api.New(service.New(db, service.Config{Logger: slog.New(slog.DiscardHandler)}), api.Options{})
	served := map[string]bool{}
	for _, p := range srv.Routes() {
		method, path, ok := strings.Cut(p, " ")
		if !ok {
			t.Errorf("route %q has no method: every API route names one", p)
			continue
		}
		served[method+" "+path] = true
	}
	documented := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			documented[method+" "+path] = true
		}
	}
	var missing, extra []string
	for r := range served {
		if !documented[r] {
			missing = append(missing, r)
		}
	}
	for r := range documented {
		if !served[r] {
			extra = append(extra, r)
		}
	}
	slices.Sort(missing)
	slices.Sort(extra)
	if len(missing) > 0 {
		t.Errorf("served but not in api/openapi.yaml:\n  %s", strings.Join(missing, "\n  "))
	}
	if len(extra) > 0 {
		t.Errorf("in api/openapi.yaml but not served:\n  %s", strings.Join(extra, "\n  "))
	}
	if len(served) < 40 {
		t.Errorf("only %d routes collected: the route list is not what the API serves", len(served))
	}
}

// TestOpenAPIServed: the document is served as JSON at /api/v1/openapi.json,
// without a token, and is the document of the repository.
func TestOpenAPIServed(t *testing.T) {
	e := newAPIEnv(t, "sqlite")
	r := e.do("GET", "/api/v1/openapi.json", "", "", nil)
	if r.status != http.StatusOK || !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
		t.Fatalf("GET /api/v1/openapi.json: %s", r)
	}
	var served map[string]any
	if err := json.Unmarshal([]byte(r.body), &served); err != nil {
		t.Fatal(err)
	}
	doc, _ := loadOpenAPI(t)
	if served["openapi"] != "3.1.0" || served["openapi"] != doc.OpenAPI {
		t.Errorf("openapi = %v, want 3.1.0", served["openapi"])
	}
	paths, _ := served["paths"].(map[string]any)
	if len(paths) != doc.Paths.Len() {
		t.Errorf("%d paths served, %d in the document", len(paths), doc.Paths.Len())
	}
	loader := openapi3.NewLoader()
	again, err := loader.LoadFromData([]byte(r.body))
	if err != nil {
		t.Fatal(err)
	}
	if err := again.Validate(loader.Context); err != nil {
		t.Errorf("the served document does not validate: %v", err)
	}
}

// TestOpenAPIValidation: the validation of newTestServer does catch an
// answer the document does not allow, an undocumented status and a route
// the document lacks, and lets a documented answer pass.
func TestOpenAPIValidation(t *testing.T) {
	_, router := loadOpenAPI(t)
	for _, c := range []struct {
		name, method, path string
		status             int
		body               string
		wantReport         string
	}{
		{"documented", "GET", "/api/v1/groups", 200, `{"groups":[{"id":"G1","name":"","createdAt":"2026-01-01T00:00:00Z","updatedAt":"2026-01-01T00:00:00Z"}]}`, ""},
		{"wrong body", "GET", "/api/v1/groups", 200, `{"groups":"G1"}`, "does not match"},
		{"undocumented status", "GET", "/api/v1/groups", http.StatusTeapot, `{"error":{"code":"internal","message":"x"}}`, "status is not supported"},
		{"error shape", "GET", "/api/v1/groups", http.StatusForbidden, `{"message":"no"}`, "does not match"},
		{"route not documented", "GET", "/api/v1/nowhere", 200, `{}`, "is not in api/openapi.yaml"},
		{"unknown route answered 404", "GET", "/api/v1/nowhere", 404, `{"error":{"code":"not_found","message":"x"}}`, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			var reports []string
			report := func(format string, args ...any) { reports = append(reports, fmt.Sprintf(format, args...)) }
			h := validateOpenAPI(report, router, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(c.status)
				io.WriteString(w, c.body)
			}))
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(c.method, c.path, nil))
			switch {
			case c.wantReport == "" && len(reports) > 0:
				t.Errorf("reported %q", reports)
			case c.wantReport != "" && (len(reports) == 0 || !strings.Contains(reports[0], c.wantReport)):
				t.Errorf("reported %q, want %q", reports, c.wantReport)
			}
		})
	}
}
