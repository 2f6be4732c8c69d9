package console

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/service"
)

func TestLicencePage(t *testing.T) {
	e := newEnv(t)
	if _, err := e.svc.UpdateSettings(e.sys, map[string]string{meibo.SettingLicenceLimit: "10"}); err != nil {
		t.Fatal(err)
	}
	// alice of G1 and of G2, with the same address in another case: one
	// person; carol has no address.
	for _, u := range []struct{ group, name, email string }{{"G2", "alice", "Alice@Example.org"}, {"G2", "carol", ""}} {
		if _, err := e.svc.CreateUser(e.sys, u.group, service.UserInput{Name: u.name, Email: u.email}); err != nil {
			t.Fatal(err)
		}
	}
	b := e.admin("manager")
	r := b.get(Prefix + "/licence")
	r.expect(t, "licence", http.StatusOK, enText("licence.used", 2, 10), `<meter`, `value="2"`, `max="10"`, enText("licence.rules.title"),
		enText("licence.rules.same"), "alice@example.org", enText("licence.unified.tag"), enText("licence.noemail"), `href="/console/settings"`)
	r.lacks(t, "licence", enText("pager.next"), enText("licence.over"))

	b.lang = "ja"
	r = b.get(Prefix + "/licence")
	r.expect(t, "licence in Japanese", http.StatusOK, jaText("licence.title"), jaText("licence.rules.title"), jaText("licence.rules.intro"),
		jaText("licence.used", 2, 10))
	b.lang = ""

	// Over the limit after it was lowered; then no limit.
	if _, err := e.svc.UpdateSettings(e.sys, map[string]string{meibo.SettingLicenceLimit: "1"}); err != nil {
		t.Fatal(err)
	}
	b.get(Prefix+"/licence").expect(t, "over", http.StatusOK, enText("licence.over"))
	if _, err := e.svc.UpdateSettings(e.sys, map[string]string{meibo.SettingLicenceLimit: "0"}); err != nil {
		t.Fatal(err)
	}
	b.get(Prefix+"/licence").expect(t, "no limit", http.StatusOK, enText("licence.unlimited", 2))

	// Pages of unified users, by key.
	for i := range licencePageSize + 5 {
		if _, err := e.svc.CreateUser(e.sys, "G2", service.UserInput{Name: fmt.Sprintf("u%03d", i), Email: fmt.Sprintf("u%03d@example.org", i)}); err != nil {
			t.Fatal(err)
		}
	}
	r = b.get(Prefix + "/licence")
	r.expect(t, "first page", http.StatusOK, "u000@example.org", enText("pager.next"))
	r.lacks(t, "first page", "u054@example.org", enText("licence.first"))
	next := regexp.MustCompile(`href="(/console/licence\?[^"#]+)#unified">` + regexp.QuoteMeta(enText("pager.next"))).FindStringSubmatch(r.body)
	if next == nil {
		t.Fatalf("no next link in\n%s", r.body)
	}
	r = b.get(html.UnescapeString(next[1]))
	r.expect(t, "second page", http.StatusOK, "u054@example.org", enText("licence.first"))
	r.lacks(t, "second page", "u000@example.org", enText("pager.next"))
	b.get(Prefix+"/licence?"+url.Values{"afterName": {"zzz"}, "afterKey": {"z"}}.Encode()).expect(t, "past the end", http.StatusOK,
		enText("licence.unified.end"))

	// Group settings (35) of a department administrator are enough to see
	// it, not to change the limit; without them it is refused.
	s := e.admin("settings")
	r = s.get(Prefix + "/licence")
	r.expect(t, "with 35", http.StatusOK, enText("licence.title"), enText("licence.unlimited", 57), enText("licence.unified.department"))
	r.lacks(t, "with 35", `href="/console/settings"`, "alice@example.org", "u000@example.org")
	for _, who := range []string{"dept", "blind", "viewer"} {
		b := e.admin(who)
		b.get(Prefix+"/licence").expect(t, who, http.StatusForbidden)
		if strings.Contains(b.get(Prefix+"/").body, `href="/console/licence"`) {
			t.Errorf("%s: the navigation offers the licence", who)
		}
	}
}
