package scim_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/meibo/meibo/store/storetest"
)

// A userName sent decomposed (NFD) is stored composed (NFC); a filter on
// it finds the user, as a create of it conflicts.
func TestUserNameFilterNormalized(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		for _, nfd := range []string{"Cafe\u0301", "か\u3099くと"} {
			e.scim("POST", "G1", "/Users", map[string]any{"userName": nfd}).want(t, 201)
			e.scim("POST", "G1", "/Users", map[string]any{"userName": nfd}).want(t, 409)
			for _, f := range []string{`userName eq "` + nfd + `"`, `userName sw "` + nfd + `"`, `not (userName ne "` + nfd + `")`} {
				l := e.scim("GET", "G1", "/Users?filter="+url.QueryEscape(f), nil).want(t, 200)
				if l.str("totalResults") != "1" {
					t.Errorf("%s: %s", f, l.raw)
				}
			}
			l := e.scim("POST", "G1", "/Users/.search", map[string]any{"filter": `userName eq "` + nfd + `"`}).want(t, 200)
			if l.str("totalResults") != "1" {
				t.Errorf(".search %q: %s", nfd, l.raw)
			}
		}
	})
}

// A filter or path over the bounds is refused before it is parsed: the
// parser recurses a level of parentheses, and 100,000 of them overflowed the
// stack, which ended the server. Parentheses inside a quoted value do not
// count.
func TestFilterBounds(t *testing.T) {
	e := newEnv(t, "sqlite")
	e.scim("POST", "G1", "/Users", map[string]any{"userName": "alice"}).want(t, 201)
	nested := func(n int) string {
		return strings.Repeat("(", n) + `userName eq "alice"` + strings.Repeat(")", n)
	}
	for _, tc := range []struct {
		filter string
		status int
		want   string
	}{
		{nested(32), 200, ""},
		{`userName eq "` + strings.Repeat("(", 40) + `"`, 200, ""},
		{nested(33), 400, "more than 32 deep"},
		{nested(100000), 400, "at most 4096"},
		{strings.Repeat(`userName eq "a" or `, 300) + `userName eq "alice"`, 400, "at most 4096"},
	} {
		name := tc.filter
		if len(name) > 40 {
			name = name[:40]
		}
		b := e.scim("POST", "G1", "/Users/.search", map[string]any{"filter": tc.filter}).want(t, tc.status)
		if tc.status == 400 && (b.str("scimType") != "invalidFilter" || !strings.Contains(b.str("detail"), tc.want)) {
			t.Errorf("%s…: %s", name, b.raw)
		}
		if tc.status == 200 && b.str("totalResults") != "1" && !strings.Contains(tc.filter, `"(`) {
			t.Errorf("%s…: %s", name, b.raw)
		}
		if len(tc.filter) < 8000 {
			e.scim("GET", "G1", "/Users?filter="+url.QueryEscape(tc.filter), nil).want(t, tc.status)
			e.scim("GET", "G1", "/Groups?filter="+url.QueryEscape(strings.Replace(tc.filter, "userName", "displayName", -1)), nil).want(t, tc.status)
		}
	}
	id := e.scim("POST", "G1", "/Users", map[string]any{"userName": "bob"}).want(t, 201).str("id")
	path := "emails[" + strings.Repeat("(", 40) + `type eq "work"` + strings.Repeat(")", 40) + "].value"
	b := e.scim("PATCH", "G1", "/Users/"+id, map[string]any{"Operations": []any{map[string]any{"op": "remove", "path": path}}}).want(t, 400)
	if b.str("scimType") != "invalidPath" {
		t.Errorf("deep path: %s", b.raw)
	}
}

