package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/service"
)

// The device protocol (/device/v1) and the administrators' device API.
//
//	POST /device/v1/enrol                      {token, name, platform, model, osVersion, serial} → 201 {deviceId, secret, ...}
//	POST /device/v1/checkin?wait=25            status → {commands: [...]}; waits up to wait seconds (at most 30) for a command
//	POST /device/v1/commands/{id}/result       {status: done|failed, result, locked, location}
//
// GET /api/v1/device-polls answers how many long polls wait on this server
// ({waiting: n}), for monitoring.
//
// A device authenticates with "Authorization: Bearer <secret>" (the secret of
// its enrolment); a revoked device gets 401.
func (s *Server) deviceRoutes() {
	m := s.mux
	m.HandleFunc("POST /device/v1/enrol", s.handleEnrol)
	m.Handle("POST /device/v1/checkin", s.deviceAuth(s.handleCheckIn))
	m.Handle("POST /device/v1/commands/{id}/result", s.deviceAuth(s.handleResult))

	m.Handle("GET /api/v1/device-polls", s.auth(s.handleDevicePolls))
	m.Handle("GET /api/v1/groups/{group}/devices", s.auth(s.handleDevices))
	m.Handle("GET /api/v1/devices/{id}", s.auth(s.handleDevice))
	m.Handle("PATCH /api/v1/devices/{id}", s.auth(s.handleDeviceUpdate))
	m.Handle("POST /api/v1/devices/{id}/revoke", s.auth(s.handleDeviceRevoke))
	m.Handle("GET /api/v1/devices/{id}/commands", s.auth(s.handleDeviceCommands))
	m.Handle("POST /api/v1/devices/{id}/commands", s.auth(s.handleDeviceCommand))
	m.Handle("POST /api/v1/commands/{id}/cancel", s.auth(s.handleCommandCancel))
	m.Handle("GET /api/v1/groups/{group}/enrolment-tokens", s.auth(s.handleEnrolTokens))
	m.Handle("POST /api/v1/groups/{group}/enrolment-tokens", s.auth(s.handleEnrolTokenCreate))
	m.Handle("DELETE /api/v1/groups/{group}/enrolment-tokens/{id}", s.auth(s.handleEnrolTokenDelete))
}

type deviceHandler func(w http.ResponseWriter, r *http.Request, d *meibo.Device)

// deviceAuth authenticates a device by its secret.
func (s *Server) deviceAuth(h deviceHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		secret, _ := bearer(r)
		d, err := s.svc.AuthenticateDevice(r.Context(), secret)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		h(w, r, d)
	})
}

func (s *Server) handleEnrol(w http.ResponseWriter, r *http.Request) {
	var in service.EnrolInfo
	if err := decode(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	secret, d, err := s.svc.Enrol(r.Context(), in, ClientAddr(r))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"deviceId": d.ID, "secret": secret, "group": d.GroupID, "name": d.Name, "user": d.UserName})
}

// deviceCommand is a command as a device receives it.
type deviceCommand struct {
	ID        int64        `json:"id"`
	Action    meibo.Action `json:"action"`
	Message   string       `json:"message,omitempty"`
	CreatedAt time.Time    `json:"createdAt"`
}

