package scim

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/meibo/meibo/service"
)

// userResource is a user as a SCIM resource: a JSON object, so that
// filters, PATCH paths and attribute selection work on what clients see.
func userResource(p *service.ProvisionedUser, baseURL string) map[string]any {
	u := p.User
	id := strconv.FormatInt(u.ID, 10)
	res := map[string]any{
		"schemas":  []any{SchemaUser, SchemaMeibo},
		"id":       id,
		"userName": u.Name,
		"active":   !u.Disabled,
		SchemaMeibo: map[string]any{
			"admin":     u.Admin,
			"apiAccess": u.APIAccess,
			"profile":   u.ProfileName,
		},
		"meta": map[string]any{
			"resourceType": "User",
			"created":      u.CreatedAt.UTC().Format(time.RFC3339Nano),
			"lastModified": u.UpdatedAt.UTC().Format(time.RFC3339Nano),
			"location":     baseURL + "/Users/" + id,
			"version":      userVersion(p),
		},
	}
	if p.Identity.ExternalID != "" {
		res["externalId"] = p.Identity.ExternalID
	}
	if u.Email != "" {
		res["emails"] = []any{map[string]any{"value": u.Email, "type": "work", "primary": true}}
	}
	name := map[string]any{}
	if p.Identity.GivenName != "" {
		name["givenName"] = p.Identity.GivenName
	}
	if p.Identity.FamilyName != "" {
		name["familyName"] = p.Identity.FamilyName
	}
	if len(name) > 0 {
		name["formatted"] = formattedName(p.Identity.GivenName, p.Identity.FamilyName)
		res["name"] = name
	}
	if p.Identity.DisplayName != "" {
		res["displayName"] = p.Identity.DisplayName
	}
	return res
}

// formattedName is a user's name.formatted, which meibo does not keep (a
// client's is not stored): built from the given and family names, the
// family name first when either is written in Chinese, Japanese or Korean
// script ("山田 太郎"), else the given name first ("Jane Doe").
func formattedName(given, family string) string {
	if isCJK(given) || isCJK(family) {
		given, family = family, given
	}
	return strings.TrimSpace(strings.TrimSpace(given) + " " + strings.TrimSpace(family))
}

// isCJK reports whether s holds a Han, Hiragana, Katakana or Hangul letter.
func isCJK(s string) bool {
	for _, r := range s {
		if unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul) {
			return true
		}
	}
	return false
}

// userVersion is the ETag of a user: its last change and a digest of
// what SCIM shows of it, so that two changes within one tick of the clock
// still differ.
func userVersion(p *service.ProvisionedUser) string {
	u, id := p.User, p.Identity
	h := sha256.New()
	pw := int64(0)
	if u.PasswordChangedAt != nil {
		pw = u.PasswordChangedAt.UnixMicro()
	}
	fmt.Fprintf(h, "%q %q %d %d %t %t %t %q %q %q %q", u.Name, u.Email, pw, u.ProfileID, u.Admin, u.APIAccess, u.Disabled,
		id.ExternalID, id.GivenName, id.FamilyName, id.DisplayName)
	return `W/"` + strconv.FormatInt(u.UpdatedAt.UnixMicro(), 36) + "-" + hex.EncodeToString(h.Sum(nil)[:6]) + `"`
}

// noneMatch reports whether an If-None-Match header names the resource's
// current version etag, so that the answer is 304: "*", or a list of
// versions compared weakly (with or without the W/ prefix), as RFC 9110
// asks of GET.
func noneMatch(header, etag string) bool {
	header = strings.TrimSpace(header)
	if header == "" {
		return false
	}
	if header == "*" {
		return true
	}
	weak := strings.TrimPrefix(etag, "W/")
	for _, v := range strings.Split(header, ",") {
		if strings.TrimPrefix(strings.TrimSpace(v), "W/") == weak {
			return true
		}
	}
	return false
}

