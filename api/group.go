package api

import (
	"net/http"
	"strconv"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/service"
)

func itoa(n int) string { return strconv.Itoa(n) }

func (s *Server) handleGroups(w http.ResponseWriter, r *http.Request) {
	groups, err := s.svc.Groups(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"groups": groups})
}

func (s *Server) handleGroupCreate(w http.ResponseWriter, r *http.Request) {
	var in struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	}
	if err := decode(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	g, err := s.svc.CreateGroup(r.Context(), meibo.Group{ID: in.ID, Name: in.Name})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, g)
}

func (s *Server) handleGroup(w http.ResponseWriter, r *http.Request) {
	g, err := s.svc.Group(r.Context(), r.PathValue("group"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, g)
}

func (s *Server) handleGroupUpdate(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Name *string `json:"name"`
	}
	if err := decode(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	if in.Name == nil {
		s.handleGroup(w, r)
		return
	}
	g, err := s.svc.UpdateGroup(r.Context(), r.PathValue("group"), *in.Name)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, g)
}

func (s *Server) handleGroupDelete(w http.ResponseWriter, r *http.Request) {
	if err := s.svc.DeleteGroup(r.Context(), r.PathValue("group")); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) handleProfiles(w http.ResponseWriter, r *http.Request) {
	ps, err := s.svc.Profiles(r.Context(), r.PathValue("group"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"profiles": ps})
}

func (s *Server) handleProfileCreate(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Name      string          `json:"name"`
		Actions   *[]meibo.Action `json:"actions"`
		APIAccess bool            `json:"apiAccess"`
	}
	if err := decode(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	p := meibo.Profile{Name: in.Name, APIAccess: in.APIAccess, Actions: meibo.AllActions}
	if in.Actions != nil {
		p.Actions = *in.Actions
	}
	created, err := s.svc.CreateProfile(r.Context(), r.PathValue("group"), p)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, created)
}

func (s *Server) handleProfileUpdate(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var up service.ProfileUpdate
	if err := decode(r, &up); err != nil {
		s.writeError(w, r, err)
		return
	}
	p, err := s.svc.UpdateProfile(r.Context(), id, up)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, p)
}

func (s *Server) handleProfileDelete(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.svc.DeleteProfile(r.Context(), id); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
