package api

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/meibo/meibo/service"
)

func (s *Server) bulkRoutes() {
	s.mux.Handle("POST /api/v1/groups/{group}/users/bulk", s.auth(s.bulkHandler("users.")))
	s.mux.Handle("POST /api/v1/groups/{group}/devices/bulk", s.auth(s.bulkHandler("devices.")))
}

// bulkHandler takes a bulk action on the users (or devices) of a group:
// {"action", "filter": {...} or "ids": [...], "profile", "command",
// "message", "deleteProfile", "deleteGroup", "confirm", "dryRun"}. The
// action is named with or without its kind ("disable" or "users.disable").
// It answers 202 with the QUEUED job, which GET /api/v1/imports/{id}
// follows like an import.
func (s *Server) bulkHandler(kind string) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		var req service.BulkRequest
		if err := decode(r, &req); err != nil {
			s.writeError(w, r, err)
			return
		}
		if !strings.HasPrefix(req.Action, kind) {
			// "disable" means "users.disable" here; an action of the other
			// kind becomes an unknown one ("users.devices.revoke").
			req.Action = kind + req.Action
		}
		req.GroupID = r.PathValue("group")
		job, err := s.svc.SubmitBulk(r.Context(), req)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		w.Header().Set("Location", "/api/v1/imports/"+strconv.FormatInt(job.ID, 10))
		writeJSON(w, http.StatusAccepted, job)
	}
}
