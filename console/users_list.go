package console

import (
	"html/template"
	"net/http"
	"net/url"
	"strconv"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/web"
)

func init() {
	web.AddLabels(map[string][2]string{
		"users.total":         {"%s users", "%s人"},
		"users.total.one":     {"1 user", "1人"},
		"users.total.more":    {"More than %s users", "%s人以上"},
		"users.sort":          {"Sort by", "並べ替え"},
		"users.sort.name":     {"Name", "名前"},
		"users.sort.email":    {"E-mail", "メールアドレス"},
		"users.sort.signin":   {"Last sign-in", "最終サインイン"},
		"users.sort.created":  {"Created", "作成日時"},
		"users.order":         {"Order", "順序"},
		"users.order.asc":     {"Ascending", "昇順"},
		"users.order.desc":    {"Descending", "降順"},
		"users.size":          {"Per page", "表示件数"},
		"users.sorted.asc":    {"sorted ascending", "昇順で並べ替え済み"},
		"users.sorted.desc":   {"sorted descending", "降順で並べ替え済み"},
		"users.sort.keyword":  {"With a keyword the list is sorted by name: clear the keyword to sort by another column.", "キーワード検索中は名前順に並びます。ほかの列で並べ替えるにはキーワードを消してください。"},
		"pager.first":         {"First", "最初"},
		"pager.last":          {"Last", "最後"},
		"users.sort.by.title": {"Sort by %s", "%sで並べ替え"},
	})
}

// sortLabels are the column headers of the orders.
var sortLabels = map[meibo.UserSort]string{meibo.SortName: "user.name", meibo.SortEmail: "user.email",
	meibo.SortSignIn: "user.lastSignIn", meibo.SortCreated: "users.sort.created"}

// userPageSizes are the page sizes offered.
var userPageSizes = []int{50, 100, 500}

// usersList is the order, page size, total and links of a users list; the
// links keep the filter (every other parameter of the request).
type usersList struct {
	Lang     meibo.Lang
	Sort     string // as asked: name, email, signin, created
	Order    string // asc, desc
	Size     int
	Sizes    []int
	Sorts    []meibo.UserSort
	Total    string // "1,234", "10,000"
	TotalN   int
	Exact    bool
	Fallback bool // a keyword: sorted by name instead of Sort
	First    template.URL
	Prev     template.URL
	Next     template.URL
	Last     template.URL
	Headers  map[string]sortHeader // by sort name
}

// sortHeader is a column header that sorts the list by its column.
type sortHeader struct {
	Lang   meibo.Lang
	Sort   string
	Label  string // label key
	URL    template.URL
	Active bool
	Desc   bool
}

// readUsersList reads the order and page size of the request into f.
func readUsersList(r *http.Request, lang meibo.Lang, f *meibo.UserFilter) usersList {
	qs := r.URL.Query()
	l := usersList{Lang: lang, Sort: qs.Get("sort"), Order: qs.Get("order"), Sizes: userPageSizes, Sorts: meibo.UserSorts, Size: 50}
	o, ok := meibo.ParseUserSort(l.Sort)
	if !ok || l.Sort == "" {
		l.Sort = string(o)
	}
	if l.Order != "desc" {
		l.Order = "asc"
	}
	if n, err := strconv.Atoi(qs.Get("size")); err == nil {
		for _, s := range userPageSizes {
			if n == s {
				l.Size = n
			}
		}
	}
	f.Sort, f.Desc, f.Count, f.Limit = o, l.Order == "desc", true, l.Size
	f.Last = qs.Get("last") == "1"
	if f.Last {
		f.After, f.Before = "", ""
	}
	return l
}

// links fills the total, the pager's and the headers' links from the page.
func (l *usersList) links(r *http.Request, p *meibo.UserPage, keyword bool) {
	base := r.URL.Query()
	for _, k := range []string{"after", "before", "last"} {
		base.Del(k)
	}
	if l.Size == 50 {
		base.Del("size")
	} else {
		base.Set("size", strconv.Itoa(l.Size))
	}
	link := func(set ...string) template.URL {
		v := url.Values{}
		for k, vs := range base {
			v[k] = vs
		}
		for i := 0; i+1 < len(set); i += 2 {
			if set[i+1] == "" {
				v.Del(set[i])
			} else {
				v.Set(set[i], set[i+1])
			}
		}
		return template.URL("?" + v.Encode())
	}
	if p.HasPrev {
		l.First, l.Prev = link(), link("before", p.Prev)
	}
	if p.HasNext {
		l.Next, l.Last = link("after", p.Next), link("last", "1")
	}
	l.TotalN, l.Exact = p.Total, p.TotalExact
	n := p.Total
	if !p.TotalExact {
		n = meibo.UserCountBound
	}
	l.Total = thousands(n)
	l.Fallback = keyword && l.Sort != string(meibo.SortName)
	l.Headers = map[string]sortHeader{}
	for _, o := range meibo.UserSorts {
		h := sortHeader{Lang: l.Lang, Sort: string(o), Label: sortLabels[o], Active: string(p.SortedBy) == string(o)}
		h.Desc = h.Active && p.Desc
		order := "asc"
		if h.Active && !p.Desc {
			order = "desc"
		}
		h.URL = link("sort", string(o), "order", order)
		l.Headers[string(o)] = h
	}
}

// thousands writes n with thousands separators: 10,000.
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
