package api

import (
	"context"
	"io"
	"maps"
	"net/http"
	"time"

	"github.com/meibo/meibo"
)

func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	var in struct {
		LoginID  string `json:"loginId"`
		Password string `json:"password"`
		// Code is an authenticator or recovery code, required of an
		// administrator who has a second factor or must have one.
		Code string `json:"code"`
	}
	if err := decode(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	token, ad, err := s.svc.LoginFactor(r.Context(), in.LoginID, in.Password, in.Code, ClientAddr(r))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"token": token, "admin": ad})
}

func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) {
	token, _ := bearer(r)
	if err := s.svc.Logout(r.Context(), token); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) handleMe(w http.ResponseWriter, r *http.Request) {
	a := meibo.ActorFrom(r.Context())
	ad, err := s.svc.Admin(r.Context(), a.ID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, ad)
}

func (s *Server) handleMyPassword(w http.ResponseWriter, r *http.Request) {
	s.changeOwnPassword(w, r, s.svc.ChangeOwnPassword)
}

// changeOwnPassword reads {"currentPassword","newPassword"} and changes the
// signed-in person's own password with change: 204, or the error.
func (s *Server) changeOwnPassword(w http.ResponseWriter, r *http.Request, change func(ctx context.Context, current, next string) error) {
	var in struct {
		CurrentPassword string `json:"currentPassword"`
		NewPassword     string `json:"newPassword"`
	}
	if err := decode(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := change(r.Context(), in.CurrentPassword, in.NewPassword); err != nil {
		s.writeError(w, r, renameField(err, "password", "newPassword"))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// renameField names a field of err as the request named it (the service
// speaks of "password" where the body said "newPassword").
func renameField(err error, from, to string) error {
	e := meibo.AsError(err)
	m, ok := e.Fields[from]
	if !ok {
		return err
	}
	renamed := *e
	renamed.Fields = maps.Clone(e.Fields)
	delete(renamed.Fields, from)
	renamed.Fields[to] = m
	return &renamed
}

func (s *Server) handleSettings(w http.ResponseWriter, r *http.Request) {
	st, err := s.svc.Settings(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

func (s *Server) handleSettingsUpdate(w http.ResponseWriter, r *http.Request) {
	var in struct {
		LicenceLimit     *int    `json:"licenceLimit"`
		AdminCSVEncoding *string `json:"adminCsvEncoding"`
		MailLanguage     *string `json:"mailLanguage"`
	}
	if err := decode(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	values := map[string]string{}
	if in.LicenceLimit != nil {
		values[meibo.SettingLicenceLimit] = itoa(*in.LicenceLimit)
	}
	if in.AdminCSVEncoding != nil {
		values[meibo.SettingAdminCSVEncoding] = *in.AdminCSVEncoding
	}
	if in.MailLanguage != nil {
		values[meibo.SettingMailLanguage] = *in.MailLanguage
	}
	st, err := s.svc.UpdateSettings(r.Context(), values)
	if err != nil {
		s.writeError(w, r, renameFields(err, map[string]string{meibo.SettingLicenceLimit: "licenceLimit", meibo.SettingAdminCSVEncoding: "adminCsvEncoding",
			meibo.SettingMailLanguage: "mailLanguage"}))
		return
	}
	writeJSON(w, http.StatusOK, st)
}

// renameFields maps the field names of an invalid-value error to the names
// of the JSON API.
func renameFields(err error, names map[string]string) error {
	e := meibo.AsError(err)
	if e.Code != meibo.CodeInvalid || len(e.Fields) == 0 {
		return err
	}
	out := &meibo.Error{Code: e.Code, Msg: e.Msg, Fields: map[string]meibo.Msg{}}
	for f, m := range e.Fields {
		if n, ok := names[f]; ok {
			f = n
		}
		out.Fields[f] = m
	}
	return out
}

func (s *Server) handleLicence(w http.ResponseWriter, r *http.Request) {
	l, err := s.svc.Licence(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, l)
}

func (s *Server) handleUnifiedUsers(w http.ResponseWriter, r *http.Request) {
	limit, err := queryInt(r, "limit")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	q := r.URL.Query()
	after := meibo.UnifiedKey{Name: q.Get("afterName"), EmailKey: q.Get("afterKey")}
	users, err := s.svc.UnifiedUsers(r.Context(), after, limit)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	body := map[string]any{"users": users}
	if n := len(users); n > 0 {
		// A next page only when there is one: a full page is followed by
		// a look for one more.
		last := users[n-1].Key
		more, err := s.svc.UnifiedUsers(r.Context(), last, 1)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		if len(more) > 0 {
			body["next"] = map[string]string{"afterName": last.Name, "afterKey": last.EmailKey}
		}
	}
	writeJSON(w, http.StatusOK, body)
}

// auditFilter reads the audit log's filter from the query.
func auditFilter(r *http.Request) (meibo.AuditFilter, error) {
	q := r.URL.Query()
	f := meibo.AuditFilter{Actor: q.Get("actor"), Action: q.Get("action"), ObjectKind: q.Get("objectKind"), ObjectID: q.Get("objectId")}
	for _, p := range []struct {
		name string
		dst  **time.Time
	}{{"since", &f.Since}, {"until", &f.Until}} {
		if v := q.Get(p.name); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				return f, meibo.Errorf(meibo.CodeBadRequest, "bad_request", p.name+" must be an RFC 3339 time such as 2026-01-31T09:00:00+09:00")
			}
			*p.dst = &t
		}
	}
	return f, nil
}

// handleAuditCSV writes every event the filter selects as the console's
// CSV file (Log Viewer with "save CSV file", 22).
func (s *Server) handleAuditCSV(w http.ResponseWriter, r *http.Request) {
	f, err := auditFilter(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	name := "audit-" + time.Now().UTC().Format("20060102-150405") + ".csv"
	s.spool(w, r, name, "text/csv; charset=utf-8", func(out io.Writer) error {
		_, err := s.svc.WriteAuditCSV(r.Context(), f, out, time.UTC, true)
		return err
	})
}

func (s *Server) handleAudit(w http.ResponseWriter, r *http.Request) {
	f, err := auditFilter(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	before, err := queryInt(r, "before")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	limit, err := queryInt(r, "limit")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	f.BeforeID, f.Limit = int64(before), limit
	events, err := s.svc.AuditEvents(r.Context(), f)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"events": events})
}
