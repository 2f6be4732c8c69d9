package service

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/csvio"
)

// What each job changed: every user or administrator a job created,
// updated or deleted is recorded in its apply transaction, with the row and
// what changed ("email: a → b"; a password only as "password: changed"),
// up to Config.ImportMaxChanges per job (the counts of the job stay true).
// That text is the API's, field names as the API writes them; the console
// shows it in the page's language (console.changeText), so a field added
// here wants its name there too.

// DefaultImportMaxChanges is how many changes a job lists.
const DefaultImportMaxChanges = 100_000

func init() {
	meibo.RegisterMessages(map[string][2]string{
		"import.changes.first": {"The first %s of %s changes are listed; the others were made but not listed.",
			"変更 %[2]s件のうち、最初の%[1]s件を記録しています。残りは変更されましたが記録していません。"},
	})
}

func (s *Service) maxChanges() int {
	if s.cfg.ImportMaxChanges > 0 {
		return s.cfg.ImportMaxChanges
	}
	return DefaultImportMaxChanges
}

// recordChange records a user the apply creates (before nil) or updates.
// It is called before the new password's hash is set on after.
func (r *jobRun) recordChange(row int, kind, name string, before, after *meibo.User, password bool) {
	if len(r.changes) >= r.s.maxChanges() {
		return
	}
	c := meibo.ImportChange{Row: row, Kind: kind, Action: meibo.ChangeCreated, Name: name}
	var d diff
	if before == nil {
		d.set("email", after.Email)
		d.set("profile", after.ProfileName)
		d.flag("admin", false, after.Admin)
		d.flag("apiAccess", false, after.APIAccess)
		d.flag("disabled", false, after.Disabled)
	} else {
		c.Action = meibo.ChangeUpdated
		d.change("email", before.Email, after.Email)
		d.change("profile", before.ProfileName, after.ProfileName)
		d.flag("admin", before.Admin, after.Admin)
		d.flag("apiAccess", before.APIAccess, after.APIAccess)
		d.flag("disabled", before.Disabled, after.Disabled)
	}
	if password {
		d.add("password: changed")
	}
	c.Changes = d.String()
	r.changes = append(r.changes, c)
}

// recordAdminChange records an administrator the apply creates, updates or
// deletes.
func (r *jobRun) recordAdminChange(row int, action string, before, after *meibo.Admin, password bool) {
	if len(r.changes) >= r.s.maxChanges() {
		return
	}
	c := meibo.ImportChange{Row: row, Kind: meibo.ChangeAdmin, Action: action}
	var d diff
	switch action {
	case meibo.ChangeCreated:
		c.Name = after.LoginID
		d.set("name", after.Name)
		d.set("email", after.Email)
		d.set("authorities", authorityNames(after.Authorities))
	case meibo.ChangeUpdated:
		c.Name = after.LoginID
		d.change("name", before.Name, after.Name)
		d.change("email", before.Email, after.Email)
		d.change("notes", before.Notes, after.Notes)
		d.change("authorities", authorityNames(before.Authorities), authorityNames(after.Authorities))
	case meibo.ChangeDeleted:
		c.Name = before.LoginID
	}
	if password {
		d.add("password: changed")
	}
	c.Changes = d.String()
	r.changes = append(r.changes, c)
}

// authorityNames lists authorities by their names (as the API writes them).
func authorityNames(a meibo.Authorities) string {
	var cols []string
	for _, au := range a.List() {
		cols = append(cols, au.Name())
	}
	return strings.Join(cols, " ")
}

// diff writes what changed, field by field.
type diff struct{ parts []string }

func (d *diff) add(s string) { d.parts = append(d.parts, s) }

func (d *diff) set(field, v string) {
	if v != "" {
		d.add(field + ": " + v)
	}
}

func (d *diff) change(field, before, after string) {
	if before != after {
		d.add(fmt.Sprintf("%s: %s → %s", field, orDash(before), orDash(after)))
	}
}

func (d *diff) flag(field string, before, after bool) {
	if before != after {
		d.add(fmt.Sprintf("%s: %s → %s", field, yesNo(before), yesNo(after)))
	}
}

func (d *diff) String() string { return strings.Join(d.parts, "; ") }

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// ImportChanges lists what a job changed after seq afterSeq, at most limit
// (0: all), for those who may see the job.
func (s *Service) ImportChanges(ctx context.Context, id int64, afterSeq, limit int) ([]meibo.ImportChange, error) {
	j, err := s.ImportJob(ctx, id)
	if err != nil {
		return nil, err
	}
	if IsBulkFormat(j.Format) {
		return s.bulkChanges(ctx, j, afterSeq, limit)
	}
	var out []meibo.ImportChange
	err = s.store.View(ctx, func(tx meibo.Tx) error {
		var err error
		out, err = tx.ImportChanges(ctx, id, afterSeq, limit)
		return err
	})
	return out, err
}

// ImportChangesNote says, for a job that listed fewer changes than it
// made, how many of how many are listed (listed: how many it holds).
func ImportChangesNote(j *meibo.ImportJob, listed int) meibo.Msg {
	total := j.Created + j.Updated + j.Deleted
	if j.DryRun || listed >= total || j.Format == meibo.FormatDevices {
		return meibo.Msg{}
	}
	return meibo.M("import.changes.first", formatCount(listed), formatCount(total))
}

// WriteImportChanges writes what a job changed as CSV (UTF-8 with a BOM):
// row, kind, action, name, changes.
func (s *Service) WriteImportChanges(ctx context.Context, id int64, w io.Writer) error {
	changes, err := s.ImportChanges(ctx, id, 0, 0)
	if err != nil {
		return err
	}
	return csvio.WriteChanges(w, changes)
}
