package scim

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	filter "github.com/scim2/filter-parser/v2"
)

// patchOp is one operation of a PATCH request (RFC 7644 §3.5.2). The
// operation's name is read without regard to case: Entra ID writes
// "Replace".
type patchOp struct {
	Op    string `json:"op"`
	Path  string `json:"path"`
	Value any    `json:"value"`
}

type patchRequest struct {
	Schemas    []string  `json:"schemas"`
	Operations []patchOp `json:"Operations"`
}

func (p *patchRequest) validate() error {
	if len(p.Operations) == 0 {
		return badRequest("invalidSyntax", "a PATCH needs Operations")
	}
	for _, op := range p.Operations {
		switch strings.ToLower(op.Op) {
		case "add", "replace", "remove":
		default:
			return badRequest("invalidSyntax", "unknown PATCH operation "+op.Op)
		}
	}
	return nil
}

// applyPatch applies operations to a resource in order.
func applyPatch(res map[string]any, ops []patchOp) error {
	for _, op := range ops {
		kind := strings.ToLower(op.Op)
		if op.Path == "" {
			if kind == "remove" {
				return badRequest("noTarget", "a remove needs a path")
			}
			obj, ok := op.Value.(map[string]any)
			if !ok {
				return badRequest("invalidValue", "an operation without a path needs an object value")
			}
			// Entra ID writes paths as the keys of the value
			// ({"emails[type eq \"work\"].value": "…"}): each such key is
			// applied as the path it is.
			plain := map[string]any{}
			for k, v := range obj {
				switch {
				case strings.EqualFold(k, "id"):
					if err := sameID(res, v); err != nil {
						return err
					}
					continue
				case strings.EqualFold(k, "meta"), strings.EqualFold(k, "schemas"):
					continue // the service provider's, as a whole resource carries them
				}
				if strings.ContainsRune(k, '[') {
					if err := applyPath(res, k, kind, v); err != nil {
						return err
					}
					continue
				}
				plain[k] = v
			}
			n := normalize(plain)
			if ext, ok := n[SchemaMeibo].(map[string]any); ok {
				for k := range ext {
					if err := knownExtAttr(k); err != nil {
						return err
					}
				}
			}
			merge(res, n, kind == "add")
			continue
		}
		if err := applyPath(res, op.Path, kind, op.Value); err != nil {
			return err
		}
	}
	return nil
}

// knownExtAttr refuses an attribute that meibo's extension does not have:
// the extension is meibo's own, so an unknown attribute is a mistake to
// tell (invalidPath), not one to ignore as another extension's are (the
// enterprise user's, which Entra ID sends).
func knownExtAttr(name string) error {
	if slices.ContainsFunc(extAttrs, func(a string) bool { return strings.EqualFold(a, name) }) {
		return nil
	}
	return badRequest("invalidPath", fmt.Sprintf("%s has no attribute %q: it has %s", SchemaMeibo, name, strings.Join(extAttrs, ", ")))
}

// merge writes the attributes of src over dst; complex attributes (name,
// the meibo extension) merge by sub-attribute, multi-valued ones are added
// to with add and replaced with replace.
func merge(dst, src map[string]any, add bool) {
	for k, v := range src {
		switch sv := v.(type) {
		case map[string]any:
			if dm, ok := dst[k].(map[string]any); ok {
				for sk, x := range sv {
					dm[sk] = x
				}
				continue
			}
		case []any:
			if dl, ok := dst[k].([]any); ok && add {
				if singleValued(k) {
					dst[k] = addEmails(dl, sv)
				} else {
					dst[k] = append(dl, sv...)
				}
				continue
			}
		}
		dst[k] = v
	}
}

