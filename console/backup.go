package console

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/meibo/meibo"
)

// restoreConfirmation is what an administrator types to restore: the
// restore replaces the whole installation.
const restoreConfirmation = "RESTORE"

func (c *Console) backupRoutes(a func(string, handler)) {
	a("GET "+Prefix+"/backup", c.handleBackup)
	a("POST "+Prefix+"/backup/download", c.handleBackupDownload)
	a("POST "+Prefix+"/backup/restore", c.handleRestore)
	a("POST "+Prefix+"/backup/schedule", c.handleBackupSchedule)
	a("GET "+Prefix+"/backup-log", c.handleBackupLog)
}

// backupData is the Backup page: the schedule as typed, and which form
// failed.
type backupData struct {
	Schedule, Dir, Keep string
	Confirmation        string
	Failed              string // "backup", "restore" or "schedule"
	MaxUpload           string
}

func (c *Console) backupPage(q *req, status int, d backupData, err error) {
	d.Confirmation = restoreConfirmation
	d.MaxUpload = sizeLabel(q.lang, c.max)
	if c.max%(1<<20) == 0 {
		d.MaxUpload = fmt.Sprintf("%d MiB", c.max>>20)
	}
	if err == nil {
		c.page(q, status, "backup", "backup.title", d, notice(q))
		return
	}
	switch meibo.ErrorCode(err) {
	case meibo.CodeForbidden, meibo.CodeUnauthorized, meibo.CodeInternal:
		c.fail(q, err)
		return
	}
	c.form(q, http.StatusUnprocessableEntity, "backup", "backup.title", d, err)
}

// handleBackup shows the Backup page to holders of authority 7.
func (c *Console) handleBackup(q *req) {
	st, err := c.svc.BackupSettings(q.ctx)
	if err != nil {
		c.fail(q, err)
		return
	}
	d := backupData{Schedule: st.Schedule, Dir: st.Dir, Keep: strconv.Itoa(max(st.Keep, 7))}
	if st.Keep > 0 {
		d.Keep = strconv.Itoa(st.Keep)
	}
	c.backupPage(q, http.StatusOK, d, nil)
}

// handleBackupDownload makes a backup and sends it once it is complete.
func (c *Console) handleBackupDownload(q *req) {
	name := "meibo-" + time.Now().UTC().Format("20060102-150405") + ".mbk"
	c.spoolAttachment(q, name, "application/gzip", func(w io.Writer) error {
		_, err := c.svc.Backup(q.ctx, w, name)
		return err
	}, func(err error) {
		c.backupPage(q, 0, backupData{Failed: "backup"}, err)
	})
}

// handleRestore replaces the installation with an uploaded backup, once the
// confirmation is typed. Everyone is signed out, this administrator too.
func (c *Console) handleRestore(q *req) {
	d := backupData{Failed: "restore"}
	if err := c.svc.CanBackup(q.ctx); err != nil {
		c.fail(q, err)
		return
	}
	if strings.TrimSpace(q.r.PostFormValue("confirm")) != restoreConfirmation {
		c.backupPage(q, 0, d, meibo.FieldError("confirm", "backup.confirm", restoreConfirmation))
		return
	}
	if q.r.MultipartForm == nil || len(q.r.MultipartForm.File["file"]) == 0 {
		c.backupPage(q, 0, d, meibo.FieldError("file", "required"))
		return
	}
	fh := q.r.MultipartForm.File["file"][0]
	f, err := fh.Open()
	if err != nil {
		c.fail(q, fmt.Errorf("open the upload: %w", err))
		return
	}
	defer f.Close()
	if _, err := c.svc.Restore(q.ctx, f, fh.Filename, true); err != nil {
		var e *meibo.Error
		if errors.As(err, &e) && len(e.Fields) == 0 && e.Code != meibo.CodeInternal && e.Code != meibo.CodeForbidden {
			err = &meibo.Error{Code: e.Code, Msg: e.Msg, Fields: map[string]meibo.Msg{"file": e.Msg}}
		}
		c.backupPage(q, 0, d, err)
		return
	}
	c.clearCookie(q.w, q.r)
	http.Redirect(q.w, q.r, Prefix+"/signin?restored=1", http.StatusSeeOther)
}

func (c *Console) handleBackupSchedule(q *req) {
	d := backupData{Failed: "schedule", Schedule: strings.TrimSpace(q.r.PostFormValue("schedule")),
		Dir: strings.TrimSpace(q.r.PostFormValue("dir")), Keep: strings.TrimSpace(q.r.PostFormValue("keep"))}
	keep, err := strconv.Atoi(d.Keep)
	if err != nil {
		c.backupPage(q, 0, d, meibo.FieldError("keep", "backup.keep"))
		return
	}
	if _, err := c.svc.UpdateBackupSettings(q.ctx, meibo.BackupSettings{Schedule: d.Schedule, Dir: d.Dir, Keep: keep}); err != nil {
		c.backupPage(q, 0, d, err)
		return
	}
	c.redirect(q, Prefix+"/backup", "backup.saved")
}

// handleBackupLog lists backups and restores for Log Viewers with 25.
func (c *Console) handleBackupLog(q *req) {
	log, err := c.svc.BackupLog(q.ctx, 200)
	if err != nil {
		c.fail(q, err)
		return
	}
	c.page(q, http.StatusOK, "backup_log", "backuplog.title", log, "")
}
