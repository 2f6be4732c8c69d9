package scim

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	filter "github.com/scim2/filter-parser/v2"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/service"
)

// The bounds of a filter or path read with the SCIM grammar. Its parser
// recurses once a level of parentheses or brackets, without a bound of its
// own (a filter of 100,000 nested parentheses overflowed the stack and ended
// the server), and reads some 5 µs a byte. Identity providers send a
// comparison or a few.
const (
	maxFilterBytes = 4096
	maxFilterDepth = 32
)

// checkFilterSize refuses (scimType invalid, for invalidFilter or
// invalidPath) what is over the bounds, before it is parsed.
func checkFilterSize(f, invalid, what string) error {
	if len(f) > maxFilterBytes {
		return badRequest(invalid, fmt.Sprintf("the %s is %d bytes long; at most %d are read", what, len(f), maxFilterBytes))
	}
	depth, quoted, escaped := 0, false, false
	for i := 0; i < len(f); i++ {
		c := f[i]
		switch {
		case escaped:
			escaped = false
		case quoted && c == '\\':
			escaped = true
		case c == '"':
			quoted = !quoted
		case quoted:
		case c == '(' || c == '[':
			if depth++; depth > maxFilterDepth {
				return badRequest(invalid, fmt.Sprintf("the %s nests parentheses and brackets more than %d deep", what, maxFilterDepth))
			}
		case c == ')' || c == ']':
			depth--
		}
	}
	return nil
}

// parseFilter parses a filter with the SCIM grammar (RFC 7644 §3.4.2.2).
func parseFilter(f string) (filter.Expression, error) {
	if err := checkFilterSize(f, "invalidFilter", "filter"); err != nil {
		return nil, err
	}
	e, err := filter.ParseFilterNumber([]byte(upperHexEscapes(f)))
	if err != nil {
		return nil, badRequest("invalidFilter", filterProblem(f))
	}
	if err := decodeValues(e, "invalidFilter"); err != nil {
		return nil, err
	}
	if err := readDateTimes(e); err != nil {
		return nil, err
	}
	normalizeNames(e)
	return e, nil
}

// dateTimes lists the attributes of type dateTime (lower case, with their
// parent): they compare as instants.
var dateTimes = map[string]bool{"meta.created": true, "meta.lastmodified": true}

// attrName is the lower-case name of a filter's attribute, with its
// parent ("meta.created").
func attrName(p filter.AttributePath) string {
	name := strings.ToLower(p.AttributeName)
	if sub := p.SubAttributeName(); sub != "" {
		name += "." + strings.ToLower(sub)
	}
	return name
}

// readDateTimes reads the values compared with dateTime attributes as the
// instants they name (RFC 3339, any offset, fractions of a second), so
// that they compare chronologically; a value that is no such time is
// refused rather than compared as text, which "yesterday" would match
// with every user.
func readDateTimes(e filter.Expression) error {
	switch x := e.(type) {
	case *filter.LogicalExpression:
		if err := readDateTimes(x.Left); err != nil {
			return err
		}
		return readDateTimes(x.Right)
	case *filter.NotExpression:
		return readDateTimes(x.Expression)
	case *filter.AttributeExpression:
		if x.Operator == filter.PR || !dateTimes[attrName(x.AttributePath)] {
			return nil
		}
		s, ok := x.CompareValue.(string)
		t, err := time.Parse(time.RFC3339Nano, s)
		if !ok || err != nil {
			return badRequest("invalidFilter", fmt.Sprintf(`%s is a dateTime: the value %s is not one; write it as RFC 3339 in double quotes, such as "2026-01-02T15:04:05Z" or "2026-01-03T00:04:05.5+09:00"`,
				x.AttributePath.String(), valueText(x.CompareValue)))
		}
		x.CompareValue = t
	}
	return nil
}

// valueText writes a filter's value as the filter wrote it.
func valueText(v any) string {
	if s, ok := v.(string); ok {
		return strconv.Quote(s)
	}
	if v == nil {
		return "null"
	}
	return fmt.Sprint(v)
}

