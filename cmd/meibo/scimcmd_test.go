package main

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/argon2id"
)

func TestSCIMTokenCommand(t *testing.T) {
	c := newCLI(t)
	c.ok("migrate")
	c.ok("group", "create", "G1")
	r := c.ok("scim", "token", "create", "--group", "G1", "--name", "entra", "--ttl", "720h")
	tok := strings.TrimSpace(r.stdout)
	if !strings.HasPrefix(tok, "mbscim_") || strings.Contains(tok, "\n") || !strings.Contains(r.stderr, "/scim/v2/G1") {
		t.Fatalf("scim token create: %s", r)
	}
	cl, err := openCLI(context.Background(), c.db, argon2id.Default, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	act, err := cl.svc.AuthenticateSCIM(context.Background(), "G1", tok, "127.0.0.1")
	if err != nil || act.Name != "scim:entra" {
		t.Errorf("the printed token: %+v, %v", act, err)
	}
	if _, err := cl.svc.AuthenticateSCIM(context.Background(), "G2", tok, "127.0.0.1"); meibo.ErrorCode(err) != meibo.CodeUnauthorized {
		t.Errorf("another group: %v", err)
	}
	if r := c.run([]string{"scim", "token", "create", "--group", "NOPE"}); r.code == 0 {
		t.Errorf("unknown group: %s", r)
	}
	if r := c.run([]string{"scim", "token", "create"}); r.code != 2 {
		t.Errorf("no group: %s", r)
	}
	// A lifetime of zero or less is refused, not taken for the default;
	// so for administrators' tokens.
	c.ok("admin", "create", "ops", "--password", "Amber-canyon-17", "--authorities", "console")
	for _, args := range [][]string{
		{"scim", "token", "create", "--group", "G1", "--ttl", "0"},
		{"scim", "token", "create", "--group", "G1", "--ttl", "-1h"},
		{"token", "create", "--admin", "ops", "--ttl", "0"},
		{"token", "create", "--admin", "ops", "--ttl", "-5s"},
	} {
		c.want(2, args, "give a lifetime of more than zero")
	}
}

// SCIM through the whole server: JSON bodies of identity providers (which
// send no Origin, or their own) pass the Origin check, and are bounded by
// --json-max-bytes, which /ServiceProviderConfig reports as maxPayloadSize.
func TestSCIMThroughServer(t *testing.T) {
	m, _ := startTransport(t, "sqlite", func(c *Config) { c.HTTP.JSONMaxBytes = 64 << 10 })
	sys := meibo.WithActor(context.Background(), meibo.System("cli:test"))
	if _, err := m.Service.CreateGroup(sys, meibo.Group{ID: "G1"}); err != nil {
		t.Fatal(err)
	}
	tok, _, err := m.Service.CreateSCIMToken(sys, "G1", "okta", 0)
	if err != nil {
		t.Fatal(err)
	}
	send := func(method, path, body, origin string) (int, string) {
		req, _ := http.NewRequest(method, m.URL()+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/scim+json")
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	if code, body := send("POST", "/scim/v2/G1/Users", `{"userName":"ann"}`, ""); code != 201 {
		t.Errorf("create: %d %s", code, body)
	}
	if code, body := send("POST", "/scim/v2/G1/Users", `{"userName":"bea"}`, "https://okta.example.com"); code != 201 {
		t.Errorf("create with the provider's Origin: %d %s", code, body)
	}
	if code, body := send("GET", "/scim/v2/G1/ServiceProviderConfig", "", ""); code != 200 || !strings.Contains(body, `"maxPayloadSize":65536`) {
		t.Errorf("ServiceProviderConfig: %d %s", code, body)
	}
	big := `{"Operations":[{"method":"POST","path":"/Users","data":{"userName":"x","displayName":"` + strings.Repeat("x", 70<<10) + `"}}]}`
	if code, body := send("POST", "/scim/v2/G1/Bulk", big, ""); code != 413 {
		t.Errorf("bulk over maxPayloadSize: %d %s", code, body)
	}
}
