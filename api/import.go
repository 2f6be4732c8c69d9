package api

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/csvio"
	"github.com/meibo/meibo/service"
)

func (s *Server) importRoutes() {
	m := s.mux
	m.Handle("POST /api/v1/imports", s.auth(s.handleImportCreate))
	m.Handle("GET /api/v1/imports", s.auth(s.handleImports))
	m.Handle("GET /api/v1/imports/template", s.auth(s.handleImportTemplate))
	m.Handle("GET /api/v1/imports/{id}", s.auth(s.handleImport))
	m.Handle("GET /api/v1/imports/{id}/errors.csv", s.auth(s.handleImportErrors))
	m.Handle("GET /api/v1/imports/{id}/file", s.auth(s.handleImportFile))
	m.Handle("POST /api/v1/imports/{id}/confirm", s.auth(s.handleImportConfirm))
	m.Handle("GET /api/v1/imports/{id}/changes", s.auth(s.handleImportChanges))
	m.Handle("GET /api/v1/exports/users", s.auth(s.handleExportUsers))
	m.Handle("GET /api/v1/exports/admins", s.auth(s.handleExportAdmins))
	m.Handle("GET /api/v1/exports/devices", s.auth(s.handleExportDevices))
}

// handleImportCreate takes a multipart upload: the file in field "file", and
// fields format (personal, users, admins or devices), group, encoding,
// updateExisting, dryRun, sendInvitations (for users files: true when
// absent, where invitations are the default).
// It answers 202 with the QUEUED job.
func (s *Server) handleImportCreate(w http.ResponseWriter, r *http.Request) {
	mr, err := r.MultipartReader()
	if err != nil {
		s.writeError(w, r, meibo.Errorf(meibo.CodeBadRequest, "bad_request", "send the file as multipart/form-data in a field named \"file\""))
		return
	}
	var req service.ImportRequest
	var data []byte
	var gotFile, invitesGiven bool
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			s.writeError(w, r, meibo.Errorf(meibo.CodeBadRequest, "bad_request", "the multipart body could not be read: "+err.Error()))
			return
		}
		if part.FormName() == "file" {
			gotFile = true
			req.FileName = part.FileName()
			data, err = io.ReadAll(io.LimitReader(part, s.max+1))
			if err != nil {
				s.writeError(w, r, meibo.Errorf(meibo.CodeBadRequest, "bad_request", "the upload was cut off: "+err.Error()))
				return
			}
			if int64(len(data)) > s.max {
				s.writeError(w, r, meibo.Errorf(meibo.CodeTooLarge, "too_large", service.FormatBytes(s.max)))
				return
			}
			continue
		}
		invitesGiven = invitesGiven || part.FormName() == "sendInvitations"
		if err := readField(part, &req); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	if !invitesGiven && req.Format == meibo.FormatUsers && s.svc.InvitationsByDefault() {
		req.SendInvitations = true
	}
	if !gotFile {
		s.writeError(w, r, meibo.FieldError("file", "required"))
		return
	}
	job, err := s.svc.SubmitImport(r.Context(), req, data)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/imports/"+strconv.FormatInt(job.ID, 10))
	writeJSON(w, http.StatusAccepted, job)
}

// readField reads one small form field of an import request.
func readField(part *multipart.Part, req *service.ImportRequest) error {
	b, err := io.ReadAll(io.LimitReader(part, 1024))
	if err != nil {
		return meibo.Errorf(meibo.CodeBadRequest, "bad_request", err.Error())
	}
	v := string(b)
	boolean := func(dst *bool) error {
		if v == "" || v == "on" {
			*dst = v == "on"
			return nil
		}
		x, err := strconv.ParseBool(v)
		if err != nil {
			return meibo.Errorf(meibo.CodeBadRequest, "bad_request", part.FormName()+" must be true or false")
		}
		*dst = x
		return nil
	}
	switch part.FormName() {
	case "format":
		req.Format = v
	case "group":
		req.GroupID = v
	case "encoding":
		req.Encoding = v
	case "updateExisting":
		return boolean(&req.UpdateExisting)
	case "dryRun":
		return boolean(&req.DryRun)
	case "sendInvitations":
		return boolean(&req.SendInvitations)
	case "allowWeakHashes":
		return boolean(&req.AllowWeakHashes)
	default:
		return meibo.Errorf(meibo.CodeBadRequest, "bad_request", fmt.Sprintf("unknown field %q", part.FormName()))
	}
	return nil
}

func (s *Server) handleImports(w http.ResponseWriter, r *http.Request) {
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
	jobs, err := s.svc.ImportJobs(r.Context(), meibo.ImportFilter{Limit: limit, BeforeID: int64(before)})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"imports": jobs})
}

