package service

import (
	"context"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/csvio"
)

// adminsImporter checks and writes rows of the administrator file (manual
// 002). Administrators are few, so every check runs against an in-memory
// copy of all of them that the rows change as they go.
type adminsImporter struct {
	r      *jobRun
	admins map[string]*meibo.Admin

	created, updated, deleted, unchanged int
}

func (a *adminsImporter) reset() { a.created, a.updated, a.deleted, a.unchanged = 0, 0, 0, 0 }

func (a *adminsImporter) counts() (int, int, int, int) {
	return a.created, a.updated, a.deleted, a.unchanged
}

func (a *adminsImporter) password(rec *csvio.Record) string {
	if rec.Admin == nil || rec.Admin.Flag == 'D' {
		return ""
	}
	return rec.Admin.Password
}

func (a *adminsImporter) begin(ctx context.Context, tx meibo.Tx, apply bool) error {
	if apply {
		if err := tx.Lock(ctx, "admins"); err != nil {
			return err
		}
	}
	list, err := tx.Admins(ctx)
	if err != nil {
		return err
	}
	a.admins = make(map[string]*meibo.Admin, len(list))
	for _, ad := range list {
		a.admins[ad.LoginID] = ad
	}
	return nil
}

var (
	colFlag     = csvio.AdminColumn(1)
	colID       = csvio.AdminColumn(2)
	colPassword = csvio.AdminColumn(3)
)

