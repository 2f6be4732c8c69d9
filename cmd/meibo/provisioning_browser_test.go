package main

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/service"
)

// Provisioning in headless Chromium: an administrator makes a SCIM token on
// the group's page and an identity provider uses it; a user with API access
// makes a personal token in the portal, a script uses it, the user revokes
// it.
func TestProvisioningInBrowser(t *testing.T) {
	t.Parallel()
	chromium := requireChromium(t)
	m := e2eServer(t, migratedDB(t), time.Now)
	svc := m.Service
	if _, err := svc.CreateGroup(e2eSys, meibo.Group{ID: "G001", Name: "Sales"}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CreateUser(e2eSys, "G001", service.UserInput{Name: "alice", Email: "alice@example.com", Password: e2ePassword,
		APIAccess: true}); err != nil {
		t.Fatal(err)
	}
	call := func(method, path, token, body string) (int, string) {
		req, _ := http.NewRequest(method, m.URL()+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}

	browser := startChromium(t, chromium)
	t.Run("SCIM token in the console", func(t *testing.T) {
		b := newTab(t, browser, m.URL())
		b.signIn(meibo.BuiltinAdmin, "A-chosen-pass-phrase-9")
		if st := b.open("/console/groups/G001"); st != http.StatusOK {
			t.Fatalf("group page: %d", st)
		}
		if st := b.submit("#scim-link"); st != http.StatusOK {
			t.Fatalf("SCIM page: %d", st)
		}
		if url := b.text("#scim-url"); url != m.URL()+"/scim/v2/G001" {
			t.Errorf("tenant URL %q", url)
		}
		b.set("#name", "entra")
		b.set("#days", "30")
		if st := b.submit("#scim-create"); st != http.StatusOK {
			t.Fatalf("create: %d", st)
		}
		secret := b.text("#scim-secret")
		if code, body := call("POST", "/scim/v2/G001/Users", secret, `{"userName":"bob","name":{"givenName":"Bob"}}`); code != 201 {
			t.Fatalf("the token from the page: %d %s", code, body)
		}
		b.open("/console/groups/G001/scim")
		b.wantText("entra", "admin")
		if st := b.submit(`#scim-tokens button[type=submit]`); st != http.StatusOK {
			t.Fatalf("revoke: %d", st)
		}
		if code, _ := call("GET", "/scim/v2/G001/Users", secret, ""); code != 401 {
			t.Errorf("revoked token: %d", code)
		}
	})
	t.Run("personal token in the portal", func(t *testing.T) {
		b := newTab(t, browser, m.URL())
		b.open("/")
		b.set("#group", "G001")
		b.set("#user", "alice")
		b.set("#password", e2ePassword)
		if st := b.submit(`form[action="/signin"] button[type=submit]`); st != http.StatusOK {
			t.Fatalf("sign in: %d", st)
		}
		if st := b.submit(`a[href="/tokens"]`); st != http.StatusOK {
			t.Fatalf("tokens page: %d", st)
		}
		b.set("#name", "shortcut")
		b.set("#days", "7")
		if st := b.submit("#token-create"); st != http.StatusOK {
			t.Fatalf("create: %d", st)
		}
		secret := b.text("#token-secret")
		if code, body := call("GET", "/api/v1/my/devices", secret, ""); code != 200 || !strings.Contains(body, `"devices"`) {
			t.Fatalf("the token from the page: %d %s", code, body)
		}
		b.open("/tokens")
		b.wantText("shortcut")
		if st := b.submit(`#tokens button[type=submit]`); st != http.StatusOK {
			t.Fatalf("revoke: %d", st)
		}
		if code, _ := call("GET", "/api/v1/my/devices", secret, ""); code != 401 {
			t.Errorf("revoked token: %d", code)
		}
	})
}
