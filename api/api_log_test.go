package api

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestRequestLogHidesLinkTokens: the request log never holds the token of a
// password link.
func TestRequestLogHidesLinkTokens(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	h := WithRequestID(log, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	for _, p := range []string{"/password/mbl_secretsecret", "/api/v1/groups"} {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", p, nil))
	}
	out := buf.String()
	if strings.Contains(out, "mbl_secretsecret") {
		t.Fatalf("the log holds a link token:\n%s", out)
	}
	if !strings.Contains(out, "/password/(token)") || !strings.Contains(out, "/api/v1/groups") {
		t.Fatalf("the log lacks the paths:\n%s", out)
	}
}
