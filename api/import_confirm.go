package api

import (
	"errors"
	"io"
	"net/http"
	"strconv"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/service"
)

// handleImportConfirm imports a successful dry run's file for real, as a
// new job with the dry run's options: 202 with the QUEUED job. When the
// file held passwords (not kept after the dry run), send it again as
// multipart field "file"; it must be the same file.
func (s *Server) handleImportConfirm(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var data []byte
	if mr, err := r.MultipartReader(); err == nil {
		for {
			part, err := mr.NextPart()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				s.writeError(w, r, meibo.Errorf(meibo.CodeBadRequest, "bad_request", "the multipart body could not be read: "+err.Error()))
				return
			}
			if part.FormName() != "file" {
				continue
			}
			if data, err = io.ReadAll(io.LimitReader(part, s.max+1)); err != nil {
				s.writeError(w, r, meibo.Errorf(meibo.CodeBadRequest, "bad_request", "the upload was cut off: "+err.Error()))
				return
			}
			if int64(len(data)) > s.max {
				s.writeError(w, r, meibo.Errorf(meibo.CodeTooLarge, "too_large", service.FormatBytes(s.max)))
				return
			}
		}
	}
	job, err := s.svc.ConfirmImport(r.Context(), id, data)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/imports/"+strconv.FormatInt(job.ID, 10))
	writeJSON(w, http.StatusAccepted, job)
}

// handleImportChanges lists what a job changed: ?after= (the seq of the
// last one read, 0 for the first), ?limit= (default 500).
func (s *Server) handleImportChanges(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	after, err := queryInt(r, "after")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	limit, err := queryInt(r, "limit")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if limit <= 0 || limit > 5000 {
		limit = 500
	}
	list, err := s.svc.ImportChanges(r.Context(), id, after, limit)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	type change struct {
		Seq int `json:"seq"`
		meibo.ImportChange
	}
	out := make([]change, len(list))
	for i, c := range list {
		out[i] = change{c.Seq, c}
	}
	writeJSON(w, http.StatusOK, map[string]any{"changes": out})
}
