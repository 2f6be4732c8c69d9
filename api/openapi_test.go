package api_test

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/routers"
	"go.yaml.in/yaml/v3"

	"github.com/meibo/meibo/api"
	"github.com/meibo/meibo/internal/openapitest"
	"github.com/meibo/meibo/scim"
	"github.com/meibo/meibo/service"
	"github.com/meibo/meibo/store/storetest"
)

func loadOpenAPI(t testing.TB) (*openapi3.T, routers.Router) {
	t.Helper()
	return openapitest.Load(t, api.OpenAPI)
}

// newTestServer serves h as httptest does, holding every request and answer
// to the OpenAPI document (openapitest.Validate). Every API test starts its
// server here.
func newTestServer(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	return openapitest.NewServer(t, api.OpenAPI, h)
}

// TestOpenAPIRoutes holds the document to the routes served: every route
// registered on the API and on the SCIM service providers is documented
// with its method, and every operation of the document is served.
func TestOpenAPIRoutes(t *testing.T) {
	doc, _ := loadOpenAPI(t)
	db := storetest.Open(t, "sqlite", nil)
	svc := service.New(db, service.Config{Logger: slog.New(slog.DiscardHandler)})
	t.Cleanup(svc.WaitAudits) // the audits of refused requests, before the store closes
	patterns := api.New(svc, api.Options{}).Routes()
	scimRoutes := scim.New(svc, scim.Options{}).Routes()
	patterns = append(patterns, scimRoutes...)
	served := map[string]bool{}
	for _, p := range patterns {
		method, path, ok := strings.Cut(p, " ")
		if !ok {
			t.Errorf("route %q has no method: every API and SCIM route names one", p)
			continue
		}
		served[method+" "+path] = true
	}
	documented := openapitest.Operations(doc)
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
	if len(served) < 40 || len(scimRoutes) < 19 {
		t.Errorf("only %d routes collected (%d of SCIM): the route list is not what the API and SCIM serve", len(served), len(scimRoutes))
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

// TestOpenAPIAnchors: every YAML anchor of the document is defined once.
// YAML 1.2 lets a later anchor of the same name replace an earlier one,
// but PyYAML and the generators built on it refuse such a file.
func TestOpenAPIAnchors(t *testing.T) {
	var doc yaml.Node
	if err := yaml.Unmarshal(api.OpenAPI, &doc); err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		if n.Anchor != "" {
			if line, ok := seen[n.Anchor]; ok {
				t.Errorf("api/openapi.yaml: anchor &%s at line %d is defined at line %d already", n.Anchor, n.Line, line)
			} else {
				seen[n.Anchor] = n.Line
			}
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(&doc)
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
		{"SCIM list", "GET", "/scim/v2/G1/Users?filter=userName%20eq%20%22a%22", 200,
			`{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":0,"startIndex":1,"itemsPerPage":0,"Resources":[]}`, ""},
		{"SCIM list of another shape", "GET", "/scim/v2/G1/Users", 200, `{"Resources":"alice"}`, "does not match"},
		{"SCIM error", "GET", "/scim/v2/G1/Users/7", 404, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"404","detail":"There is no user with the ID 7 in this group."}`, ""},
		{"SCIM error in the API's shape", "GET", "/scim/v2/G1/Users/7", 404, `{"error":{"code":"not_found","message":"x"}}`, "does not match"},
		{"SCIM status not documented", "DELETE", "/scim/v2/G1/Users/7", 200, `{}`, "status is not supported"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var reports []string
			report := func(format string, args ...any) { reports = append(reports, fmt.Sprintf(format, args...)) }
			h := openapitest.Validate(report, router, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				ct := "application/json"
				if strings.HasPrefix(c.path, "/scim/") {
					ct = "application/scim+json; charset=utf-8"
				}
				w.Header().Set("Content-Type", ct)
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
