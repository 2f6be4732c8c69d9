package api_test

import (
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/meibo/meibo"
)

type usersAnswer struct {
	Users []struct {
		Name  string `json:"name"`
		Email string `json:"email"`
	} `json:"users"`
	Next, Prev, Sort, Order string
	Total                   int
	TotalExact              bool
	HasNext, HasPrev        bool
}

func (e *apiEnv) users(t *testing.T, query string) usersAnswer {
	t.Helper()
	r := e.do("GET", "/api/v1/groups/G1/users?"+query, "manager", "", nil)
	if r.status != 200 {
		t.Fatalf("%s: %s", query, r)
	}
	var a usersAnswer
	if err := json.Unmarshal([]byte(r.body), &a); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return a
}

// TestUsersSortedAndCounted: the users list sorts by e-mail descending,
// pages one user at a time with its cursors both ways, reaches the last
// page directly and always says its total.
func TestUsersSortedAndCounted(t *testing.T) {
	e := newAPIEnv(t, "sqlite")
	for _, in := range []string{`{"name":"carol","email":"Carol@example.com"}`, `{"name":"dave","email":"zz@example.com"}`} {
		if r := e.do("POST", "/api/v1/groups/G1/users", "manager", in, nil); r.status != 201 {
			t.Fatalf("add %s: %s", in, r)
		}
	}
	all := e.users(t, "sort=email&order=desc&limit=500")
	var emails, names []string
	for _, u := range all.Users {
		emails = append(emails, meibo.EmailKey(u.Email))
		names = append(names, u.Name)
	}
	if len(names) < 4 || all.Total != len(names) || !all.TotalExact || all.Sort != "email" || all.Order != "desc" {
		t.Fatalf("every user: %+v", all)
	}
	if !slices.IsSortedFunc(emails, func(a, b string) int { return strings.Compare(b, a) }) {
		t.Errorf("not by e-mail descending: %q", emails)
	}
	var paged []string
	q := "sort=email&order=desc&limit=1"
	for a := e.users(t, q); ; a = e.users(t, q+"&after="+url.QueryEscape(a.Next)) {
		paged = append(paged, a.Users[0].Name)
		if a.Total != len(names) || !a.TotalExact {
			t.Errorf("page total %d, %v", a.Total, a.TotalExact)
		}
		if !a.HasNext || len(paged) > len(names) {
			break
		}
	}
	if !slices.Equal(paged, names) {
		t.Errorf("paged forward: %q, want %q", paged, names)
	}
	var back []string
	for a := e.users(t, q+"&last=true"); ; a = e.users(t, q+"&before="+url.QueryEscape(a.Prev)) {
		back = append(back, a.Users[0].Name)
		if !a.HasPrev || len(back) > len(names) {
			break
		}
	}
	slices.Reverse(back)
	if !slices.Equal(back, names) {
		t.Errorf("paged back from the last page: %q, want %q", back, names)
	}
	if r := e.do("GET", "/api/v1/groups/G1/users?sort=shoe", "manager", "", nil); r.status != 400 {
		t.Errorf("unknown sort: %s", r)
	}
	if r := e.do("GET", "/api/v1/groups/G1/users?sort=email&after=bob", "manager", "", nil); r.status != 422 || !strings.Contains(r.body, "after is not a cursor of this list") {
		t.Errorf("a name as an e-mail cursor: %s", r)
	}
	// A cursor of another order says so.
	created := e.users(t, "sort=created&limit=1")
	r := e.do("GET", "/api/v1/groups/G1/users?sort=email&after="+url.QueryEscape(created.Next), "manager", "", nil)
	if r.status != 422 || !strings.Contains(r.body, "after is a cursor of the list sorted by created, not by email") {
		t.Errorf("a cursor of the creation order for the e-mail order: %s", r)
	}
}