// parsePath parses a PATCH path (RFC 7644 §3.5.2), its value filter's
// strings decoded as a filter's are.
func parsePath(raw string) (filter.Path, error) {
	if err := checkFilterSize(raw, "invalidPath", "path"); err != nil {
		return filter.Path{}, err
	}
	p, err := filter.ParsePathNumber([]byte(upperHexEscapes(raw)))
	if err != nil {
		return filter.Path{}, badRequest("invalidPath", pathProblem(raw))
	}
	if p.ValueExpression != nil {
		if err := decodeValues(p.ValueExpression, "invalidPath"); err != nil {
			return filter.Path{}, err
		}
	}
	return p, nil
}

// upperHexEscapes writes the hex digits of the \uXXXX escapes in f's
// quoted values in upper case: JSON allows either case, the parser's
// grammar only the upper one.
func upperHexEscapes(f string) string {
	if !strings.Contains(f, `\u`) {
		return f
	}
	b := []byte(f)
	quoted := false
	for i := 0; i < len(b); i++ {
		switch {
		case quoted && b[i] == '\\':
			if i+1 < len(b) && b[i+1] == 'u' {
				for j := i + 2; j < min(i+6, len(b)); j++ {
					if b[j] >= 'a' && b[j] <= 'f' {
						b[j] -= 'a' - 'A'
					}
				}
			}
			i++ // the escaped character
		case b[i] == '"':
			quoted = !quoted
		}
	}
	return string(b)
}

// decodeValues decodes the string values of a filter: the parser keeps
// the text between the quotes as it was written, and a filter's values are
// JSON strings (RFC 7644 §3.4.2.2), so that "CONTOSO\\jdoe" is the name
// CONTOSO\jdoe and "\u0041" is "A".
func decodeValues(e filter.Expression, invalid string) error {
	switch x := e.(type) {
	case *filter.LogicalExpression:
		if err := decodeValues(x.Left, invalid); err != nil {
			return err
		}
		return decodeValues(x.Right, invalid)
	case *filter.NotExpression:
		return decodeValues(x.Expression, invalid)
	case *filter.ValuePath:
		return decodeValues(x.ValueFilter, invalid)
	case *filter.AttributeExpression:
		raw, ok := x.CompareValue.(string)
		if !ok || !strings.ContainsRune(raw, '\\') {
			return nil
		}
		var v string
		if err := json.Unmarshal([]byte(`"`+raw+`"`), &v); err != nil {
			return badRequest(invalid, fmt.Sprintf(`the value "%s" of %s is not a JSON string: a backslash starts an escape such as \\, \" or \u0041`,
				raw, x.AttributePath.String()))
		}
		x.CompareValue = v
	}
	return nil
}

// normalizeNames writes the userName values of a filter in the normal form
// user names are stored in (NFC), so that a name sent decomposed
// ("Cafe\u0301") finds the user it names, as a create of it conflicts.
func normalizeNames(e filter.Expression) {
	switch x := e.(type) {
	case *filter.LogicalExpression:
		normalizeNames(x.Left)
		normalizeNames(x.Right)
	case *filter.NotExpression:
		normalizeNames(x.Expression)
	case *filter.AttributeExpression:
		if v, ok := x.CompareValue.(string); ok && x.AttributePath.SubAttribute == nil &&
			strings.EqualFold(x.AttributePath.AttributeName, "userName") {
			x.CompareValue = meibo.NormalizeName(v)
		}
	}
}

// filterProblem says what is wrong with a filter the parser refused, for
// the person who wrote it: the parser's own text names its grammar's
// internals ("expected op.Or or[func func…]") and the first character
// whatever the mistake.
func filterProblem(f string) string {
	var hint string
	switch {
	case strings.TrimSpace(f) == "":
		return `the filter is empty: leave the parameter out, or write one such as userName eq "alice"`
	case strings.Count(f, `"`)%2 == 1:
		hint = "a value's double quotes do not pair (one is missing)"
	case strings.Contains(f, "'") && !strings.Contains(f, `"`):
		hint = "values are written in double quotes, not single ones"
	case strings.Count(f, "(") != strings.Count(f, ")"):
		hint = "its parentheses do not pair"
	case strings.Count(f, "[") != strings.Count(f, "]"):
		hint = "its square brackets do not pair"
	default:
		hint = "each comparison is an attribute, an operator (eq, ne, co, sw, ew, gt, ge, lt, le, or pr without a value) and a value (strings in double quotes), joined by and or or"
	}
	return fmt.Sprintf(`the filter %q cannot be read: %s; for example userName eq "alice" and active eq true`, f, hint)
}

