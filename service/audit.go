package service

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"strconv"
	"time"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/csvio"
)

// AuditEvents lists audit events for Log Viewer holders. What they see depends
// on their sub-authorities: configuration changes need 23, backup events 25,
// mail events 24; department administrators see only their groups' events.
func (s *Service) AuditEvents(ctx context.Context, f meibo.AuditFilter) ([]*meibo.AuditEvent, error) {
	a, err := require(ctx, meibo.AuthLogViewer)
	if err != nil {
		return nil, err
	}
	visible := auditCategories(a)
	if f.Categories == nil {
		f.Categories = visible
	} else {
		var keep []string
		for _, c := range f.Categories {
			for _, v := range visible {
				if c == v {
					keep = append(keep, c)
				}
			}
		}
		f.Categories = append([]string{}, keep...)
	}
	if scope := a.Scope(); scope != nil {
		f.GroupIDs = scope
	}
	var out []*meibo.AuditEvent
	err = s.store.View(ctx, func(tx meibo.Tx) error {
		out, err = tx.AuditEvents(ctx, f)
		return err
	})
	return out, err
}

// auditCategories are the categories actor a may read.
func auditCategories(a *meibo.Actor) []string {
	cats := []string{meibo.CategoryUser, meibo.CategorySignIn, meibo.CategoryDevice}
	if a.Has(meibo.AuthLogConfig) {
		cats = append(cats, meibo.CategoryConfig)
	}
	if a.Has(meibo.AuthLogMail) {
		cats = append(cats, meibo.CategoryMail)
	}
	if a.Has(meibo.AuthLogBackup) {
		cats = append(cats, meibo.CategoryBackup)
	}
	return cats
}

// auditExportPage is how many events ExportAudit reads at a time (the most
// the store answers at once).
const auditExportPage = 1000

// ExportAudit calls fn with every event that f selects and the actor may
// read (as AuditEvents decides), newest first, for a CSV file of the log. It
// needs Log Viewer with "save CSV file" (22); f.BeforeID and f.Limit are
// ignored: the whole selection is read, a page at a time. The export is
// recorded, with its filter and the number of events.
func (s *Service) ExportAudit(ctx context.Context, f meibo.AuditFilter, fn func(*meibo.AuditEvent) error) (int, error) {
	if _, err := require(ctx, meibo.AuthLogViewer, meibo.AuthLogSaveCSV); err != nil {
		return 0, err
	}
	f.BeforeID, f.Limit = 0, auditExportPage
	n := 0
	for {
		page, err := s.AuditEvents(ctx, f)
		if err != nil {
			return n, err
		}
		for _, e := range page {
			if err := fn(e); err != nil {
				return n, err
			}
			n++
		}
		if len(page) < f.Limit {
			break
		}
		f.BeforeID = page[len(page)-1].ID
	}
	details := map[string]any{"events": n}
	for k, v := range map[string]string{"actor": f.Actor, "action": f.Action, "objectKind": f.ObjectKind, "objectId": f.ObjectID} {
		if v != "" {
			details[k] = v
		}
	}
	if f.Since != nil {
		details["since"] = f.Since.UTC()
	}
	if f.Until != nil {
		details["until"] = f.Until.UTC()
	}
	return n, s.store.Update(ctx, func(tx meibo.Tx) error {
		return s.audit(ctx, tx, "audit.export", meibo.CategorySignIn, "audit", "", "", details)
	})
}

// AuditCSVHeader is the header of the audit log's CSV file.
var AuditCSVHeader = []string{"id", "time", "actor_kind", "actor", "address", "action", "category", "object_kind", "object_id", "group", "details"}

// WriteAuditCSV writes the events f selects as the audit log's CSV file
// (ExportAudit's rules): times in loc, details as JSON, every cell that a
// spreadsheet would take for a formula neutralised; with bom, a UTF-8 byte
// order mark first (for Excel). The console, the API and the command line
// write the same file.
func (s *Service) WriteAuditCSV(ctx context.Context, f meibo.AuditFilter, w io.Writer, loc *time.Location, bom bool) (int, error) {
	if bom {
		if _, err := io.WriteString(w, "\uFEFF"); err != nil {
			return 0, err
		}
	}
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	if err := cw.Write(AuditCSVHeader); err != nil {
		return 0, err
	}
	n, err := s.ExportAudit(ctx, f, func(e *meibo.AuditEvent) error {
		details := ""
		if len(e.Details) > 0 {
			b, err := json.Marshal(e.Details)
			if err != nil {
				return err
			}
			details = string(b)
		}
		rec := []string{strconv.FormatInt(e.ID, 10), e.At.In(loc).Format(time.RFC3339), e.ActorKind, e.ActorName, e.Addr,
			e.Action, e.Category, e.ObjectKind, e.ObjectID, e.GroupID, details}
		for i := 1; i < len(rec); i++ {
			rec[i] = csvio.Neutralise(rec[i])
		}
		return cw.Write(rec)
	})
	if err != nil {
		return n, err
	}
	cw.Flush()
	return n, cw.Error()
}
