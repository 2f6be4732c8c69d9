package scim_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/api"
	"github.com/meibo/meibo/argon2id"
	"github.com/meibo/meibo/internal/openapitest"
	"github.com/meibo/meibo/scim"
	"github.com/meibo/meibo/service"
	"github.com/meibo/meibo/store/storetest"
)

// env is meibo's JSON API and SCIM endpoints over a real service and
// store, served by httptest, with groups G1 and G2 and a SCIM token each.
type env struct {
	t     *testing.T
	clock *clock
	svc   *service.Service
	db    meibo.Store
	srv   *httptest.Server
	sys   context.Context
	token map[string]string // SCIM tokens by group
	admin string            // an API token of the built-in administrator
}

func newEnv(t *testing.T, engine string) *env {
	t.Helper()
	h := argon2id.ForTests()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	c := &clock{now: time.Now().UTC()}
	db := storetest.Open(t, engine, c.Now)
	svc := service.New(db, service.Config{Hasher: h, Logger: log, HashWorkers: 1, Clock: c.Now})
	t.Cleanup(svc.WaitAudits) // the audits of refused requests, before the store closes
	mux := http.NewServeMux()
	mux.Handle("/api/", api.New(svc, api.Options{Logger: log}))
	mux.Handle(scim.Prefix, scim.New(svc, scim.Options{Logger: log}))
	// Every request and answer is held to the OpenAPI document.
	srv := openapitest.NewServer(t, api.OpenAPI, mux)
	t.Cleanup(srv.Close)
	e := &env{t: t, clock: c, svc: svc, db: db, srv: srv, sys: meibo.WithActor(context.Background(), meibo.System("cli:test")), token: map[string]string{}}
	if _, _, err := svc.Bootstrap(context.Background(), "Root-pass-phrase-1"); err != nil {
		t.Fatal(err)
	}
	for _, g := range []string{"G1", "G2"} {
		if _, err := svc.CreateGroup(e.sys, meibo.Group{ID: g}); err != nil {
			t.Fatal(err)
		}
		tok, _, err := svc.CreateSCIMToken(e.sys, g, "idp-"+g, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		e.token[g] = tok
	}
	var err error
	if e.admin, _, err = svc.CreateToken(e.sys, meibo.BuiltinAdmin, "test", time.Hour); err != nil {
		t.Fatal(err)
	}
	return e
}

// clock is the test's time, moved by hand.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// answer is a decoded response.
type answer struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

// do sends a request with a bearer token and a JSON body (a string, a
// fixture file name "testdata/…" or a value).
func (e *env) do(method, path, token string, body any, headers ...string) answer {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		if strings.HasPrefix(b, "testdata/") {
			data, err := os.ReadFile(b)
			if err != nil {
				e.t.Fatal(err)
			}
			b = string(data)
		}
		rd = strings.NewReader(b)
	default:
		data, _ := json.Marshal(b)
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if rd != nil {
		ct := scim.ContentType
		if strings.HasPrefix(path, "/api/") {
			ct = "application/json"
		}
		req.Header.Set("Content-Type", ct)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, header: resp.Header, raw: string(data)}
	if len(data) > 0 {
		json.Unmarshal(data, &a.body) //nolint:errcheck // some answers are not objects
	}
	return a
}

// scim sends a request to group's SCIM endpoint with its token.
func (e *env) scim(method, group, path string, body any, headers ...string) answer {
	e.t.Helper()
	return e.do(method, "/scim/v2/"+group+path, e.token[group], body, headers...)
}

func (a answer) want(t *testing.T, status int) answer {
	t.Helper()
	if a.status != status {
		t.Fatalf("status %d, want %d: %s", a.status, status, a.raw)
	}
	return a
}

// str follows a dotted path of object keys in the body.
func (a answer) str(path string) string {
	var v any = a.body
	for _, k := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return ""
		}
		v = m[k]
	}
	switch x := v.(type) {
	case string:
		return x
	case nil:
		return ""
	default:
		b, _ := json.Marshal(x)
		return string(b)
	}
}

// resources returns the userNames (or displayNames) of a list answer.
func (a answer) names() []string {
	var out []string
	list, _ := a.body["Resources"].([]any)
	for _, r := range list {
		m := r.(map[string]any)
		if n, ok := m["userName"].(string); ok {
			out = append(out, n)
		} else if n, ok := m["displayName"].(string); ok {
			out = append(out, n)
		}
	}
	return out
}

func fixture(t *testing.T, name, id string) string {
	t.Helper()
	data, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return strings.ReplaceAll(string(data), "{id}", id)
}
