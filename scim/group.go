package scim

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	filter "github.com/scim2/filter-parser/v2"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/service"
)

// A group's profiles are its SCIM groups: displayName is the profile's
// name, members its users. A user has exactly one profile, so adding a
// member moves the user there, and removing one moves the user to the
// group's default profile.

// groupResource is the SCIM group of profile p, with its members when
// members is set. Its version and lastModified are the profile's, whatever
// is projected: they follow the profile's own changes (its name) and its
// members' (a user who joins, leaves or is renamed in it, counted in the
// store in the same transaction), so that a version read without the
// members still holds for a change, and a member's leaving moves
// lastModified on rather than back.
func (s *Server) groupResource(ctx context.Context, groupID, baseURL string, p *meibo.Profile, members bool) (map[string]any, error) {
	id := strconv.FormatInt(p.ID, 10)
	meta := map[string]any{"resourceType": "Group", "created": p.CreatedAt.UTC().Format("2006-01-02T15:04:05.999999Z07:00"),
		"location":     baseURL + "/Groups/" + id,
		"lastModified": groupModified(p).UTC().Format("2006-01-02T15:04:05.999999Z07:00"),
		"version":      groupVersion(p)}
	res := map[string]any{
		"schemas":     []any{SchemaGroup},
		"id":          id,
		"displayName": p.Name,
		"meta":        meta,
	}
	if !members {
		return res, nil
	}
	list := []any{}
	f := meibo.UserFilter{GroupID: groupID, ProfileID: &p.ID, Limit: 500}
	for {
		page, err := s.svc.FindUsers(ctx, f)
		if err != nil {
			return nil, err
		}
		for _, u := range page.Users {
			uid := strconv.FormatInt(u.ID, 10)
			list = append(list, map[string]any{"value": uid, "display": u.Name, "$ref": baseURL + "/Users/" + uid})
		}
		if !page.HasNext || len(page.Users) == 0 {
			break
		}
		f.After = page.Users[len(page.Users)-1].Name
	}
	res["members"] = list
	return res, nil
}

// groupModified is a profile's lastModified: the later of its own change
// and its members' latest.
func groupModified(p *meibo.Profile) time.Time {
	if c := p.MembersChangedAt; c != nil && c.After(p.UpdatedAt) {
		return *c
	}
	return p.UpdatedAt
}

// groupVersion is the ETag of a profile as a SCIM group: its lastModified,
// and a digest of its name and the count of its members' changes, so that
// two changes within one tick of the clock still differ.
func groupVersion(p *meibo.Profile) string {
	h := sha256.New()
	fmt.Fprintf(h, "%q %d", p.Name, p.MembersVersion)
	return `W/"` + strconv.FormatInt(groupModified(p).UnixMicro(), 36) + "-" + hex.EncodeToString(h.Sum(nil)[:8]) + `"`
}

// wantsMembers tells whether a request's attribute selection keeps
// members (reading them costs a walk through the profile's users).
func wantsMembers(attributes, excluded string) bool {
	for _, a := range strings.Split(excluded, ",") {
		if strings.EqualFold(stripSchema(strings.TrimSpace(a)), "members") {
			return false
		}
	}
	if attributes == "" {
		return true
	}
	for _, a := range strings.Split(attributes, ",") {
		a = stripSchema(strings.TrimSpace(a))
		if strings.EqualFold(a, "members") || strings.HasPrefix(strings.ToLower(a), "members.") {
			return true
		}
	}
	return false
}

func (s *Server) profile(ctx context.Context, groupID, id string) (*meibo.Profile, error) {
	ps, err := s.svc.Profiles(ctx, groupID)
	if err != nil {
		return nil, err
	}
	for _, p := range ps {
		if strconv.FormatInt(p.ID, 10) == id {
			return p, nil
		}
	}
	return nil, &scimError{status: http.StatusNotFound, detail: "no such group"}
}