// lookup returns the value of key in obj without regard to case (SCIM
// attribute names are case-insensitive), and the key as stored.
func lookup(obj map[string]any, key string) (any, string, bool) {
	if v, ok := obj[key]; ok {
		return v, key, true
	}
	for k, v := range obj {
		if strings.EqualFold(k, key) {
			return v, k, true
		}
	}
	return nil, "", false
}

// normalize folds the keys of a client's user object onto ours: core
// attributes written with the core schema URN as prefix
// ("urn:…:User:userName"), extension attributes written the same way
// ("urn:…:meibo:2.0:User:admin"), and any case.
func normalize(in map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range in {
		switch {
		case strings.EqualFold(k, SchemaMeibo):
			ext, _ := out[SchemaMeibo].(map[string]any)
			if ext == nil {
				ext = map[string]any{}
			}
			if m, ok := v.(map[string]any); ok {
				for ek, ev := range m {
					ext[canonical(ek, extAttrs)] = ev
				}
			}
			out[SchemaMeibo] = ext
		case len(k) > len(SchemaMeibo) && strings.EqualFold(k[:len(SchemaMeibo)+1], SchemaMeibo+":"):
			ext, _ := out[SchemaMeibo].(map[string]any)
			if ext == nil {
				ext = map[string]any{}
			}
			ext[canonical(k[len(SchemaMeibo)+1:], extAttrs)] = v
			out[SchemaMeibo] = ext
		case len(k) > len(SchemaUser) && strings.EqualFold(k[:len(SchemaUser)+1], SchemaUser+":"):
			setPath(out, k[len(SchemaUser)+1:], v)
		default:
			setPath(out, k, v)
		}
	}
	return out
}

// setPath sets a (possibly dotted: "name.givenName") attribute.
func setPath(obj map[string]any, key string, v any) {
	attr, sub, dotted := strings.Cut(key, ".")
	attr = canonical(attr, coreAttrs)
	if !dotted {
		if m, ok := v.(map[string]any); ok && attr == "name" {
			n := map[string]any{}
			for k, x := range m {
				n[canonical(k, nameAttrs)] = x
			}
			v = n
		}
		obj[attr] = v
		return
	}
	m, _ := obj[attr].(map[string]any)
	if m == nil {
		m = map[string]any{}
	}
	m[canonical(sub, nameAttrs)] = v
	obj[attr] = m
}

var (
	coreAttrs = []string{"schemas", "id", "externalId", "userName", "name", "displayName", "active", "emails", "password", "meta",
		"members", "nickName", "title", "phoneNumbers", "addresses", "locale", "timezone", "preferredLanguage", "userType", "roles"}
	nameAttrs = []string{"givenName", "familyName", "formatted", "middleName", "honorificPrefix", "honorificSuffix", "value", "type",
		"primary", "display"}
	extAttrs = []string{"admin", "apiAccess", "profile"}
)

func canonical(name string, known []string) string {
	for _, k := range known {
		if strings.EqualFold(k, name) {
			return k
		}
	}
	return name
}