func (s *Server) handleCheckIn(w http.ResponseWriter, r *http.Request, d *meibo.Device) {
	var st meibo.DeviceStatus
	if r.ContentLength != 0 {
		if err := decode(r, &st); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	wait, err := queryInt(r, "wait")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	ignored := s.svc.DeviceStatusIgnored(st)
	cmds, err := s.svc.CheckIn(r.Context(), d, st, time.Duration(wait)*time.Second)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := make([]deviceCommand, 0, len(cmds))
	for _, c := range cmds {
		out = append(out, deviceCommand{ID: c.ID, Action: c.Action, Message: c.Message, CreatedAt: c.CreatedAt})
	}
	answer := map[string]any{"commands": out}
	if ignored != nil {
		answer["ignored"] = ignoredFields(r, ignored)
	}
	writeJSON(w, http.StatusOK, answer)
}

// ignoredFields is what the device is told of the values out of range that
// were left out: each field with what it allows, in the request's language.
func ignoredFields(r *http.Request, ignored *meibo.Error) map[string]string {
	lang := Lang(r)
	fields := map[string]string{}
	for f, m := range ignored.Fields {
		fields[f] = m.In(lang)
	}
	return fields
}

func (s *Server) handleResult(w http.ResponseWriter, r *http.Request, d *meibo.Device) {
	id, err := pathID(r, "id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var in service.CommandResult
	if err := decode(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	ignored := s.svc.DeviceStatusIgnored(meibo.DeviceStatus{Location: in.Location})
	c, err := s.svc.ReportResult(r.Context(), d, id, in)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	answer := map[string]any{"id": c.ID, "status": c.Status}
	if ignored != nil {
		answer["ignored"] = ignoredFields(r, ignored)
	}
	writeJSON(w, http.StatusOK, answer)
}

func (s *Server) handleDevicePolls(w http.ResponseWriter, r *http.Request) {
	n, err := s.svc.LongPolls(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]int{"waiting": n})
}

func (s *Server) handleDevices(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := meibo.DeviceFilter{GroupID: r.PathValue("group"), Keyword: q.Get("q"), IncludeRevoked: q.Get("revoked") == "true", AfterName: q.Get("afterName")}
	if v := q.Get("afterId"); v != "" {
		f.AfterID, _ = strconv.ParseInt(v, 10, 64)
	}
	limit, err := queryInt(r, "limit")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	f.Limit = limit
	ds, err := s.svc.Devices(r.Context(), f)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"devices": ds})
}

func (s *Server) handleDevice(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	d, err := s.svc.Device(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, d)
}

func (s *Server) handleDeviceUpdate(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var up service.DeviceUpdate
	if err := decode(r, &up); err != nil {
		s.writeError(w, r, err)
		return
	}
	d, err := s.svc.UpdateDevice(r.Context(), id, up)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, d)
}

func (s *Server) handleDeviceRevoke(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.svc.RevokeDevice(r.Context(), id); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) handleDeviceCommands(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	before, err := queryInt(r, "before")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	cmds, err := s.svc.DeviceCommands(r.Context(), id, int64(before))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"commands": cmds})
}

func (s *Server) handleDeviceCommand(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var in struct {
		Action  meibo.Action `json:"action"`
		Message string       `json:"message"`
	}
	if err := decode(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	c, err := s.svc.SendAdminCommand(r.Context(), id, in.Action, in.Message)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, c)
}

func (s *Server) handleCommandCancel(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	c, err := s.svc.CancelCommand(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}

func (s *Server) handleEnrolTokens(w http.ResponseWriter, r *http.Request) {
	ks, err := s.svc.EnrolmentTokens(r.Context(), r.PathValue("group"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"tokens": ks})
}

func (s *Server) handleEnrolTokenCreate(w http.ResponseWriter, r *http.Request) {
	var in struct {
		User string `json:"user"`
		TTL  string `json:"ttl"` // a Go duration, e.g. "72h"; default 7 days
	}
	if r.ContentLength != 0 {
		if err := decode(r, &in); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	var ttl time.Duration
	if in.TTL != "" {
		d, err := time.ParseDuration(in.TTL)
		if err != nil || d <= 0 {
			s.writeError(w, r, meibo.Errorf(meibo.CodeBadRequest, "bad_request", "ttl must be a duration such as 72h"))
			return
		}
		ttl = d
	}
	secret, k, err := s.svc.CreateEnrolmentToken(r.Context(), r.PathValue("group"), in.User, ttl)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"token": secret, "id": k.ID, "group": k.GroupID, "expiresAt": k.ExpiresAt})
}

func (s *Server) handleEnrolTokenDelete(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.svc.DeleteEnrolmentToken(r.Context(), r.PathValue("group"), id); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
