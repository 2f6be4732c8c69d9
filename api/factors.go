package api

import (
	"net/http"

	"github.com/meibo/meibo"
)

// Administrators' second factors: what one has set up, the emergency reset
// by a manager of administrators, and the policy.
func (s *Server) factorRoutes() {
	m := s.mux
	m.Handle("GET /api/v1/admins/{id}/factors", s.auth(s.handleAdminFactors))
	m.Handle("POST /api/v1/admins/{id}/reset-mfa", s.auth(s.handleResetFactors))
	m.Handle("GET /api/v1/mfa-policy", s.auth(s.handleMFAPolicy))
	m.Handle("PUT /api/v1/mfa-policy", s.auth(s.handleMFAPolicyPut))
}

func (s *Server) handleAdminFactors(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	f, sessions, err := s.svc.AdminFactors(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	type session struct {
		Methods    string `json:"methods"`
		Complete   bool   `json:"complete"`
		Addr       string `json:"addr"`
		CreatedAt  any    `json:"createdAt"`
		LastSeenAt any    `json:"lastSeenAt"`
	}
	out := []session{}
	for _, se := range sessions {
		out = append(out, session{Methods: se.Methods, Complete: se.Stage == meibo.StageComplete, Addr: se.Addr, CreatedAt: se.CreatedAt,
			LastSeenAt: se.LastSeenAt})
	}
	writeJSON(w, http.StatusOK, map[string]any{"factors": f, "sessions": out})
}

func (s *Server) handleResetFactors(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.svc.ResetFactors(r.Context(), id); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) handleMFAPolicy(w http.ResponseWriter, r *http.Request) {
	p, err := s.svc.MFAPolicy(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, p)
}

func (s *Server) handleMFAPolicyPut(w http.ResponseWriter, r *http.Request) {
	var p meibo.MFAPolicy
	if err := decode(r, &p); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.svc.SetMFAPolicy(r.Context(), p); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, p)
}