// stateFrom reads the state a user resource asks for over base (the user
// as it is, or zero for a new one). Absent attributes: for a new user or a
// PUT, core attributes are cleared (but active, which stays), the meibo
// extension's are kept.
func stateFrom(res map[string]any, base service.ProvisionState) (*service.ProvisionState, error) {
	st := base
	st.Password = nil
	var err error
	if st.Name, err = str(res, "userName"); err != nil {
		return nil, err
	}
	if st.Name == "" {
		return nil, badRequest("invalidValue", "userName is required")
	}
	if st.Identity.ExternalID, err = str(res, "externalId"); err != nil {
		return nil, err
	}
	if st.Identity.DisplayName, err = str(res, "displayName"); err != nil {
		return nil, err
	}
	st.Identity.GivenName, st.Identity.FamilyName = "", ""
	if v, _, ok := lookup(res, "name"); ok && v != nil {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, badRequest("invalidValue", "name must be an object")
		}
		if st.Identity.GivenName, err = str(m, "givenName"); err != nil {
			return nil, err
		}
		if st.Identity.FamilyName, err = str(m, "familyName"); err != nil {
			return nil, err
		}
	}
	if st.Email, err = primaryEmail(res); err != nil {
		return nil, err
	}
	if v, _, ok := lookup(res, "active"); ok && v != nil {
		b, err := boolean(v, "active")
		if err != nil {
			return nil, err
		}
		st.Disabled = !b
	}
	if v, _, ok := lookup(res, "password"); ok && v != nil {
		pw, ok := v.(string)
		if !ok {
			return nil, badRequest("invalidValue", "password must be a string")
		}
		st.Password = &pw
	}
	if v, _, ok := lookup(res, SchemaMeibo); ok && v != nil {
		ext, ok := v.(map[string]any)
		if !ok {
			return nil, badRequest("invalidValue", SchemaMeibo+" must be an object")
		}
		if v, _, ok := lookup(ext, "admin"); ok && v != nil {
			if st.Admin, err = boolean(v, "admin"); err != nil {
				return nil, err
			}
		}
		if v, _, ok := lookup(ext, "apiAccess"); ok && v != nil {
			if st.APIAccess, err = boolean(v, "apiAccess"); err != nil {
				return nil, err
			}
		}
		if v, _, ok := lookup(ext, "profile"); ok && v != nil {
			p, ok := v.(string)
			if !ok {
				return nil, badRequest("invalidValue", "profile must be a string")
			}
			st.Profile = p
		}
	}
	return &st, nil
}

func str(obj map[string]any, key string) (string, error) {
	v, _, ok := lookup(obj, key)
	if !ok || v == nil {
		return "", nil
	}
	s, ok := v.(string)
	if !ok {
		return "", badRequest("invalidValue", key+" must be a string")
	}
	return s, nil
}

// boolean reads a Boolean, also as the strings "True" and "False" that
// Entra ID sends.
func boolean(v any, name string) (bool, error) {
	switch b := v.(type) {
	case bool:
		return b, nil
	case string:
		switch strings.ToLower(strings.TrimSpace(b)) {
		case "true":
			return true, nil
		case "false":
			return false, nil
		}
	}
	return false, badRequest("invalidValue", fmt.Sprintf("%s must be true or false", name))
}

// primaryEmail picks the e-mail address: the primary one, else the work
// one, else the first.
func primaryEmail(res map[string]any) (string, error) {
	v, _, ok := lookup(res, "emails")
	if !ok || v == nil {
		return "", nil
	}
	list, ok := v.([]any)
	if !ok {
		return "", badRequest("invalidValue", "emails must be an array")
	}
	pick := -1
	for i, e := range list {
		m, ok := e.(map[string]any)
		if !ok {
			return "", badRequest("invalidValue", "each of emails must be an object")
		}
		if p, _, ok := lookup(m, "primary"); ok {
			if b, _ := boolean(p, "primary"); b {
				pick = i
				break
			}
		}
		if t, _ := str(m, "type"); strings.EqualFold(t, "work") && pick < 0 {
			pick = i
		}
	}
	if pick < 0 && len(list) > 0 {
		pick = 0
	}
	if pick < 0 {
		return "", nil
	}
	return str(list[pick].(map[string]any), "value")
}

