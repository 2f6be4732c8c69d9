// Package openapitest holds HTTP tests to an OpenAPI document: a test server
// whose every request and answer is validated against the document with
// kin-openapi's openapi3filter, so that the tests of the JSON API and of
// SCIM keep api/openapi.yaml true.
//
// Only tests import it; it must not be imported by meibo's own packages.
package openapitest

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// loaded is a document, loaded and checked once for every test.
type loaded struct {
	once   sync.Once
	doc    *openapi3.T
	router routers.Router
	err    error
}

var (
	mu   sync.Mutex
	docs = map[string]*loaded{}
)

// Load parses and validates the document (YAML or JSON) once, and returns
// it with a router of its operations. A document that does not load or
// validate fails the test.
func Load(t testing.TB, data []byte) (*openapi3.T, routers.Router) {
	t.Helper()
	mu.Lock()
	l := docs[string(data)]
	if l == nil {
		l = &loaded{}
		docs[string(data)] = l
	}
	mu.Unlock()
	l.once.Do(func() {
		// CSV files and archives are opaque here (docs/CSV.md describes
		// them): the library's CSV decoder would reject CP932 and byte
		// order marks.
		openapi3filter.RegisterBodyDecoder("text/csv", openapi3filter.FileBodyDecoder)
		openapi3filter.RegisterBodyDecoder("application/gzip", openapi3filter.FileBodyDecoder)
		loader := openapi3.NewLoader()
		doc, err := loader.LoadFromData(data)
		if err != nil {
			l.err = err
			return
		}
		if err := doc.Validate(loader.Context); err != nil {
			l.err = err
			return
		}
		l.doc = doc
		l.router, l.err = gorillamux.NewRouter(doc)
	})
	if l.err != nil {
		t.Fatalf("the OpenAPI document: %v", l.err)
	}
	return l.doc, l.router
}

// NewServer serves h as httptest does, holding every request and answer to
// the document (see Validate); what does not match fails the test.
func NewServer(t *testing.T, doc []byte, h http.Handler) *httptest.Server {
	t.Helper()
	_, router := Load(t, doc)
	return httptest.NewServer(Validate(t.Errorf, router, h))
}

// Validate passes requests to h and reports what the document does not
// allow: each answer must be documented for its route and status and match
// its schema, and each request that h accepted (2xx) must match the
// document too. Requests h refused are not checked against it: tests send
// malformed ones on purpose. A route the document lacks is reported unless
// h answered it 404 or 405.
func Validate(report func(format string, args ...any), router routers.Router, h http.Handler) http.Handler {
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
			report("OpenAPI: the answer %d to %s does not match api/openapi.yaml: %v\n%s", rec.status, what, err, clip(rec.body.String()))
		}
	})
}

// Operations lists the document's operations as "METHOD /path/{param}".
func Operations(doc *openapi3.T) map[string]bool {
	out := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			out[method+" "+path] = true
		}
	}
	return out
}

func clip(s string) string {
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
