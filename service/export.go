package service

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/csvio"
)

// ExportUsers writes a group's users as users.csv (manual 001): columns
// name,password,email,admin,apiAccess,disabled,profile, password always
// blank. It needs Management Console with "save CSV file" (32) and the group
// in scope, and returns the number of users written. A value the encoding
// cannot hold fails the export naming the user and field; callers should
// write to a buffer or temporary file and send it only on success.
func (s *Service) ExportUsers(ctx context.Context, groupID string, w io.Writer, enc csvio.Encoding, bom bool) (rows int, err error) {
	defer func(start time.Time) { s.countExport("users", rows, start, err) }(time.Now())
	a, err := requireUsers(ctx)
	if err != nil {
		return 0, err
	}
	if !a.Has(meibo.AuthExport) {
		return 0, meibo.Forbidden("forbidden.auth", meibo.AuthExport)
	}
	if enc == "" || enc == csvio.Auto {
		enc = csvio.UTF8
	}
	cw, err := csvio.NewUsersWriter(w, enc, bom)
	if err != nil {
		return 0, err
	}
	n := 0
	var group string
	var refused exportRefusals
	err = s.store.View(ctx, func(tx meibo.Tx) error {
		g, err := s.group(ctx, tx, a, groupID)
		if err != nil {
			return err
		}
		group = g.ID
		n, err = writeBehind(func(emit func(*meibo.User) error) error {
			return tx.EachUser(ctx, g.ID, emit)
		}, writeOrGather(&refused, cw.Write))
		return err
	})
	if err == nil {
		err = refused.err()
	}
	if err != nil {
		return 0, err
	}
	if err := cw.Flush(); err != nil {
		return 0, err
	}
	return n, s.store.Update(ctx, func(tx meibo.Tx) error {
		return s.audit(ctx, tx, "export.users", meibo.CategoryUser, "group", group, group, map[string]any{"users": n, "encoding": string(enc)})
	})
}

// ExportAdmins writes every administrator in the 44-column format (manual
// 002) in enc, or in the installation's configured encoding when enc is
// blank. It needs "save CSV file" (32) and the authority to manage
// administrators.
func (s *Service) ExportAdmins(ctx context.Context, w io.Writer, enc csvio.Encoding, bom bool) (rows int, err error) {
	defer func(start time.Time) { s.countExport("admins", rows, start, err) }(time.Now())
	a, err := requireManager(ctx)
	if err != nil {
		return 0, err
	}
	if a.Kind != meibo.ActorSystem && !(a.Has(meibo.AuthConsole) && a.Has(meibo.AuthExport)) {
		return 0, meibo.Forbidden("forbidden.auth", meibo.AuthExport)
	}
	var admins []*meibo.Admin
	err = s.store.View(ctx, func(tx meibo.Tx) error {
		if enc == "" || enc == csvio.Auto {
			st, err := tx.Settings(ctx)
			if err != nil {
				return err
			}
			if enc, err = csvio.ParseEncoding(st.AdminCSVEncoding); err != nil {
				return err
			}
		}
		admins, err = tx.Admins(ctx)
		return err
	})
	if err != nil {
		return 0, err
	}
	cw, err := csvio.NewAdminsWriter(w, enc, bom, s.cfg.Location)
	if err != nil {
		return 0, err
	}
	var refused exportRefusals
	write := writeOrGather(&refused, cw.Write)
	for _, ad := range admins {
		if err := write(ad); err != nil {
			return 0, err
		}
	}
	if err := refused.err(); err != nil {
		return 0, err
	}
	if err := cw.Flush(); err != nil {
		return 0, err
	}
	return len(admins), s.store.Update(ctx, func(tx meibo.Tx) error {
		return s.audit(ctx, tx, "export.admins", meibo.CategoryConfig, "admin", "", "", map[string]any{"admins": len(admins), "encoding": string(enc)})
	})
}

// WriteImportErrors writes a job's errors and warnings as CSV in lang.
// A job that kept fewer messages than it counted ends with a line that says so.
func (s *Service) WriteImportErrors(ctx context.Context, id int64, w io.Writer, lang meibo.Lang) error {
	j, err := s.ImportJob(ctx, id)
	if err != nil {
		return err
	}
	msgs, err := s.ImportMessages(ctx, id, 0)
	if err != nil {
		return err
	}
	ew, err := csvio.NewErrorsWriter(w, lang)
	if err != nil {
		return err
	}
	for _, m := range msgs {
		if err := ew.Write(m); err != nil {
			return err
		}
	}
	if err := writeNote(ew, keptNote(j, msgs)); err != nil {
		return err
	}
	return ew.Flush()
}

// ImportKeptNote says, for a job that kept fewer messages than it counted,
// how many errors and warnings of how many msgs (the job's kept messages)
// list; a zero Msg when they list them all.
func ImportKeptNote(j *meibo.ImportJob, msgs []meibo.ImportMessage) meibo.Msg {
	return keptNote(j, msgs)
}

// exportBatch is how many users the database's side of an export hands its
// file's side at a time.
const exportBatch = 512

// errWriteFailed stops the reading of an export whose writing failed.
var errWriteFailed = errors.New("the export's writing failed")

// writeBehind calls each, which calls emit for every user in turn, and
// writes the users with write on a goroutine of its own, a few batches
// behind, so that encoding the file and reading the database run on two
// cores (an export of 1,000,000 users on SQLite is bound by both). It
// returns the number of users written and the first error: write's
// (which stops each), else each's.
func writeBehind(each func(emit func(*meibo.User) error) error, write func(*meibo.User) error) (int, error) {
	full := make(chan []meibo.User, 2)
	free := make(chan []meibo.User, 3)
	for range cap(free) {
		free <- make([]meibo.User, 0, exportBatch)
	}
	failed := make(chan struct{})
	result := make(chan error, 1)
	n := 0
	go func() {
		var werr error
		for b := range full {
			for i := range b {
				if werr != nil {
					break
				}
				if werr = write(&b[i]); werr != nil {
					close(failed)
				} else {
					n++
				}
			}
			free <- b[:0]
		}
		result <- werr
	}()
	cur := <-free
	rerr := each(func(u *meibo.User) error {
		cur = append(cur, *u)
		if len(cur) < exportBatch {
			return nil
		}
		select {
		case full <- cur:
		case <-failed:
			return errWriteFailed
		}
		cur = <-free
		return nil
	})
	if rerr == nil && len(cur) > 0 {
		select {
		case full <- cur:
		case <-failed:
		}
	}
	close(full)
	if werr := <-result; werr != nil {
		return n, werr
	}
	return n, rerr
}
