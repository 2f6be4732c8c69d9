package api

import (
	"net/http"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/service"
)

// The personal API: what the personal portal does for one user, for their
// scripts, with a personal token (made in the portal by a user with API
// access). It sees what the portal sees: anything else is not found.
func (s *Server) personalRoutes() {
	m := s.mux
	m.Handle("GET /api/v1/my/devices", s.personal(s.handleMyDevices))
	m.Handle("GET /api/v1/my/devices/{id}", s.personal(s.handleMyDevice))
	m.Handle("POST /api/v1/my/devices/{id}/commands", s.personal(s.handleMyCommand))
	m.Handle("GET /api/v1/my/commands/{id}", s.personal(s.handleMyCommandStatus))
	m.Handle("POST /api/v1/my/commands/{id}/cancel", s.personal(s.handleMyCommandCancel))
	m.Handle("PUT /api/v1/my/password", s.personal(s.handleMyPortalPassword))
}

// personal authenticates a personal token and puts its user in the context.
func (s *Server) personal(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, ok := bearer(r)
		if !ok {
			s.writeError(w, r, meibo.Errorf(meibo.CodeUnauthorized, "unauthorized"))
			return
		}
		act, err := s.svc.AuthenticatePersonal(r.Context(), token, ClientAddr(r))
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		h(w, r.WithContext(meibo.WithActor(r.Context(), act)))
	})
}

func (s *Server) handleMyDevices(w http.ResponseWriter, r *http.Request) {
	v, err := s.svc.MyDevices(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"devices": v.Devices, "allowedActions": v.Profile.Actions})
}

func (s *Server) handleMyDevice(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	d, cmds, err := s.svc.MyDevice(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"device": d, "commands": cmds})
}

func (s *Server) handleMyCommand(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var in service.PortalCommand
	if err := decode(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	c, err := s.svc.SendCommand(r.Context(), id, in)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, c)
}

func (s *Server) handleMyCommandStatus(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	c, err := s.svc.MyCommand(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}

// handleMyCommandCancel cancels a command still waiting for the device, as
// the portal's Cancel does: 409 once the device has taken it.
func (s *Server) handleMyCommandCancel(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	c, err := s.svc.CancelCommand(r.Context(), id) // another's: not found
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}

func (s *Server) handleMyPortalPassword(w http.ResponseWriter, r *http.Request) {
	s.changeOwnPassword(w, r, s.svc.ChangePortalPassword)
}
