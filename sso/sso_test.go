package sso_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/meibo/meibo/sso"
)

func write(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoad(t *testing.T) {
	secret := write(t, "secret", "s3cret\n")
	cfg, err := sso.Load(write(t, "sso.json", `{"passwordOffWithSso": true, "providers": [
		{"id": "okta", "issuer": "https://example.okta.com", "clientId": "abc", "clientSecretFile": "`+secret+`", "scopes": ["email"]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	p := cfg.Providers[0]
	if p.ClientSecret != "s3cret" || p.Name != "okta" || p.Claim != "email" || strings.Join(p.Scopes, " ") != "openid email" || !cfg.PasswordOffWithSSO {
		t.Errorf("provider %+v", p)
	}
	c := sso.New(cfg, "https://meibo.example.com/")
	if u := c.RedirectURL("okta"); u != "https://meibo.example.com/console/signin/sso/okta/callback" {
		t.Errorf("redirect URL %s", u)
	}

	for name, doc := range map[string]string{
		"unknown field":   `{"providers": [{"id": "a", "issuer": "https://a", "clientId": "x", "clientSecret": "inline"}]}`,
		"bad ID":          `{"providers": [{"id": "A B", "issuer": "https://a", "clientId": "x"}]}`,
		"twice":           `{"providers": [{"id": "a", "issuer": "https://a", "clientId": "x"}, {"id": "a", "issuer": "https://b", "clientId": "y"}]}`,
		"no issuer":       `{"providers": [{"id": "a", "clientId": "x"}]}`,
		"no secret file":  `{"providers": [{"id": "a", "issuer": "https://a", "clientId": "x", "clientSecretFile": "/nonexistent/secret"}]}`,
		"not JSON at all": `providers: []`,
	} {
		if _, err := sso.Load(write(t, "sso.json", doc)); err == nil {
			t.Errorf("%s: loaded", name)
		}
	}
}