// pathProblem says what is wrong with a PATCH path the parser refused, for
// the person who wrote it, as filterProblem does for filters (the parser's
// own text reads "parse conflict [00:006]: expected int32 …").
func pathProblem(p string) string {
	var hint string
	switch {
	case strings.TrimSpace(p) == "":
		return "the path is empty: leave it out to change the attributes of the value, or name one such as userName"
	case strings.Count(p, `"`)%2 == 1:
		hint = "a value's double quotes do not pair (one is missing)"
	case strings.Count(p, "[") != strings.Count(p, "]"):
		hint = "its square brackets do not pair"
	case strings.Contains(p, "[]"):
		hint = "the square brackets hold a filter, such as type eq \"work\""
	default:
		hint = `a path is an attribute (userName, name.givenName), optionally a filter in square brackets and a sub-attribute (emails[type eq "work"].value)`
	}
	return fmt.Sprintf("the path %q cannot be read: %s", p, hint)
}

// userCaseExact and groupCaseExact list the attributes of users and of
// groups compared with regard to case, as /Schemas declares them
// (caseExact): IDs; user names, unique in the group case-sensitively; and
// profile names (a group's displayName, a user's profile), unique in the
// group case-sensitively too and looked up as written.
var (
	userCaseExact = map[string]bool{"id": true, "externalid": true, "username": true, "meta.version": true, "password": true,
		"profile": true}
	groupCaseExact = map[string]bool{"id": true, "externalid": true, "displayname": true, "meta.version": true}
)

// match evaluates a filter on a resource whose attributes in exact are
// compared with regard to case.
func match(e filter.Expression, res map[string]any, exact map[string]bool) (bool, error) {
	switch x := e.(type) {
	case *filter.LogicalExpression:
		l, err := match(x.Left, res, exact)
		if err != nil {
			return false, err
		}
		if x.Operator == filter.AND && !l {
			return false, nil
		}
		if x.Operator == filter.OR && l {
			return true, nil
		}
		return match(x.Right, res, exact)
	case *filter.NotExpression:
		v, err := match(x.Expression, res, exact)
		return !v, err
	case *filter.AttributeExpression:
		return matchAttr(*x, res, exact)
	case *filter.ValuePath:
		v, _, _ := lookup(res, x.AttributePath.AttributeName)
		vals, ok := v.([]any)
		if !ok && v != nil {
			vals = []any{v}
		}
		for _, v := range vals {
			m, ok := v.(map[string]any)
			if !ok {
				continue
			}
			if ok, err := match(x.ValueFilter, m, exact); err != nil || ok {
				return ok, err
			}
		}
		return false, nil
	}
	return false, badRequest("invalidFilter", fmt.Sprintf("unsupported filter %v", e))
}

// values returns the values a path reaches: for a multi-valued attribute
// every element (or every element's sub-attribute).
func values(res map[string]any, p filter.AttributePath) []any {
	obj := res
	if uri := p.URI(); uri != "" {
		if strings.EqualFold(uri, SchemaMeibo) {
			ext, _ := res[SchemaMeibo].(map[string]any)
			obj = ext
		} else if !strings.EqualFold(uri, SchemaUser) && !strings.EqualFold(uri, SchemaGroup) {
			return nil
		}
	}
	v, _, ok := lookup(obj, p.AttributeName)
	if !ok || v == nil {
		return nil
	}
	sub := p.SubAttributeName()
	var out []any
	add := func(x any) {
		if sub == "" {
			out = append(out, x)
			return
		}
		if m, ok := x.(map[string]any); ok {
			if sv, _, ok := lookup(m, sub); ok && sv != nil {
				out = append(out, sv)
			}
		}
	}
	if list, ok := v.([]any); ok {
		for _, x := range list {
			add(x)
		}
		// A filter on a multi-valued attribute of objects without a
		// sub-attribute compares their "value".
		if sub == "" {
			var vals []any
			for _, x := range out {
				if m, ok := x.(map[string]any); ok {
					if sv, _, ok := lookup(m, "value"); ok {
						vals = append(vals, sv)
						continue
					}
				}
				vals = append(vals, x)
			}
			out = vals
		}
		return out
	}
	add(v)
	return out
}

