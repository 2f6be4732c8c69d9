package api

import (
	"io"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/meibo/meibo"
)

func (s *Server) backupRoutes() {
	m := s.mux
	m.Handle("POST /api/v1/backups", s.auth(s.handleBackup))
	m.Handle("POST /api/v1/restore", s.auth(s.handleRestore))
	m.Handle("GET /api/v1/backup-log", s.auth(s.handleBackupLog))
	m.Handle("GET /api/v1/backup-settings", s.auth(s.handleBackupSettings))
	m.Handle("PUT /api/v1/backup-settings", s.auth(s.handleBackupSettingsUpdate))
}

// handleBackup makes a backup and sends it as a file once it is complete
// (written to a temporary file first, so that a failure is an error answer
// rather than a cut file).
func (s *Server) handleBackup(w http.ResponseWriter, r *http.Request) {
	name := "meibo-" + time.Now().UTC().Format("20060102-150405") + ".mbk"
	f, err := os.CreateTemp("", "meibo-backup-*.mbk")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	defer os.Remove(f.Name())
	defer f.Close()
	info, err := s.svc.Backup(r.Context(), f, name)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/gzip")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Header().Set("Content-Length", strconv.FormatInt(info.Size, 10))
	w.Header().Set("X-Meibo-Rows", strconv.FormatInt(info.Rows, 10))
	w.WriteHeader(http.StatusOK)
	io.Copy(w, f) //nolint:errcheck // the client went away
}

// handleRestore replaces the installation with the backup file in the body.
// It needs ?replace=true, since it replaces everything and signs everyone
// out (the caller's token stays: API tokens are data of the backup). The
// body is taken in full before the restore begins.
func (s *Server) handleRestore(w http.ResponseWriter, r *http.Request) {
	if err := s.svc.CanBackup(r.Context()); err != nil {
		s.writeError(w, r, err)
		return
	}
	if r.URL.Query().Get("replace") != "true" {
		s.writeError(w, r, meibo.Errorf(meibo.CodeBadRequest, "backup.replace.confirm"))
		return
	}
	f, err := os.CreateTemp("", "meibo-restore-*.mbk")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	defer os.Remove(f.Name())
	defer f.Close()
	if _, err := io.Copy(f, r.Body); err != nil {
		s.writeError(w, r, meibo.Errorf(meibo.CodeBadRequest, "bad_request", "the upload was cut off: "+err.Error()))
		return
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		s.writeError(w, r, err)
		return
	}
	name := r.URL.Query().Get("name")
	if name == "" {
		name = "upload.mbk"
	}
	info, err := s.svc.Restore(r.Context(), f, name, true)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, info)
}

func (s *Server) handleBackupLog(w http.ResponseWriter, r *http.Request) {
	limit, err := queryInt(r, "limit")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	log, err := s.svc.BackupLog(r.Context(), limit)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"entries": log})
}

func (s *Server) handleBackupSettings(w http.ResponseWriter, r *http.Request) {
	st, err := s.svc.BackupSettings(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

func (s *Server) handleBackupSettingsUpdate(w http.ResponseWriter, r *http.Request) {
	var in meibo.BackupSettings
	if err := decode(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	st, err := s.svc.UpdateBackupSettings(r.Context(), in)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}
