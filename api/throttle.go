package api

import (
	"net/http"

	"github.com/meibo/meibo/service"
)

// The emergency procedure (sign-in): sign-in counters, lifting them, and
// ending every session and token of an account.
func (s *Server) throttleRoutes() {
	m := s.mux
	m.Handle("GET /api/v1/throttles", s.auth(s.handleThrottles))
	m.Handle("POST /api/v1/throttles/lift", s.auth(s.handleThrottleLift))
	m.Handle("POST /api/v1/users/{id}/end-sessions", s.auth(s.handleEndSessions("user")))
	m.Handle("POST /api/v1/admins/{id}/end-sessions", s.auth(s.handleEndSessions("admin")))
}

func (s *Server) handleThrottles(w http.ResponseWriter, r *http.Request) {
	list, err := s.svc.Throttles(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if list == nil {
		list = []service.ThrottleEntry{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"throttles": list})
}

func (s *Server) handleThrottleLift(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Key string `json:"key"`
	}
	if err := decode(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	e, err := s.svc.LiftThrottle(r.Context(), in.Key)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"lifted": e})
}

func (s *Server) handleEndSessions(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r, "id")
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		acc, err := s.svc.EndSessions(r.Context(), service.Account{Kind: kind, ID: id})
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"ended": acc})
	}
}
