package portal_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/store/storetest"
)

var secretRE = regexp.MustCompile(`<code id="token-secret">(mbu_[A-Za-z0-9_-]+)</code>`)

// Personal tokens in the portal: only with API access, shown once, listed
// without their secret, revoked.
func TestPersonalTokenPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newPortalEnv(t, engine)
		e.group("G1")
		u := e.user("G1", "ann", false)
		b := e.browser().signIn("G1", "ann")

		// Without API access the menu does not offer the page; opened by
		// its address, it says why there is nothing to do.
		if p := b.do("GET", "/", nil); strings.Contains(p.body, `href="/tokens"`) {
			t.Errorf("the menu offers API tokens without API access")
		}
		p := b.do("GET", "/tokens", nil)
		if p.status != http.StatusOK || !strings.Contains(p.body, `id="tokens-denied"`) || strings.Contains(p.body, `id="token-create"`) {
			t.Fatalf("without API access: %d\n%s", p.status, p.body)
		}
		if p := b.post("/tokens", url.Values{"name": {"phone"}, "days": {"30"}}); p.status != http.StatusForbidden {
			t.Errorf("create without API access: %d", p.status)
		}

		if _, err := e.svc.UpdateUser(e.sys, u.ID, meibo.UserUpdate{APIAccess: ptr(true)}); err != nil {
			t.Fatal(err)
		}
		if p := b.do("GET", "/", nil); !strings.Contains(p.body, `href="/tokens"`) {
			t.Errorf("the menu does not offer API tokens with API access")
		}
		if p := b.post("/tokens", url.Values{"name": {""}, "days": {"30"}}); p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, `id="name-error"`) {
			t.Errorf("blank name: %d", p.status)
		}
		if p := b.post("/tokens", url.Values{"name": {"phone"}, "days": {"0"}}); p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, "Choose a number of days from 1 to 365.") {
			t.Errorf("0 days: %d %s", p.status, p.body)
		}
		if p := b.post("/tokens", url.Values{"name": {"phone"}, "days": {"999"}}); p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, `id="days-error"`) {
			t.Errorf("too long: %d", p.status)
		}
		p = b.post("/tokens", url.Values{"name": {"phone"}, "days": {"30"}})
		m := secretRE.FindStringSubmatch(p.body)
		if p.status != http.StatusOK || m == nil {
			t.Fatalf("create: %d\n%s", p.status, p.body)
		}
		list := b.do("GET", "/tokens", nil)
		if strings.Contains(list.body, m[1]) || !strings.Contains(list.body, "<td>phone</td>") {
			t.Errorf("list shows the secret or not the token:\n%s", list.body)
		}
		id := regexp.MustCompile(`action="/tokens/([0-9a-f]{16})/revoke"`).FindStringSubmatch(list.body)
		if id == nil {
			t.Fatalf("no revoke form:\n%s", list.body)
		}
		// Another user cannot revoke it.
		e.user("G1", "bea", false)
		other := e.browser().signIn("G1", "bea")
		if p := other.post("/tokens/"+id[1]+"/revoke", nil); p.status != http.StatusNotFound {
			t.Errorf("revoke by another user: %d", p.status)
		}
		if p := b.post("/tokens/"+id[1]+"/revoke", nil); p.status != http.StatusSeeOther {
			t.Errorf("revoke: %d", p.status)
		}
		if list := b.do("GET", "/tokens", nil); strings.Contains(list.body, "<td>phone</td>") {
			t.Errorf("revoked token still listed")
		}
	})
}
