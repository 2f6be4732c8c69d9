package api

import (
	"net/http"
)

// handlePasswordLink issues a password link of a user to the administrator
// asking, when no SMTP server is configured: shown in this answer only.
func (s *Server) handlePasswordLink(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var in struct {
		Kind string `json:"kind"` // invitation or reset
	}
	if err := decode(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	link, err := s.svc.IssuePasswordLink(r.Context(), id, in.Kind)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, link)
}