// project applies attributes / excludedAttributes to a resource. id,
// schemas and meta are always returned; password never is.
func project(res map[string]any, attributes, excluded string) map[string]any {
	parse := func(s string) []string {
		var out []string
		for _, a := range strings.Split(s, ",") {
			if a = strings.TrimSpace(a); a != "" {
				out = append(out, a)
			}
		}
		return out
	}
	attrs, excl := parse(attributes), parse(excluded)
	if len(attrs) == 0 && len(excl) == 0 {
		return res
	}
	// returned "always" in the Schemas, and what every resource carries.
	always := map[string]bool{"id": true, "schemas": true, "meta": true, "userName": true}
	if len(attrs) > 0 {
		out := map[string]any{}
		for k := range always {
			if v, ok := res[k]; ok {
				out[k] = v
			}
		}
		for _, a := range attrs {
			copyPath(res, out, a)
		}
		return out
	}
	out := map[string]any{}
	for k, v := range res {
		out[k] = v
	}
	for _, a := range excl {
		// The extension's URN holds dots ("…:2.0:User"): it is cut off
		// before the path is.
		if strings.EqualFold(a, SchemaMeibo) {
			delete(out, SchemaMeibo)
			continue
		}
		if len(a) > len(SchemaMeibo) && strings.EqualFold(a[:len(SchemaMeibo)+1], SchemaMeibo+":") {
			if ext, ok := out[SchemaMeibo].(map[string]any); ok {
				c := map[string]any{}
				for k, v := range ext {
					if !strings.EqualFold(k, a[len(SchemaMeibo)+1:]) {
						c[k] = v
					}
				}
				out[SchemaMeibo] = c
			}
			continue
		}
		a = stripSchema(a)
		top, sub, dotted := strings.Cut(a, ".")
		_, key, ok := lookup(out, top)
		if !ok || always[key] {
			continue
		}
		if !dotted {
			delete(out, key)
			continue
		}
		if m, ok := out[key].(map[string]any); ok {
			c := map[string]any{}
			for k, v := range m {
				if !strings.EqualFold(k, sub) {
					c[k] = v
				}
			}
			out[key] = c
		}
	}
	return out
}

// stripSchema removes the core schema's URN from an attribute path.
func stripSchema(a string) string {
	if len(a) > len(SchemaUser) && strings.EqualFold(a[:len(SchemaUser)+1], SchemaUser+":") {
		return a[len(SchemaUser)+1:]
	}
	if len(a) > len(SchemaGroup) && strings.EqualFold(a[:len(SchemaGroup)+1], SchemaGroup+":") {
		return a[len(SchemaGroup)+1:]
	}
	return a
}

func copyPath(from, to map[string]any, a string) {
	if strings.EqualFold(a, SchemaMeibo) {
		if v, ok := from[SchemaMeibo]; ok {
			to[SchemaMeibo] = v
		}
		return
	}
	if len(a) > len(SchemaMeibo) && strings.EqualFold(a[:len(SchemaMeibo)+1], SchemaMeibo+":") {
		ext, _ := from[SchemaMeibo].(map[string]any)
		if v, k, ok := lookup(ext, a[len(SchemaMeibo)+1:]); ok {
			m, _ := to[SchemaMeibo].(map[string]any)
			if m == nil {
				m = map[string]any{}
			}
			m[k] = v
			to[SchemaMeibo] = m
		}
		return
	}
	a = stripSchema(a)
	top, sub, dotted := strings.Cut(a, ".")
	v, key, ok := lookup(from, top)
	if !ok {
		return
	}
	if !dotted {
		to[key] = v
		return
	}
	switch x := v.(type) {
	case map[string]any:
		if sv, sk, ok := lookup(x, sub); ok {
			m, _ := to[key].(map[string]any)
			if m == nil {
				m = map[string]any{}
			}
			m[sk] = sv
			to[key] = m
		}
	case []any:
		var out []any
		for _, e := range x {
			if m, ok := e.(map[string]any); ok {
				if sv, sk, ok := lookup(m, sub); ok {
					out = append(out, map[string]any{sk: sv})
				}
			}
		}
		to[key] = out
	}
}

// roundTrip turns a resource built of Go values into the plain JSON values
// (maps, slices, strings, json.Number) that filters and PATCH work on.
func roundTrip(v map[string]any) map[string]any {
	b, _ := json.Marshal(v)
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.UseNumber()
	var out map[string]any
	dec.Decode(&out) //nolint:errcheck // our own JSON
	return out
}
