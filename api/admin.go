package api

import (
	"net/http"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/service"
)

func (s *Server) handleAdmins(w http.ResponseWriter, r *http.Request) {
	admins, err := s.svc.Admins(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"admins": admins})
}

func (s *Server) handleAdminCreate(w http.ResponseWriter, r *http.Request) {
	var in service.AdminInput
	if err := decode(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	ad, err := s.svc.CreateAdmin(r.Context(), in)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, ad)
}

func (s *Server) handleAdmin(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	ad, err := s.svc.Admin(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, ad)
}

func (s *Server) handleAdminUpdate(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var in struct {
		meibo.AdminUpdate
		LoginID *string `json:"loginId"` // refused unless unchanged
	}
	if err := decode(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	if in.LoginID != nil {
		cur, err := s.svc.Admin(r.Context(), id)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		if *in.LoginID != cur.LoginID {
			s.writeError(w, r, meibo.FieldError("loginId", "admin.id.fixed"))
			return
		}
	}
	ad, err := s.svc.UpdateAdmin(r.Context(), id, in.AdminUpdate)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, ad)
}

func (s *Server) handleAdminDelete(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.svc.DeleteAdmin(r.Context(), id); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
