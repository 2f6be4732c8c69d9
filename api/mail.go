package api

import (
	"net/http"

	"github.com/meibo/meibo"
)

func (s *Server) mailRoutes() {
	s.mux.Handle("GET /api/v1/mail", s.auth(s.handleMails))
	s.mux.Handle("GET /api/v1/mail/{id}", s.auth(s.handleMail))
	s.mux.Handle("POST /api/v1/users/{id}/invitation", s.auth(s.handleInvitation))
	s.mux.Handle("POST /api/v1/users/{id}/password-reset", s.auth(s.handlePasswordReset))
	s.mux.Handle("POST /api/v1/users/{id}/password-link", s.auth(s.handlePasswordLink))
}

func (s *Server) handleMails(w http.ResponseWriter, r *http.Request) {
	f := meibo.MailFilter{Status: meibo.MailStatus(r.URL.Query().Get("status"))}
	switch f.Status {
	case "", meibo.MailPending, meibo.MailSent, meibo.MailFailed:
	default:
		s.writeError(w, r, meibo.Errorf(meibo.CodeBadRequest, "bad_request", "status must be pending, sent or failed"))
		return
	}
	limit, err := queryInt(r, "limit")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	before, err := queryInt(r, "before")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	f.Limit, f.BeforeID = limit, int64(before)
	msgs, err := s.svc.Mails(r.Context(), f)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"mail": msgs})
}

func (s *Server) handleMail(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	m, err := s.svc.Mail(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, m)
}

// handleInvitation sends the user a new invitation (revoking older links).
func (s *Server) handleInvitation(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.svc.ResendInvitation(r.Context(), id); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"queued": true})
}

// handlePasswordReset mails the user a link to choose a new password
// (revoking older links).
func (s *Server) handlePasswordReset(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.svc.SendPasswordReset(r.Context(), id); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"queued": true})
}