func (a *adminsImporter) batch(ctx context.Context, tx meibo.Tx, recs []*csvio.Record, apply bool) error {
	r := a.r
	self := meibo.ActorFrom(r.ctx)
	for _, rec := range recs {
		in := rec.Admin
		if in == nil || rec.HasErrors() {
			continue
		}
		cur := a.admins[in.LoginID]
		if cur != nil {
			// Values read from Shift_JIS as the record's read back: the
			// record's own (an export imported again changes nothing).
			in.Name = csvio.KeepStored(rec, cur.Name, in.Name)
			in.Email = csvio.KeepStored(rec, cur.Email, in.Email)
			in.Notes = csvio.KeepStored(rec, cur.Notes, in.Notes)
		}
		backup := cur != nil && cur.Builtin && cur.LoginID == meibo.BuiltinBackup
		if in.Flag != 'D' && !apply {
			// Column 41 is not read: say so when it asks for what the
			// administrator is not (a new one is enabled).
			disabled := cur != nil && cur.Disabled
			if in.Status == "1" && !disabled || in.Status == "0" && disabled {
				r.problem(csvio.Problem{Row: rec.Row, Column: csvio.AdminColumn(41), Msg: meibo.M("import.admins.status", in.LoginID), Warning: true})
			}
		}
		switch in.Flag {
		case 'D':
			switch {
			case cur == nil:
				r.problemAt(rec, colFlag, meibo.M("import.missing", in.LoginID))
			case cur.Builtin:
				r.problemAt(rec, colID, meibo.M("admin.builtin.delete", in.LoginID))
			case self != nil && self.Kind == meibo.ActorAdmin && self.Name == in.LoginID:
				r.problemAt(rec, colID, meibo.M("import.self"))
			default:
				delete(a.admins, in.LoginID)
				a.deleted++
				if apply && r.errors == 0 {
					r.recordAdminChange(rec.Row, meibo.ChangeDeleted, cur, nil, false)
					if err := tx.DeleteAdmin(ctx, cur.ID); err != nil {
						return err
					}
					if err := tx.AddAudit(ctx, r.event("admin.delete", "admin", cur.LoginID, "", false)); err != nil {
						return err
					}
				}
			}
			continue
		case ' ':
			if cur != nil {
				if in.Password == "" && sameAdmin(cur, in) {
					a.unchanged++
				} else {
					r.problemAt(rec, colFlag, meibo.M("import.new_exists", in.LoginID))
				}
				continue
			}
		case 'U':
			if cur == nil {
				r.problemAt(rec, colFlag, meibo.M("import.missing", in.LoginID))
				continue
			}
			if backup && (in.Authorities != meibo.BackupAuthorities || in.Password != "") {
				r.problemAt(rec, colID, meibo.M("admin.backup.fixed"))
				continue
			}
			if in.Password == "" && sameAdmin(cur, in) {
				a.unchanged++
				continue
			}
		}
		if in.Password != "" {
			if err := meibo.CheckPassword(in.Password, in.LoginID, in.Email); err != nil {
				if err := r.problemErr(rec, colPassword, err); err != nil {
					return err
				}
				continue
			}
		}
		next := &meibo.Admin{LoginID: in.LoginID, Name: in.Name, Email: in.Email, Notes: in.Notes, Authorities: in.Authorities, Groups: []string{}}
		if cur != nil {
			c := *cur
			c.Name, c.Email, c.Notes, c.Authorities = in.Name, in.Email, in.Notes, in.Authorities
			if !c.Authorities.Has(meibo.AuthDepartment) {
				// Groups limit a department administrator only: one who
				// is no longer one keeps none (as an edit does).
				c.Groups = []string{}
			}
			next = &c
		} else {
			next.GUID = meibo.NewGUID()
		}
		if err := next.Validate(); err != nil {
			if err := r.problemErr(rec, colID, err); err != nil {
				return err
			}
			continue
		}
		if next.Authorities.Has(meibo.AuthDepartment) && len(next.Groups) == 0 && !apply {
			r.problem(csvio.Problem{Row: rec.Row, Column: csvio.AdminColumn(8), Msg: meibo.M("import.department", in.LoginID), Warning: true})
		}
		if in.Password != "" && !apply {
			// Stands for the hash to come, so that the last-manager check
			// knows this account will be able to sign in.
			next.PasswordHash = "(to be hashed)"
		}
		a.admins[in.LoginID] = next
		if cur == nil {
			a.created++
		} else {
			a.updated++
		}
		if !apply || r.errors > 0 {
			continue
		}
		if in.Password != "" {
			next.PasswordHash, next.PasswordChangedAt = r.hashes[rec.Row], ptr(tx.Now())
		}
		if cur == nil {
			r.recordAdminChange(rec.Row, meibo.ChangeCreated, nil, next, in.Password != "")
		} else {
			r.recordAdminChange(rec.Row, meibo.ChangeUpdated, cur, next, in.Password != "")
		}
		action := "admin.update"
		if cur == nil {
			action = "admin.create"
			if err := tx.CreateAdmin(ctx, next); err != nil {
				return err
			}
		} else if err := tx.UpdateAdmin(ctx, next); err != nil {
			return err
		} else if in.Password != "" {
			// A new password ends the old tokens and sessions, as in the
			// console.
			if err := endAdminAccess(ctx, tx, next.ID, ""); err != nil {
				return err
			}
		}
		if err := tx.AddAudit(ctx, r.event(action, "admin", next.LoginID, "", in.Password != "")); err != nil {
			return err
		}
	}
	return nil
}

// sameAdmin reports whether the row carries the same values as the record in
// every field the file holds (the ignored columns aside).
func sameAdmin(cur *meibo.Admin, in *csvio.AdminRecord) bool {
	return cur.Name == in.Name && cur.Email == in.Email && cur.Notes == in.Notes && cur.Authorities == in.Authorities
}

// end refuses a file that would leave no enabled administrator who can
// manage administrators.
func (a *adminsImporter) end(ctx context.Context, tx meibo.Tx, apply bool) error {
	if a.r.errors > 0 {
		return nil
	}
	for _, ad := range a.admins {
		if ad.IsManager() {
			return nil
		}
	}
	a.r.problem(csvio.Problem{Msg: meibo.M("admin.last_manager")})
	return nil
}