func (s *Server) handleGroups(w http.ResponseWriter, r *http.Request) {
	lq := queryOf(r)
	var e filter.Expression
	var err error
	if lq.Filter != "" {
		if e, err = parseFilter(lq.Filter); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	ps, err := s.svc.Profiles(r.Context(), r.PathValue("group"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	attrs, excl := joinAttrs(lq.Attributes), joinAttrs(lq.ExcludedAttributes)
	members := wantsMembers(attrs, excl) || e != nil && strings.Contains(strings.ToLower(lq.Filter), "members")
	var all []map[string]any
	for _, p := range ps {
		res, err := s.groupResource(r.Context(), r.PathValue("group"), s.base(r), p, members)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		res = roundTrip(res)
		if e != nil {
			ok, err := match(e, res, groupCaseExact)
			if err != nil {
				s.fail(w, r, err)
				return
			}
			if !ok {
				continue
			}
		}
		all = append(all, project(res, attrs, excl))
	}
	if err := sortResources(all, lq.SortBy, lq.SortOrder); err != nil {
		s.fail(w, r, err)
		return
	}
	start, _ := intParam(lq.StartIndex, "startIndex", 1)
	count, _ := intParam(lq.Count, "count", MaxResults)
	start, count = max(start, 1), min(max(count, 0), MaxResults)
	page := []map[string]any{}
	if start <= len(all) {
		page = all[start-1 : min(start-1+count, len(all))]
	}
	writeJSON(w, http.StatusOK, map[string]any{"schemas": []string{SchemaList}, "totalResults": len(all), "startIndex": start,
		"itemsPerPage": len(page), "Resources": page})
}

func (s *Server) writeGroup(w http.ResponseWriter, r *http.Request, id string) {
	p, err := s.profile(r.Context(), r.PathValue("group"), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	q := r.URL.Query()
	res, err := s.groupResource(r.Context(), r.PathValue("group"), s.base(r), p, wantsMembers(q.Get("attributes"), q.Get("excludedAttributes")))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	etag := res["meta"].(map[string]any)["version"].(string)
	if inm := r.Header.Get("If-None-Match"); noneMatch(inm, etag) {
		w.Header().Set("ETag", etag)
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("ETag", etag)
	writeJSON(w, http.StatusOK, project(res, q.Get("attributes"), q.Get("excludedAttributes")))
}

func (s *Server) handleGroup(w http.ResponseWriter, r *http.Request) {
	s.writeGroup(w, r, r.PathValue("id"))
}

// memberIDs reads the user IDs of a members value; refs resolves
// "bulkId:…" references (nil outside /Bulk).
func memberIDs(v any, refs func(string) (int64, error)) ([]func() (int64, error), error) {
	var list []any
	switch x := v.(type) {
	case []any:
		list = x
	case map[string]any:
		list = []any{x}
	case nil:
		return nil, nil
	default:
		return nil, badRequest("invalidValue", "members must be an array of objects with a value")
	}
	var out []func() (int64, error)
	for _, m := range list {
		obj, ok := m.(map[string]any)
		if !ok {
			return nil, badRequest("invalidValue", "members must be an array of objects with a value")
		}
		val, _ := str(obj, "value")
		if ref, ok := strings.CutPrefix(val, "bulkId:"); ok && refs != nil {
			out = append(out, func() (int64, error) { return refs(ref) })
			continue
		}
		id, err := strconv.ParseInt(val, 10, 64)
		if err != nil {
			return nil, badRequest("invalidValue", "members: there is no user with the ID "+strconv.Quote(val)+" in this group")
		}
		out = append(out, func() (int64, error) { return id, nil })
	}
	return out, nil
}

// moveOp moves a user to a profile; with onlyFrom, only a user who is in
// that profile.
func moveOp(target func() (int64, error), profile string, onlyFrom string) service.ProvisionOp {
	return service.ProvisionOp{Target: target, Apply: func(cur *service.ProvisionedUser) (*service.ProvisionState, error) {
		st := service.StateOf(cur)
		if onlyFrom != "" && cur.User.ProfileName != onlyFrom {
			return &st, nil // not a member: nothing to remove
		}
		st.Profile = profile
		return &st, nil
	}}
}

// groupPatchOps turns a PATCH of a profile into moves of users.
func (s *Server) groupPatchOps(ctx context.Context, group string, p *meibo.Profile, def string, pr *patchRequest, refs func(string) (int64, error)) ([]service.ProvisionOp, error) {
	var ops []service.ProvisionOp
	for _, op := range pr.Operations {
		kind := strings.ToLower(op.Op)
		path := op.Path
		value := op.Value
		if path == "" {
			obj, ok := op.Value.(map[string]any)
			if !ok {
				return nil, badRequest("invalidValue", "an operation without a path needs an object value")
			}
			// A new displayName is refused as with its path (the name is
			// the profile's, changed in the console); the same one, as an
			// identity provider sends it with the members, is no change.
			if dn, err := str(obj, "displayName"); err != nil {
				return nil, err
			} else if dn != "" && dn != p.Name {
				return nil, badRequest("mutability", "a group's displayName is its profile's name, changed in the console")
			}
			mv, _, hasMembers := lookup(obj, "members")
			if !hasMembers {
				continue // the rest is not changed through SCIM
			}
			path, value = "members", mv
		}
		pp, err := parsePath(path)
		if err != nil {
			return nil, err
		}
		if !strings.EqualFold(pp.AttributePath.AttributeName, "members") {
			if strings.EqualFold(pp.AttributePath.AttributeName, "displayName") {
				return nil, badRequest("mutability", "a group's displayName is its profile's name, changed in the console")
			}
			return nil, badRequest("invalidPath", "unknown attribute "+pp.AttributePath.AttributeName)
		}
		var targets []func() (int64, error)
		if pp.ValueExpression != nil {
			// members[value eq "42"]
			ae, ok := pp.ValueExpression.(*filter.AttributeExpression)
			if !ok || !strings.EqualFold(ae.AttributePath.AttributeName, "value") || ae.Operator != filter.EQ {
				return nil, badRequest("invalidFilter", `members are named as members[value eq "ID"]`)
			}
			targets, err = memberIDs(map[string]any{"value": ae.CompareValue}, refs)
		} else {
			targets, err = memberIDs(value, refs)
		}
		if err != nil {
			return nil, err
		}
		switch kind {
		case "add":
			for _, t := range targets {
				ops = append(ops, moveOp(t, p.Name, ""))
			}
		case "remove":
			if p.Name == def {
				continue
			}
			if pp.ValueExpression == nil && value == nil {
				// "remove members": every member.
				if targets, err = s.members(ctx, group, p); err != nil {
					return nil, err
				}
			}
			for _, t := range targets {
				ops = append(ops, moveOp(t, def, p.Name))
			}
		case "replace":
			if pp.ValueExpression != nil {
				return nil, badRequest("invalidPath", `members are replaced as a whole: path "members"`)
			}
			rops, err := s.replaceMembers(ctx, group, p, def, targets)
			if err != nil {
				return nil, err
			}
			ops = append(ops, rops...)
		}
	}
	return ops, nil
}

// replaceMembers makes targets the members of profile p: they move to it,
// the others move to the default profile def. A target not yet known (a
// user a bulk request creates) is no member yet.
func (s *Server) replaceMembers(ctx context.Context, group string, p *meibo.Profile, def string, targets []func() (int64, error)) ([]service.ProvisionOp, error) {
	want := map[int64]bool{}
	var ops []service.ProvisionOp
	for _, t := range targets {
		if id, err := t(); err == nil {
			want[id] = true
		}
		ops = append(ops, moveOp(t, p.Name, ""))
	}
	if p.Name == def {
		return ops, nil
	}
	cur, err := s.members(ctx, group, p)
	if err != nil {
		return nil, err
	}
	for _, t := range cur {
		if id, _ := t(); !want[id] {
			ops = append(ops, moveOp(t, def, p.Name))
		}
	}
	return ops, nil
}

// members returns the users of a profile, as targets of moves.
func (s *Server) members(ctx context.Context, group string, p *meibo.Profile) ([]func() (int64, error), error) {
	var out []func() (int64, error)
	f := meibo.UserFilter{GroupID: group, ProfileID: &p.ID, Limit: 500}
	for {
		page, err := s.svc.FindUsers(ctx, f)
		if err != nil {
			return nil, err
		}
		for _, u := range page.Users {
			id := u.ID
			out = append(out, func() (int64, error) { return id, nil })
		}
		if !page.HasNext || len(page.Users) == 0 {
			return out, nil
		}
		f.After = page.Users[len(page.Users)-1].Name
	}
}

func defaultName(ps []*meibo.Profile) string {
	for _, p := range ps {
		if p.Default {
			return p.Name
		}
	}
	return ""
}

func (s *Server) handleGroupPatch(w http.ResponseWriter, r *http.Request) {
	group := r.PathValue("group")
	var pr patchRequest
	if err := decode(r, &pr); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := pr.validate(); err != nil {
		s.fail(w, r, err)
		return
	}
	ps, err := s.svc.Profiles(r.Context(), group)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p, err := s.profile(r.Context(), group, r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ops, err := s.groupPatchOps(r.Context(), group, p, defaultName(ps), &pr, nil)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.runGroupOps(r, p, ops); err != nil {
		s.fail(w, r, err)
		return
	}
	if len(ops) == 0 || r.URL.Query().Get("attributes") != "" {
		s.writeGroup(w, r, r.PathValue("id"))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// groupIfMatch returns the check of a group change's If-Match against the
// group's version in the change's transaction: "*" or none matches any; a
// version matches with or without its weak prefix.
func groupIfMatch(r *http.Request) func(*meibo.Profile) error {
	im := strings.TrimSpace(r.Header.Get("If-Match"))
	return func(p *meibo.Profile) error {
		if im == "" || im == "*" {
			return nil
		}
		v := groupVersion(p)
		for _, m := range strings.Split(im, ",") {
			if m = strings.TrimSpace(m); m == v || "W/"+m == v {
				return nil
			}
		}
		return &scimError{status: http.StatusPreconditionFailed, detail: "the group has changed since version " + im}
	}
}

// handleGroupReplace sets a profile's members: the users listed move to
// it, the others move to the default profile.
func (s *Server) handleGroupReplace(w http.ResponseWriter, r *http.Request) {
	group := r.PathValue("group")
	var body map[string]any
	if err := decode(r, &body); err != nil {
		s.fail(w, r, err)
		return
	}
	ps, err := s.svc.Profiles(r.Context(), group)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p, err := s.profile(r.Context(), group, r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if dn, _ := str(body, "displayName"); dn != "" && dn != p.Name {
		s.fail(w, r, badRequest("mutability", "a group's displayName is its profile's name, changed in the console"))
		return
	}
	mv, _, _ := lookup(body, "members")
	targets, err := memberIDs(mv, nil)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ops, err := s.replaceMembers(r.Context(), group, p, defaultName(ps), targets)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.runGroupOps(r, p, ops); err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeGroup(w, r, r.PathValue("id"))
}

// runGroupOps makes the moves of a change of profile p in one transaction,
// once the request's If-Match has been held to the profile there.
func (s *Server) runGroupOps(r *http.Request, p *meibo.Profile, ops []service.ProvisionOp) error {
	if len(ops) == 0 && r.Header.Get("If-Match") == "" {
		return nil
	}
	res, err := s.svc.ProvisionProfile(r.Context(), r.PathValue("group"), p.ID, groupIfMatch(r), ops)
	if err != nil {
		return err
	}
	for _, x := range res {
		if x.Err != nil {
			// A member that is no user of the group is a bad value of
			// this group's change, not a group that is gone (404).
			if e := meibo.AsError(x.Err); e.Code == meibo.CodeNotFound && e.Msg.Key == "user.id.not_found" {
				return badRequest("invalidValue", "members: "+e.Msg.In(meibo.English))
			}
			return x.Err
		}
	}
	return nil
}

// handleGroupFixed refuses to create or delete a group: the groups are the
// profiles, made and deleted in the console.
func (s *Server) handleGroupFixed(w http.ResponseWriter, r *http.Request) {
	writeError(w, &scimError{status: http.StatusNotImplemented,
		detail: "groups are the group's profiles: they are made and deleted in meibo's console, and their members changed here"})
}