func matchAttr(e filter.AttributeExpression, res map[string]any, caseExact map[string]bool) (bool, error) {
	vals := values(res, e.AttributePath)
	if e.Operator == filter.PR {
		for _, v := range vals {
			if s, ok := v.(string); ok && s == "" {
				continue
			}
			if l, ok := v.([]any); ok && len(l) == 0 {
				continue
			}
			return true, nil
		}
		return false, nil
	}
	exact := caseExact[attrName(e.AttributePath)]
	if e.Operator == filter.NE {
		ok, err := compareAny(vals, filter.EQ, e.CompareValue, exact)
		return !ok, err
	}
	return compareAny(vals, e.Operator, e.CompareValue, exact)
}

func compareAny(vals []any, op filter.CompareOperator, want any, exact bool) (bool, error) {
	for _, v := range vals {
		ok, err := compare(v, op, want, exact)
		if err != nil || ok {
			return ok, err
		}
	}
	return false, nil
}

func compare(have any, op filter.CompareOperator, want any, exact bool) (bool, error) {
	if wt, ok := want.(time.Time); ok {
		// A dateTime attribute (readDateTimes): compared as instants.
		hs, _ := have.(string)
		ht, err := time.Parse(time.RFC3339Nano, hs)
		if err != nil {
			return false, nil
		}
		return order(op, ht.Compare(wt))
	}
	switch h := have.(type) {
	case bool:
		w, ok := want.(bool)
		if !ok {
			if ws, isStr := want.(string); isStr {
				b, err := boolean(ws, "value")
				if err != nil {
					return false, badRequest("invalidFilter", "a Boolean attribute is compared with true or false")
				}
				w = b
			} else {
				return false, badRequest("invalidFilter", "a Boolean attribute is compared with true or false")
			}
		}
		if op != filter.EQ {
			return false, badRequest("invalidFilter", "a Boolean attribute supports eq, ne and pr only")
		}
		return h == w, nil
	case json.Number:
		w, ok := want.(json.Number)
		if !ok {
			return false, nil
		}
		a, _ := h.Float64()
		b, _ := w.Float64()
		return order(op, cmpFloat(a, b))
	case string:
		w, ok := want.(string)
		if !ok {
			if want == nil {
				return false, nil
			}
			w = fmt.Sprint(want)
		}
		if !exact {
			h, w = strings.ToLower(h), strings.ToLower(w)
		}
		switch op {
		case filter.EQ:
			return h == w, nil
		case filter.CO:
			return strings.Contains(h, w), nil
		case filter.SW:
			return strings.HasPrefix(h, w), nil
		case filter.EW:
			return strings.HasSuffix(h, w), nil
		}
		return order(op, strings.Compare(h, w))
	}
	return false, nil
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func order(op filter.CompareOperator, c int) (bool, error) {
	switch op {
	case filter.EQ:
		return c == 0, nil
	case filter.GT:
		return c > 0, nil
	case filter.GE:
		return c >= 0, nil
	case filter.LT:
		return c < 0, nil
	case filter.LE:
		return c <= 0, nil
	}
	return false, badRequest("invalidFilter", "operator "+string(op)+" does not apply to this attribute")
}

// narrowing is how the users a filter may match are fetched through the
// service's indexes: one user by name, ID or external ID, or a search by
// keyword and flags. A filter that gives none reads the whole group.
type narrowing struct {
	byName, byExternal *string
	byID               *int64
	// namePrefix and emailKey, emailPrefix select through the name and
	// e-mail key indexes (meibo.UserQuery).
	namePrefix  string
	emailKey    *string
	emailPrefix string
	// contains is three or more folded characters anywhere in the name
	// or the address: through the trigram indexes.
	contains        string
	keyword         string
	disabled, admin *bool
}

// isASCII reports whether s is all ASCII: then meibo.EmailKey folds it
// as the filters compare addresses, by lower case alone.
func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// narrow finds what a filter's top conjunction tells about its matches.
func narrow(e filter.Expression) narrowing {
	var n narrowing
	var walk func(filter.Expression)
	walk = func(e filter.Expression) {
		switch x := e.(type) {
		case *filter.LogicalExpression:
			if x.Operator == filter.AND {
				walk(x.Left)
				walk(x.Right)
			}
		case *filter.AttributeExpression:
			attr := strings.ToLower(x.AttributePath.AttributeName)
			sub := strings.ToLower(x.AttributePath.SubAttributeName())
			uri := x.AttributePath.URI()
			if uri != "" && !strings.EqualFold(uri, SchemaUser) {
				if strings.EqualFold(uri, SchemaMeibo) && attr == "admin" && x.Operator == filter.EQ {
					if b, ok := x.CompareValue.(bool); ok {
						n.admin = &b
					}
				}
				return
			}
			s, isStr := x.CompareValue.(string)
			switch {
			case attr == "username" && x.Operator == filter.EQ && isStr:
				n.byName = &s
			case attr == "externalid" && x.Operator == filter.EQ && isStr:
				n.byExternal = &s
			case attr == "id" && x.Operator == filter.EQ && isStr:
				if id, err := strconv.ParseInt(s, 10, 64); err == nil {
					n.byID = &id
				} else {
					n.byID = new(int64)
				}
			case attr == "active" && x.Operator == filter.EQ:
				b, err := boolean(x.CompareValue, "active")
				if err == nil {
					d := !b
					n.disabled = &d
				}
			case attr == "username" && x.Operator == filter.SW && isStr && s != "" && n.namePrefix == "":
				n.namePrefix = s
			case attr == "emails" && (sub == "" || sub == "value") && x.Operator == filter.EQ && isStr && isASCII(s) && n.emailKey == nil:
				k := meibo.EmailKey(s)
				n.emailKey = &k
			case attr == "emails" && (sub == "" || sub == "value") && x.Operator == filter.SW && isStr && s != "" && isASCII(s) && n.emailPrefix == "":
				n.emailPrefix = strings.ToLower(s)
			case (attr == "username" || attr == "emails" && (sub == "" || sub == "value")) && isStr && n.contains == "" &&
				(x.Operator == filter.CO || x.Operator == filter.EW) && len([]rune(meibo.Fold(s))) >= 3:
				n.contains = meibo.Fold(s)
			case (attr == "username" || attr == "emails" && (sub == "" || sub == "value")) && isStr && n.keyword == "":
				// The keyword search matches two or more characters
				// anywhere in the name or address (meibo.UserFilter), a
				// single one at least at their start; single-character
				// contains and ends-with filters read the group instead.
				switch x.Operator {
				case filter.SW:
					n.keyword = s
				case filter.EQ, filter.CO, filter.EW:
					if len([]rune(meibo.Fold(s))) >= 2 {
						n.keyword = s
					}
				}
			}
		}
	}
	walk(e)
	return n
}

// window is the part of a list's matches to keep: skip of them, then at
// most limit; all keeps every match (to sort them first).
type window struct {
	skip, limit int
	all         bool
}

func (w window) holds(i int) bool { return w.all || i >= w.skip && i < w.skip+w.limit }

// listUsers returns the resources of a group's users that match e (nil:
// every user) within w, and how many match in all. It fetches them through
// the narrowest index the filter allows and keeps no more than the window:
// without a filter it stops at the window's end and counts the group.
func (s *Server) listUsers(ctx context.Context, groupID, baseURL string, e filter.Expression, w window) ([]map[string]any, int, error) {
	if q, ok := exactQuery(e); ok && !w.all {
		// The indexes answer the filter exactly: the page and the count,
		// nothing else read.
		q.GroupID, q.Offset, q.Limit = groupID, w.skip, w.limit
		if w.limit == 0 {
			q.Limit = -1 // the count alone
		}
		page, total, err := s.svc.QueryUsers(ctx, q, true)
		if err != nil {
			return nil, 0, err
		}
		out := make([]map[string]any, len(page))
		for i, p := range page {
			out[i] = roundTrip(userResource(p, baseURL))
		}
		return out, total, nil
	}
	var n narrowing
	if e != nil {
		n = narrow(e)
	}
	var out []map[string]any
	total := 0
	keep := func(p *service.ProvisionedUser) error {
		if e == nil && !w.holds(total) {
			total++
			return nil
		}
		res := roundTrip(userResource(p, baseURL))
		if e != nil {
			ok, err := match(e, res, userCaseExact)
			if err != nil || !ok {
				return err
			}
		}
		if w.holds(total) {
			out = append(out, res)
		}
		total++
		return nil
	}
	one := func(p *service.ProvisionedUser, err error) ([]map[string]any, int, error) {
		if meibo.ErrorCode(err) == meibo.CodeNotFound && meibo.AsError(err).Msg.Key != "group.not_found" {
			return nil, 0, nil
		} else if err != nil {
			return nil, 0, err
		}
		err = keep(p)
		return out, total, err
	}
	switch {
	case n.byID != nil:
		return one(s.svc.ProvisionedUser(ctx, groupID, *n.byID))
	case n.byExternal != nil:
		return one(s.svc.UserByExternalID(ctx, groupID, *n.byExternal))
	case n.byName != nil:
		u, err := s.svc.UserByName(ctx, groupID, *n.byName)
		if err != nil {
			return one(nil, err)
		}
		return one(s.svc.ProvisionedUser(ctx, groupID, u.ID))
	case n.namePrefix != "" || n.emailKey != nil || n.emailPrefix != "" || n.contains != "":
		// The range of an index, or the trigram index's matches, read in
		// pages, each user tested.
		q := meibo.UserQuery{GroupID: groupID, NamePrefix: n.namePrefix, EmailKey: n.emailKey, EmailKeyPrefix: n.emailPrefix,
			Contains: n.contains, Disabled: n.disabled, Admin: n.admin, Limit: 500}
		for {
			page, _, err := s.svc.QueryUsers(ctx, q, false)
			if err != nil {
				return nil, 0, err
			}
			for _, p := range page {
				if err := keep(p); err != nil {
					return nil, 0, err
				}
			}
			if len(page) < q.Limit {
				return out, total, nil
			}
			q.AfterName = page[len(page)-1].User.Name
		}
	}
	f := meibo.UserFilter{GroupID: groupID, Keyword: n.keyword, Disabled: n.disabled, Admin: n.admin, Limit: 500}
	for {
		if e == nil && !w.all {
			// Read no further than the window's end.
			f.Limit = min(500, max(w.skip+w.limit-total, 1))
		}
		page, err := s.svc.FindUsers(ctx, f)
		if err != nil {
			return nil, 0, err
		}
		if e == nil && !w.all && total+len(page.Users) <= w.skip {
			// Before the window, without a filter: nothing to read but
			// the count.
			total += len(page.Users)
		} else {
			ids, err := s.svc.UserIdentities(ctx, groupID, page.Users)
			if err != nil {
				return nil, 0, err
			}
			for _, u := range page.Users {
				if err := keep(&service.ProvisionedUser{User: u, Identity: ids[u.ID]}); err != nil {
					return nil, 0, err
				}
			}
		}
		if !page.HasNext || len(page.Users) == 0 {
			return out, total, nil
		}
		if e == nil && !w.all && total >= w.skip+w.limit {
			// The window is full: the group's size is the total.
			users, _, err := s.svc.GroupUsage(ctx, groupID)
			return out, users, err
		}
		f.After = page.Users[len(page.Users)-1].Name
	}
}

// checkSortOrder refuses a sortOrder that is neither of RFC 7644
// §3.4.2.3's "ascending" and "descending" (blank: ascending).
func checkSortOrder(sortOrder string) error {
	if sortOrder == "" || strings.EqualFold(sortOrder, "ascending") || strings.EqualFold(sortOrder, "descending") {
		return nil
	}
	return badRequest("invalidValue", fmt.Sprintf(`sortOrder %q is neither "ascending" nor "descending"`, sortOrder))
}

// sortResources orders resources by an attribute path (sortBy).
func sortResources(list []map[string]any, sortBy, sortOrder string) error {
	if err := checkSortOrder(sortOrder); err != nil {
		return err
	}
	if sortBy == "" {
		return nil
	}
	if err := checkFilterSize(sortBy, "invalidPath", "sortBy"); err != nil {
		return err
	}
	p, err := filter.ParseAttrPath([]byte(stripSchema(sortBy)))
	if err != nil {
		return badRequest("invalidPath", fmt.Sprintf("sortBy %q cannot be read: it is an attribute, such as userName or name.familyName", sortBy))
	}
	// An attribute that no resource has orders none of them: RFC 7644
	// §3.4.2.3 sorts resources without data for sortBy last (ascending)
	// or first (descending), and does not refuse it.
	desc := strings.EqualFold(sortOrder, "descending")
	instant := dateTimes[attrName(p)]
	key := func(res map[string]any) (string, bool) {
		vals := values(res, p)
		if len(vals) == 0 {
			return "", false
		}
		switch v := vals[0].(type) {
		case string:
			if t, err := time.Parse(time.RFC3339Nano, v); instant && err == nil {
				// Of one width, so that the text sorts as the instants.
				return t.UTC().Format("2006-01-02T15:04:05.000000000"), true
			}
			return strings.ToLower(v), true
		default:
			return fmt.Sprint(v), true
		}
	}
	sort.SliceStable(list, func(i, j int) bool {
		a, aok := key(list[i])
		b, bok := key(list[j])
		if aok != bok {
			// Resources without the attribute go last, or first when
			// descending (RFC 7644 §3.4.2.3).
			return aok != desc
		}
		if desc {
			return a > b
		}
		return a < b
	})
	return nil
}

// exactQuery returns the query that selects exactly the users e matches,
// when e (nil: every user) is a conjunction of conditions the indexes
// answer as the filter means them: "userName eq" and "userName sw" (user
// names are case-exact), "active eq", and the extension's "admin eq". An
// identity provider's checks (`userName eq "…"`), a plain page and the
// lists of disabled users are such filters.
func exactQuery(e filter.Expression) (meibo.UserQuery, bool) {
	var q meibo.UserQuery
	var walk func(filter.Expression) bool
	walk = func(e filter.Expression) bool {
		switch x := e.(type) {
		case nil:
			return true
		case *filter.LogicalExpression:
			return x.Operator == filter.AND && walk(x.Left) && walk(x.Right)
		case *filter.AttributeExpression:
			attr := strings.ToLower(x.AttributePath.AttributeName)
			if x.AttributePath.SubAttributeName() != "" || x.Operator != filter.EQ && x.Operator != filter.SW {
				return false
			}
			uri := x.AttributePath.URI()
			if strings.EqualFold(uri, SchemaMeibo) {
				b, ok := x.CompareValue.(bool)
				if attr != "admin" || x.Operator != filter.EQ || !ok || q.Admin != nil {
					return false
				}
				q.Admin = &b
				return true
			}
			if uri != "" && !strings.EqualFold(uri, SchemaUser) {
				return false
			}
			switch attr {
			case "active":
				b, err := boolean(x.CompareValue, "active")
				if x.Operator != filter.EQ || err != nil || q.Disabled != nil {
					return false
				}
				d := !b
				q.Disabled = &d
				return true
			case "username":
				v, ok := x.CompareValue.(string)
				switch {
				case !ok:
					return false
				case x.Operator == filter.EQ && q.Name == nil:
					q.Name = &v
					return true
				case x.Operator == filter.SW && v != "" && q.NamePrefix == "":
					q.NamePrefix = v
					return true
				}
			}
		}
		return false
	}
	if !walk(e) {
		return meibo.UserQuery{}, false
	}
	return q, true
}
