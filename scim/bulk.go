package scim

import (
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/meibo/meibo/service"
)

type bulkOp struct {
	Method  string         `json:"method"`
	BulkID  string         `json:"bulkId"`
	Version string         `json:"version"`
	Path    string         `json:"path"`
	Data    map[string]any `json:"data"`
}

type bulkRequest struct {
	Schemas      []string `json:"schemas"`
	FailOnErrors any      `json:"failOnErrors"`
	Operations   []bulkOp `json:"Operations"`
}

// handleBulk applies many operations (RFC 7644 §3.7). With failOnErrors 1
// they are made in one transaction: the first error undoes them all, like an
// import. Otherwise each is made alone and after failOnErrors errors (none:
// no limit) the rest are not tried. Operations may name users created
// earlier in the request as "bulkId:…", in paths and in members.
func (s *Server) handleBulk(w http.ResponseWriter, r *http.Request) {
	var br bulkRequest
	if err := decode(r, &br); err != nil {
		s.fail(w, r, err)
		return
	}
	if len(br.Operations) == 0 {
		s.fail(w, r, badRequest("invalidSyntax", "a bulk request needs Operations"))
		return
	}
	if len(br.Operations) > MaxOperations {
		s.fail(w, r, &scimError{status: http.StatusRequestEntityTooLarge,
			detail: "at most " + strconv.Itoa(MaxOperations) + " operations in one bulk request"})
		return
	}
	failOn, err := intParam(br.FailOnErrors, "failOnErrors", 0)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	group := r.PathValue("group")
	baseURL := s.base(r)
	ps, err := s.svc.Profiles(r.Context(), group)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	def := defaultName(ps)

	var mu sync.Mutex
	created := map[string]int64{}
	refs := func(id string) (int64, error) {
		mu.Lock()
		defer mu.Unlock()
		if uid, ok := created[id]; ok {
			return uid, nil
		}
		return 0, badRequest("invalidValue", "bulkId "+id+" names no user created before it")
	}

	// Each bulk operation becomes one or more provisioning changes; owner
	// maps a change back to its operation.
	var ops []service.ProvisionOp
	var owner []int
	answers := make([]map[string]any, len(br.Operations))
	for i, bo := range br.Operations {
		method := strings.ToUpper(bo.Method)
		answers[i] = map[string]any{"method": method}
		if bo.BulkID != "" {
			answers[i]["bulkId"] = bo.BulkID
		}
		add := func(op service.ProvisionOp) {
			ops = append(ops, op)
			owner = append(owner, i)
		}
		kind, rest, _ := strings.Cut(strings.TrimPrefix(bo.Path, "/"), "/")
		target := func() (int64, error) {
			if ref, ok := strings.CutPrefix(rest, "bulkId:"); ok {
				return refs(ref)
			}
			id, err := strconv.ParseInt(rest, 10, 64)
			if err != nil || id <= 0 {
				return 0, &scimError{status: http.StatusNotFound, detail: "no such user " + rest}
			}
			return id, nil
		}
		var opErr error
		switch {
		case kind == "Users" && rest == "" && method == http.MethodPost:
			op := createOp(bo.Data)
			if bo.BulkID != "" {
				bulkID := bo.BulkID
				op.Done = func(p *service.ProvisionedUser) {
					mu.Lock()
					created[bulkID] = p.User.ID
					mu.Unlock()
				}
			}
			add(op)
		case kind == "Users" && rest != "" && method == http.MethodPut:
			op := replaceOp(0, bo.Data, bo.Version)
			op.Target = target
			add(op)
		case kind == "Users" && rest != "" && method == http.MethodPatch:
			pr, err := patchOf(bo.Data)
			if err != nil {
				opErr = err
				break
			}
			op := patchUserOp(0, pr, bo.Version, baseURL)
			op.Target = target
			add(op)
		case kind == "Users" && rest != "" && method == http.MethodDelete:
			add(service.ProvisionOp{Target: target, Delete: true})
		case kind == "Groups" && rest != "" && method == http.MethodPatch:
			pr, err := patchOf(bo.Data)
			if err != nil {
				opErr = err
				break
			}
			p, err := s.profile(r.Context(), group, rest)
			if err != nil {
				opErr = err
				break
			}
			gops, err := s.groupPatchOps(r.Context(), group, p, def, pr, refs)
			if err != nil {
				opErr = err
				break
			}
			for _, op := range gops {
				add(op)
			}
		default:
			opErr = badRequest("invalidPath", "unsupported bulk operation "+method+" "+bo.Path)
		}
		if opErr != nil {
			// An operation that cannot be read fails the whole request
			// before anything is written.
			se, _ := toSCIMError(opErr)
			answers[i]["status"] = strconv.Itoa(se.status)
			answers[i]["response"] = se.body()
			writeJSON(w, http.StatusOK, map[string]any{"schemas": []string{SchemaBulkResp}, "Operations": answers[i : i+1]})
			return
		}
	}
	results, err := s.svc.Provision(r.Context(), group, ops, failOn == 1, failOn)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var out []map[string]any
	failed := map[int]bool{}
	done := map[int]bool{}
	for k, res := range results {
		i := owner[k]
		done[i] = true
		if res.Err != nil {
			failed[i] = true
			se, known := toSCIMError(res.Err)
			if !known {
				s.log.Error("SCIM bulk operation failed", "err", res.Err)
			}
			answers[i]["status"] = strconv.Itoa(se.status)
			answers[i]["response"] = se.body()
			continue
		}
		if failed[i] {
			continue
		}
		if res.User != nil {
			id := strconv.FormatInt(res.User.User.ID, 10)
			answers[i]["location"] = baseURL + "/Users/" + id
			answers[i]["version"] = userVersion(res.User)
		} else if kind, rest, _ := strings.Cut(strings.TrimPrefix(br.Operations[i].Path, "/"), "/"); kind == "Users" {
			answers[i]["location"] = baseURL + "/Users/" + rest
		}
		switch answers[i]["method"] {
		case http.MethodPost:
			answers[i]["status"] = "201"
		case http.MethodDelete:
			answers[i]["status"] = "204"
		default:
			answers[i]["status"] = "200"
		}
		if kind, rest, _ := strings.Cut(strings.TrimPrefix(br.Operations[i].Path, "/"), "/"); kind == "Groups" {
			answers[i]["location"] = baseURL + "/Groups/" + rest
		}
	}
	atomicFailed := failOn == 1 && len(failed) > 0
	for i := range br.Operations {
		if !done[i] {
			// A group change without moves is done at once.
			if _, isGroup := strings.CutPrefix(br.Operations[i].Path, "/Groups/"); isGroup && !atomicFailed {
				answers[i]["status"] = "200"
				out = append(out, answers[i])
			}
			continue
		}
		if atomicFailed && !failed[i] {
			// Undone with the rest: not reported as made.
			continue
		}
		out = append(out, answers[i])
	}
	writeJSON(w, http.StatusOK, map[string]any{"schemas": []string{SchemaBulkResp}, "Operations": out})
}

func patchOf(data map[string]any) (*patchRequest, error) {
	pr := &patchRequest{}
	ops, _, _ := lookup(data, "Operations")
	list, ok := ops.([]any)
	if !ok {
		return nil, badRequest("invalidSyntax", "a PATCH needs Operations")
	}
	for _, o := range list {
		m, ok := o.(map[string]any)
		if !ok {
			return nil, badRequest("invalidSyntax", "each operation must be an object")
		}
		op, _ := str(m, "op")
		path, _ := str(m, "path")
		v, _, _ := lookup(m, "value")
		pr.Operations = append(pr.Operations, patchOp{Op: op, Path: path, Value: v})
	}
	return pr, pr.validate()
}
