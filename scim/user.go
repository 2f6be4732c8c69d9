package scim

import (
	"net/http"
	"strconv"
	"strings"

	filter "github.com/scim2/filter-parser/v2"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/service"
)

// listQuery is what a list or a search asks for.
type listQuery struct {
	Filter             string `json:"filter"`
	StartIndex         any    `json:"startIndex"`
	Count              any    `json:"count"`
	SortBy             string `json:"sortBy"`
	SortOrder          string `json:"sortOrder"`
	Attributes         any    `json:"attributes"`
	ExcludedAttributes any    `json:"excludedAttributes"`
}

func joinAttrs(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case []any:
		parts := make([]string, 0, len(x))
		for _, p := range x {
			if s, ok := p.(string); ok {
				parts = append(parts, s)
			}
		}
		return strings.Join(parts, ",")
	}
	return ""
}

func queryOf(r *http.Request) listQuery {
	q := r.URL.Query()
	lq := listQuery{Filter: q.Get("filter"), SortBy: q.Get("sortBy"), SortOrder: q.Get("sortOrder"),
		Attributes: q.Get("attributes"), ExcludedAttributes: q.Get("excludedAttributes")}
	if v := q.Get("startIndex"); v != "" {
		lq.StartIndex = v
	}
	if v := q.Get("count"); v != "" {
		lq.Count = v
	}
	return lq
}

func intParam(v any, name string, def int) (int, error) {
	switch x := v.(type) {
	case nil:
		return def, nil
	case string:
		n, err := strconv.Atoi(x)
		if err != nil {
			return 0, badRequest("invalidValue", name+" must be a whole number")
		}
		return n, nil
	}
	if n, ok := number(v); ok {
		return n, nil
	}
	return 0, badRequest("invalidValue", name+" must be a whole number")
}

func (s *Server) handleUsers(w http.ResponseWriter, r *http.Request) { s.list(w, r, queryOf(r)) }

func (s *Server) handleUserSearch(w http.ResponseWriter, r *http.Request) {
	var lq listQuery
	if err := decode(r, &lq); err != nil {
		s.fail(w, r, err)
		return
	}
	s.list(w, r, lq)
}

// list answers a list of users (RFC 7644 §3.4.2): filtered, sorted, paged
// from startIndex (1-based) by count (at most MaxResults).
func (s *Server) list(w http.ResponseWriter, r *http.Request, lq listQuery) {
	start, err := intParam(lq.StartIndex, "startIndex", 1)
	if err == nil {
		err = checkSortOrder(lq.SortOrder)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	count, err := intParam(lq.Count, "count", MaxResults)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	start, count = max(start, 1), min(max(count, 0), MaxResults)
	var e filter.Expression
	if lq.Filter != "" {
		if e, err = parseFilter(lq.Filter); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	// Sorted lists are read whole, then cut; the others keep only the page.
	win := window{skip: start - 1, limit: count, all: lq.SortBy != ""}
	page, total, err := s.listUsers(r.Context(), r.PathValue("group"), s.base(r), e, win)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if win.all {
		if err := sortResources(page, lq.SortBy, lq.SortOrder); err != nil {
			s.fail(w, r, err)
			return
		}
		if start <= len(page) {
			page = page[start-1 : min(start-1+count, len(page))]
		} else {
			page = nil
		}
	}
	attrs, excl := joinAttrs(lq.Attributes), joinAttrs(lq.ExcludedAttributes)
	out := make([]any, len(page))
	for i, res := range page {
		out[i] = project(res, attrs, excl)
	}
	writeJSON(w, http.StatusOK, map[string]any{"schemas": []string{SchemaList}, "totalResults": total, "startIndex": start,
		"itemsPerPage": len(out), "Resources": out})
}

// userID reads the ID of the path; anything but a number is no user.
func userID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, &scimError{status: http.StatusNotFound, detail: meibo.M("user.id.not_found", strconv.Quote(r.PathValue("id"))).In(meibo.English)}
	}
	return id, nil
}

// writeUser answers one user with its ETag, projected as asked.
func (s *Server) writeUser(w http.ResponseWriter, r *http.Request, status int, p *service.ProvisionedUser) {
	res := userResource(p, s.base(r))
	w.Header().Set("ETag", userVersion(p))
	if status == http.StatusCreated {
		w.Header().Set("Location", res["meta"].(map[string]any)["location"].(string))
	}
	q := r.URL.Query()
	writeJSON(w, status, project(res, q.Get("attributes"), q.Get("excludedAttributes")))
}