func (s *Server) handleImport(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	job, err := s.svc.ImportJob(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	report, err := s.svc.Report(r.Context(), job, Lang(r))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, struct {
		*meibo.ImportJob
		Errors   []service.ReportMessage `json:"errors"`
		Warnings []service.ReportMessage `json:"warnings"`
	}{job, report.Errors, report.Warnings})
}

// download prepares the headers of a file download.
func download(w http.ResponseWriter, name, contentType string) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
}

func (s *Server) handleImportErrors(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	lang := Lang(r)
	if l := r.URL.Query().Get("lang"); l == "ja" || l == "en" {
		lang = meibo.Lang(l)
	}
	s.spool(w, r, fmt.Sprintf("import-%d-errors.csv", id), "text/csv; charset=utf-8", func(f io.Writer) error {
		return s.svc.WriteImportErrors(r.Context(), id, f, lang)
	})
}

func (s *Server) handleImportFile(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	job, data, err := s.svc.ImportFile(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	name := job.FileName
	if name == "" {
		name = fmt.Sprintf("import-%d.csv", id)
	}
	download(w, name, "application/octet-stream")
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.Write(data)
}

func exportEncoding(r *http.Request) (csvio.Encoding, bool, error) {
	q := r.URL.Query()
	var enc csvio.Encoding
	if v := q.Get("encoding"); v != "" {
		e, err := csvio.ParseEncoding(v)
		if err != nil || e == csvio.Auto {
			return "", false, meibo.Errorf(meibo.CodeBadRequest, "bad_request", "encoding must be utf-8 or cp932")
		}
		enc = e
	}
	bom, err := queryBool(r, "bom")
	if err != nil {
		return "", false, err
	}
	return enc, bom != nil && *bom, nil
}

func charset(enc csvio.Encoding) string {
	if enc == csvio.CP932 {
		return "text/csv; charset=Shift_JIS"
	}
	return "text/csv; charset=utf-8"
}

func (s *Server) handleExportUsers(w http.ResponseWriter, r *http.Request) {
	enc, bom, err := exportEncoding(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	group := r.URL.Query().Get("group")
	if group == "" {
		s.writeError(w, r, meibo.FieldError("group", "group.required"))
		return
	}
	if enc == "" {
		enc = csvio.UTF8
	}
	// The file is named after the group's ID as it is written.
	g, err := s.svc.Group(r.Context(), group)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.spool(w, r, s.exportName("users", g.ID), charset(enc), func(f io.Writer) error {
		_, err := s.svc.ExportUsers(r.Context(), group, f, enc, bom)
		return err
	})
}

// exportName names an export file as the console does:
// users-G001-20261205-1530.csv, the time in the configured zone.
func (s *Server) exportName(kind, group string) string {
	return csvio.ExportName(kind, group, time.Now().In(s.svc.Location()))
}

// handleExportDevices sends the enrolled devices of ?group= as
// devices-G001-20261205-1530.csv (name,serial,user), which imports back
// unchanged as format=devices.
func (s *Server) handleExportDevices(w http.ResponseWriter, r *http.Request) {
	enc, bom, err := exportEncoding(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	group := r.URL.Query().Get("group")
	if group == "" {
		s.writeError(w, r, meibo.FieldError("group", "group.required"))
		return
	}
	if enc == "" {
		enc = csvio.UTF8
	}
	// The file is named after the group's ID as it is written.
	g, err := s.svc.Group(r.Context(), group)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.spool(w, r, s.exportName("devices", g.ID), charset(enc), func(f io.Writer) error {
		_, err := s.svc.ExportDevices(r.Context(), group, f, enc, bom)
		return err
	})
}

func (s *Server) handleExportAdmins(w http.ResponseWriter, r *http.Request) {
	enc, bom, err := exportEncoding(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if enc == "" {
		st, err := s.svc.Settings(r.Context())
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		enc = csvio.Encoding(st.AdminCSVEncoding)
	}
	s.spool(w, r, s.exportName("admins", ""), charset(enc), func(f io.Writer) error {
		_, err := s.svc.ExportAdmins(r.Context(), f, enc, bom)
		return err
	})
}

// spool writes a download to a temporary file first and sends it only when
// it is whole, so that a failure (a character the encoding cannot hold)
// answers with an error instead of a truncated file.
func (s *Server) spool(w http.ResponseWriter, r *http.Request, name, contentType string, write func(io.Writer) error) {
	f, err := os.CreateTemp("", "meibo-download-*")
	if err != nil {
		s.writeError(w, r, fmt.Errorf("spool download: %w", err))
		return
	}
	defer os.Remove(f.Name())
	defer f.Close()
	if err := write(f); err != nil {
		s.writeError(w, r, err)
		return
	}
	size, err := f.Seek(0, io.SeekCurrent)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		s.writeError(w, r, err)
		return
	}
	download(w, name, contentType)
	w.Header().Set("Content-Length", strconv.FormatInt(size, 10))
	io.Copy(w, f)
}
