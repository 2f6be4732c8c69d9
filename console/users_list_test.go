package console

import (
	"fmt"
	"html"
	"net/http"
	"regexp"
	"testing"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/service"
)

// TestUsersListSortAndPages: the users list says its total, sorts by the
// e-mail column's header both ways, keeps the order and page size in its
// links, and reaches the last page and back to the first.
func TestUsersListSortAndPages(t *testing.T) {
	e := newEnv(t)
	for i := range 55 {
		if _, err := e.svc.CreateUser(e.sys, "G2", service.UserInput{Name: fmt.Sprintf("p%03d", i), Email: fmt.Sprintf("m%03d@example.org", 54-i)}); err != nil {
			t.Fatal(err)
		}
	}
	b := e.admin(meibo.BuiltinAdmin)
	r := b.get(Prefix + "/groups/G2/users")
	r.expect(t, "first page", http.StatusOK, enText("users.total", "55"), "p000", enText("pager.next"), enText("pager.last"))
	r.lacks(t, "first page", "p050", enText("pager.first"))
	href := func(r resp, pattern string) string {
		t.Helper()
		m := regexp.MustCompile(pattern).FindStringSubmatch(r.body)
		if m == nil {
			t.Fatalf("no %s in\n%s", pattern, r.body)
		}
		return Prefix + "/groups/G2/users" + html.UnescapeString(m[1])
	}
	// The e-mail header sorts ascending, then (pressed again) descending.
	r = b.get(href(r, `<a class="sort" data-sort="email" href="([^"]+)"`))
	r.expect(t, "by e-mail", http.StatusOK, `aria-sort="ascending"`, "m000@example.org")
	r = b.get(href(r, `<a class="sort" data-sort="email" href="([^"]+)"`))
	r.expect(t, "by e-mail descending", http.StatusOK, `aria-sort="descending"`, "m054@example.org", "m005@example.org")
	r.lacks(t, "by e-mail descending", "m004@example.org")
	// The last page is the last 50 users of that order; before it, the
	// first five.
	r = b.get(href(r, `data-page="last" href="([^"]+)"`))
	r.expect(t, "last page", http.StatusOK, "m049@example.org", "m000@example.org", enText("pager.first"), enText("users.total", "55"))
	r.lacks(t, "last page", "m050@example.org", `data-page="next"`)
	r = b.get(href(r, `data-page="prev" rel="prev" href="([^"]+)"`))
	r.expect(t, "before the last page", http.StatusOK, "m054@example.org", "m050@example.org", `data-page="next"`)
	r.lacks(t, "before the last page", "m049@example.org", `data-page="prev"`)
	// A page of 100 holds every user; a keyword sorts by name and says so.
	r = b.get(Prefix + "/groups/G2/users?sort=email&order=desc&size=100")
	r.expect(t, "100 a page", http.StatusOK, "m054@example.org", "m000@example.org", `<option value="100" selected>`)
	r.lacks(t, "100 a page", `data-page="next"`)
	r = b.get(Prefix + "/groups/G2/users?sort=email&q=p01")
	r.expect(t, "keyword", http.StatusOK, enText("users.total", "10"), enText("users.sort.keyword"))
}