func (s *Server) handleUser(w http.ResponseWriter, r *http.Request) {
	id, err := userID(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p, err := s.svc.ProvisionedUser(r.Context(), r.PathValue("group"), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if inm := r.Header.Get("If-None-Match"); noneMatch(inm, userVersion(p)) {
		w.Header().Set("ETag", userVersion(p))
		w.WriteHeader(http.StatusNotModified)
		return
	}
	s.writeUser(w, r, http.StatusOK, p)
}

// checkIfMatch refuses a change of a user whose version is not the one
// the client names (If-Match; "*" matches any).
func checkIfMatch(ifMatch string, cur *service.ProvisionedUser) error {
	if ifMatch == "" || ifMatch == "*" {
		return nil
	}
	v := userVersion(cur)
	for _, m := range strings.Split(ifMatch, ",") {
		m = strings.TrimSpace(m)
		if m == v || "W/"+m == v {
			return nil
		}
	}
	return &scimError{status: http.StatusPreconditionFailed, detail: "the user has changed since version " + ifMatch}
}

// one runs a single provisioning change and answers its outcome.
func (s *Server) one(w http.ResponseWriter, r *http.Request, op service.ProvisionOp, status int) {
	res, err := s.svc.Provision(r.Context(), r.PathValue("group"), []service.ProvisionOp{op}, true, 0)
	if err == nil && len(res) == 1 {
		err = res[0].Err
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if op.Delete {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	s.writeUser(w, r, status, res[0].User)
}

// createOp is the change that creates the user of a resource.
func createOp(body map[string]any) service.ProvisionOp {
	return service.ProvisionOp{Apply: func(*service.ProvisionedUser) (*service.ProvisionState, error) {
		return stateFrom(normalize(body), service.ProvisionState{})
	}}
}

// replaceOp is the change that replaces a user with a resource (PUT).
func replaceOp(id int64, body map[string]any, ifMatch string) service.ProvisionOp {
	return service.ProvisionOp{UserID: id, Apply: func(cur *service.ProvisionedUser) (*service.ProvisionState, error) {
		if err := checkIfMatch(ifMatch, cur); err != nil {
			return nil, err
		}
		return stateFrom(normalize(body), service.StateOf(cur))
	}}
}

// patchUserOp is the change that patches a user.
func patchUserOp(id int64, pr *patchRequest, ifMatch, baseURL string) service.ProvisionOp {
	return service.ProvisionOp{UserID: id, Apply: func(cur *service.ProvisionedUser) (*service.ProvisionState, error) {
		if err := checkIfMatch(ifMatch, cur); err != nil {
			return nil, err
		}
		res := roundTrip(userResource(cur, baseURL))
		if err := applyPatch(res, pr.Operations); err != nil {
			return nil, err
		}
		return stateFrom(res, service.StateOf(cur))
	}}
}

func (s *Server) handleUserCreate(w http.ResponseWriter, r *http.Request) {
	var body map[string]any
	if err := decode(r, &body); err != nil {
		s.fail(w, r, err)
		return
	}
	s.one(w, r, createOp(body), http.StatusCreated)
}

func (s *Server) handleUserReplace(w http.ResponseWriter, r *http.Request) {
	id, err := userID(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var body map[string]any
	if err := decode(r, &body); err != nil {
		s.fail(w, r, err)
		return
	}
	s.one(w, r, replaceOp(id, body, r.Header.Get("If-Match")), http.StatusOK)
}

func (s *Server) handleUserPatch(w http.ResponseWriter, r *http.Request) {
	id, err := userID(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var pr patchRequest
	if err := decode(r, &pr); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := pr.validate(); err != nil {
		s.fail(w, r, err)
		return
	}
	s.one(w, r, patchUserOp(id, &pr, r.Header.Get("If-Match"), s.base(r)), http.StatusOK)
}

func (s *Server) handleUserDelete(w http.ResponseWriter, r *http.Request) {
	id, err := userID(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if im := r.Header.Get("If-Match"); im != "" {
		cur, err := s.svc.ProvisionedUser(r.Context(), r.PathValue("group"), id)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if err := checkIfMatch(im, cur); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	s.one(w, r, service.ProvisionOp{UserID: id, Delete: true}, http.StatusNoContent)
}
