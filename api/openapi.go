package api

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"

	"go.yaml.in/yaml/v3"
)

// OpenAPI is the OpenAPI 3.1 document of the JSON API and the device
// protocol (openapi.yaml), kept true by the tests, which validate every
// request and answer of the API tests against it.
//
//go:embed openapi.yaml
var OpenAPI []byte

// openAPIJSON is the document as JSON, served at /api/v1/openapi.json.
var openAPIJSON = mustJSON(OpenAPI)

func mustJSON(doc []byte) []byte {
	var v any
	if err := yaml.Unmarshal(doc, &v); err != nil {
		panic(fmt.Sprintf("api/openapi.yaml: %v", err))
	}
	b, err := json.MarshalIndent(v, "", " ")
	if err != nil {
		panic(fmt.Sprintf("api/openapi.yaml as JSON: %v", err))
	}
	return append(b, '\n')
}

func (s *Server) openAPIRoutes() {
	s.mux.HandleFunc("GET /api/v1/openapi.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Write(openAPIJSON)
	})
}

// routeMux is the API's ServeMux, remembering the patterns registered on
// it, so that the tests can hold the OpenAPI document to the routes served.
type routeMux struct {
	*http.ServeMux
	patterns []string
}

func (m *routeMux) Handle(pattern string, h http.Handler) {
	m.patterns = append(m.patterns, pattern)
	m.ServeMux.Handle(pattern, h)
}

func (m *routeMux) HandleFunc(pattern string, h func(http.ResponseWriter, *http.Request)) {
	m.patterns = append(m.patterns, pattern)
	m.ServeMux.HandleFunc(pattern, h)
}

// Routes lists the patterns the API serves ("METHOD /path/{wildcard}").
func (s *Server) Routes() []string { return slices.Clone(s.mux.patterns) }