// A filter's values are JSON strings (RFC 7644 §3.4.2.2): their escapes
// are decoded before they are compared, in filters and in PATCH paths'
// value filters, \u escapes in either case.
func TestFilterValuesAreJSONStrings(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		for _, n := range []string{`CONTOSO\jdoe`, `say"hi`, "Alice", "café"} {
			e.scim("POST", "G1", "/Users", map[string]any{"userName": n}).want(t, 201)
		}
		id := e.scim("POST", "G1", "/Users", map[string]any{"userName": "bob", "emails": []any{map[string]any{"value": "bob@example.org", "type": "work"}}}).want(t, 201).str("id")
		for f, want := range map[string]string{
			`userName eq "CONTOSO\\jdoe"`:                         `CONTOSO\jdoe`,
			`userName co "SO\\jd"`:                                `CONTOSO\jdoe`,
			`userName eq "say\"hi" or userName eq "nobody"`:       `say"hi`,
			`userName eq "\u0041lice"`:                            "Alice",
			`userName eq "caf\u00e9"`:                             "café",
			`userName eq "caf\u00E9" and active eq true`:          "café",
			`emails[value eq "bob\u0040example.org"]`:             "bob",
			`not (userName ne "CONTOSO\\jdoe")`:                   `CONTOSO\jdoe`,
			`userName sw "CONTOSO\\" and userName ew "\u006Adoe"`: `CONTOSO\jdoe`,
		} {
			l := e.scim("GET", "G1", "/Users?filter="+url.QueryEscape(f), nil).want(t, 200)
			if got := strings.Join(l.names(), ","); got != want {
				t.Errorf("%s: %q, want %q", f, got, want)
			}
		}
		e.scim("POST", "G1", "/Users", map[string]any{"userName": `CONTOSO\jdoe`}).want(t, 409)
		p := e.scim("PATCH", "G1", "/Users/"+id, `{"Operations":[{"op":"replace","path":"emails[value eq \"bob\\u0040example.org\"].value","value":"bob2@example.org"}]}`).want(t, 200)
		if got := p.str("emails"); !strings.Contains(got, "bob2@example.org") || strings.Contains(got, "bob@example.org") {
			t.Errorf("a path's value filter with an escape: %s", p.raw)
		}
		// An escape JSON does not know is a filter that cannot be read.
		if b := e.scim("GET", "G1", "/Users?filter="+url.QueryEscape(`userName eq "a\qb"`), nil).want(t, 400); b.str("scimType") != "invalidFilter" {
			t.Errorf("an unknown escape: %s", b.raw)
		}
	})
}

// Filters on dateTime attributes compare instants, whatever the offset or
// fraction of a second written; a value that is no dateTime is refused,
// not compared as text (meta.created lt "yesterday" matched every user).
// Sorting by one orders the instants too.
func TestFilterDateTimes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
		e.clock.Add(t0.Sub(e.clock.Now()))
		e.scim("POST", "G1", "/Users", map[string]any{"userName": "bob"}).want(t, 201)
		e.clock.Add(500 * time.Millisecond)
		e.scim("POST", "G1", "/Users", map[string]any{"userName": "alice"}).want(t, 201)
		for f, want := range map[string]string{
			`meta.created gt "2026-01-02T03:04:05.25Z"`:        "alice",
			`meta.created eq "2026-01-02T12:04:05+09:00"`:      "bob",
			`meta.created ne "2026-01-02T12:04:05+09:00"`:      "alice",
			`meta.created ge "2026-01-01T22:04:05.5-05:00"`:    "alice",
			`meta.created lt "2026-01-02T03:04:05.000001Z"`:    "bob",
			`meta.lastModified le "2026-01-02T04:04:06+01:00"`: "alice,bob",
			`meta.created pr`: "alice,bob",
		} {
			l := e.scim("GET", "G1", "/Users?filter="+url.QueryEscape(f), nil).want(t, 200)
			if got := strings.Join(l.names(), ","); got != want {
				t.Errorf("%s: %q, want %q", f, got, want)
			}
		}
		for _, f := range []string{`meta.created lt "yesterday"`, `meta.lastModified gt "2026-01-02"`, `meta.created gt 5`} {
			for _, ep := range []string{"/Users", "/Groups"} {
				b := e.scim("GET", "G1", ep+"?filter="+url.QueryEscape(f), nil).want(t, 400)
				if d := b.str("detail"); b.str("scimType") != "invalidFilter" || !strings.Contains(d, "RFC 3339") ||
					!strings.Contains(d, strings.SplitN(f, " ", 3)[2]) {
					t.Errorf("%s %s: %s", ep, f, b.raw)
				}
			}
		}
		l := e.scim("GET", "G1", "/Users?sortBy=meta.created", nil).want(t, 200)
		if got := strings.Join(l.names(), ","); got != "bob,alice" {
			t.Errorf("sorted by meta.created: %s", got)
		}
	})
}
