package metrics

import "testing"

// A route label names what the route serves: one path, or every path under
// one (ending in "*"), never the mux's own syntax.
func TestPattern(t *testing.T) {
	for p, want := range map[string]string{
		"":                                  "unmatched",
		"GET /{$}":                          "/",
		"/":                                 "/*",
		"GET /console/{$}":                  "/console/",
		"/console/":                         "/console/*",
		"POST /api/v1/login":                "/api/v1/login",
		"GET /api/v1/users/{id}":            "/api/v1/users/{id}",
		"GET /static/{file...}":             "/static/{file...}",
		"PATCH /scim/v2/{group}/Users/{id}": "/scim/v2/{group}/Users/{id}",
	} {
		if got := Pattern(p); got != want {
			t.Errorf("Pattern(%q) = %q, want %q", p, got, want)
		}
	}
}