func applyPath(res map[string]any, raw, kind string, value any) error {
	p, err := parsePath(raw)
	if err != nil {
		return err
	}
	obj := res
	if uri := p.AttributePath.URI(); uri != "" {
		switch {
		case strings.EqualFold(uri, SchemaMeibo):
			// meibo's own extension: an attribute it does not have is a
			// mistake to tell, not one to ignore as another extension's.
			if err := knownExtAttr(p.AttributePath.AttributeName); err != nil {
				return err
			}
			ext, _ := res[SchemaMeibo].(map[string]any)
			if ext == nil {
				ext = map[string]any{}
				res[SchemaMeibo] = ext
			}
			obj = ext
		case strings.EqualFold(uri, SchemaUser), strings.EqualFold(uri, SchemaGroup):
		default:
			// An extension meibo does not keep (the enterprise user's
			// department, say): nothing to change.
			return nil
		}
	}
	attr := canonical(p.AttributePath.AttributeName, append(coreAttrs, extAttrs...))
	switch {
	case strings.EqualFold(attr, "id") && kind != "remove":
		return sameID(res, value)
	case strings.EqualFold(attr, "id"), strings.EqualFold(attr, "meta"):
		return badRequest("mutability", attr+" is read-only: the service provider keeps it")
	}
	sub := p.AttributePath.SubAttributeName()
	if sub == "" {
		sub = p.SubAttributeName()
	}
	if p.ValueExpression == nil {
		cur, key, found := lookup(obj, attr)
		if !found {
			key = attr
		}
		if sub == "" {
			switch kind {
			case "remove":
				delete(obj, key)
			case "add":
				if l, ok := cur.([]any); ok {
					if vl, ok := value.([]any); ok {
						if singleValued(key) {
							obj[key] = addEmails(l, vl)
							return nil
						}
						// A new primary value makes the others not primary
						// (RFC 7644 §3.5.2.1).
						if anyPrimary(vl) {
							for _, e := range l {
								if m, ok := e.(map[string]any); ok {
									delete(m, "primary")
								}
							}
						}
						obj[key] = append(l, vl...)
						return nil
					}
				}
				fallthrough
			default:
				if m, ok := value.(map[string]any); ok {
					n := map[string]any{}
					setPath(n, key, m)
					// A complex attribute's sub-attributes not given are
					// left as they are, by add and by replace alike (RFC
					// 7644 §3.5.2.1, §3.5.2.3).
					if cm, ok := cur.(map[string]any); ok {
						for k, v := range n[key].(map[string]any) {
							cm[k] = v
						}
						return nil
					}
					obj[key] = n[key]
					return nil
				}
				obj[key] = value
			}
			return nil
		}
		m, _ := cur.(map[string]any)
		if m == nil {
			if kind == "remove" {
				return nil
			}
			m = map[string]any{}
			obj[key] = m
		}
		_, skey, found := lookup(m, sub)
		if !found {
			skey = canonical(sub, nameAttrs)
		}
		if kind == "remove" {
			delete(m, skey)
		} else {
			m[skey] = value
		}
		return nil
	}
	// attr[filter] or attr[filter].sub: the elements the filter matches.
	cur, key, found := lookup(obj, attr)
	if !found {
		key = attr
	}
	list, _ := cur.([]any)
	var kept []any
	matched := 0
	for _, e := range list {
		m, ok := e.(map[string]any)
		if !ok {
			kept = append(kept, e)
			continue
		}
		ok, err := match(p.ValueExpression, m, userCaseExact)
		if err != nil {
			return err
		}
		if !ok {
			kept = append(kept, e)
			continue
		}
		matched++
		switch {
		case kind == "remove" && sub == "":
			continue // dropped
		case kind == "remove":
			delete(m, sub)
		case sub != "":
			m[canonical(sub, nameAttrs)] = value
		default:
			if vm, ok := value.(map[string]any); ok {
				for k, v := range vm {
					m[k] = v
				}
			}
		}
		kept = append(kept, m)
	}
	if matched == 0 && kind != "remove" {
		// Entra ID replaces emails[type eq "work"].value on a user without
		// one: add the element the filter describes.
		e := map[string]any{}
		if ae, ok := p.ValueExpression.(*filter.AttributeExpression); ok && ae.Operator == filter.EQ {
			e[ae.AttributePath.AttributeName] = ae.CompareValue
		}
		if sub != "" {
			e[canonical(sub, nameAttrs)] = value
		} else if vm, ok := value.(map[string]any); ok {
			for k, v := range vm {
				e[k] = v
			}
		}
		kept = append(kept, e)
	}
	if kept == nil {
		delete(obj, key)
		return nil
	}
	obj[key] = kept
	return nil
}

// number reads a JSON number as an int.
func number(v any) (int, bool) {
	switch n := v.(type) {
	case json.Number:
		i, err := n.Int64()
		return int(i), err == nil
	case float64:
		return int(n), true
	}
	return 0, false
}

// anyPrimary reports whether a list of values holds one marked primary.
func anyPrimary(list []any) bool {
	for _, e := range list {
		if m, ok := e.(map[string]any); ok {
			if p, _, ok := lookup(m, "primary"); ok {
				if b, _ := boolean(p, "primary"); b {
					return true
				}
			}
		}
	}
	return false
}

// addEmails returns the user's addresses after an add of added to cur:
// meibo keeps one, so an added address that is primary, of type work or of no
// type becomes the address; others (home, other) are taken and not kept,
// so that a second address does not replace the first.
func addEmails(cur, added []any) []any {
	pick := -1
	for i, e := range added {
		m, ok := e.(map[string]any)
		if !ok {
			return added // refused as stateFrom reads it
		}
		if p, _, ok := lookup(m, "primary"); ok {
			if b, _ := boolean(p, "primary"); b {
				pick = i
				break
			}
		}
		if t, _ := str(m, "type"); pick < 0 && (t == "" || strings.EqualFold(t, "work")) {
			pick = i
		}
	}
	if pick < 0 {
		return cur
	}
	return []any{added[pick]}
}

// singleValued reports whether meibo keeps one value of a multi-valued
// attribute: a user has one e-mail address, so the address added is the
// address, rather than a second one behind the first.
func singleValued(attr string) bool { return strings.EqualFold(attr, "emails") }

// sameID refuses a change of a resource's id (read-only: RFC 7643 §3.1); the
// id it already has is no change.
func sameID(res map[string]any, v any) error {
	if s, ok := v.(string); ok && s == fmt.Sprint(res["id"]) {
		return nil
	}
	return badRequest("mutability", "id is read-only: the service provider keeps it")
}
