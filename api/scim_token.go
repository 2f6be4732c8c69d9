package api

import (
	"net/http"
	"time"

	"github.com/meibo/meibo"
)

func (s *Server) scimTokenRoutes() {
	m := s.mux
	m.Handle("GET /api/v1/groups/{group}/scim-tokens", s.auth(s.handleSCIMTokens))
	m.Handle("POST /api/v1/groups/{group}/scim-tokens", s.auth(s.handleSCIMTokenCreate))
	m.Handle("DELETE /api/v1/groups/{group}/scim-tokens/{id}", s.auth(s.handleSCIMTokenRevoke))
}

func (s *Server) handleSCIMTokens(w http.ResponseWriter, r *http.Request) {
	ks, err := s.svc.SCIMTokens(r.Context(), r.PathValue("group"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if ks == nil {
		ks = []*meibo.SCIMToken{} // none: an empty list, as the document says
	}
	writeJSON(w, http.StatusOK, map[string]any{"tokens": ks})
}

// handleSCIMTokenCreate makes a SCIM token: {"name": "...", "ttlHours": N}.
// The answer holds the secret, shown only this once, and the endpoint URL.
func (s *Server) handleSCIMTokenCreate(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Name     string `json:"name"`
		TTLHours int    `json:"ttlHours"`
	}
	if err := decode(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	secret, k, err := s.svc.CreateSCIMToken(r.Context(), r.PathValue("group"), in.Name, time.Duration(in.TTLHours)*time.Hour)
	if err != nil {
		s.writeError(w, r, renameField(err, "ttl", "ttlHours"))
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"token": secret, "scimToken": k, "path": "/scim/v2/" + k.GroupID})
}

func (s *Server) handleSCIMTokenRevoke(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.svc.RevokeSCIMToken(r.Context(), r.PathValue("group"), id); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
