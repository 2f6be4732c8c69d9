package service

import (
	"context"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/csvio"
)

// personalImporter sets portal passwords of existing users (manual 000).
type personalImporter struct {
	r       *jobRun
	group   string
	updated int
}

func (p *personalImporter) reset()                       { p.updated = 0 }
func (p *personalImporter) counts() (int, int, int, int) { return 0, p.updated, 0, 0 }
func (p *personalImporter) end(ctx context.Context, tx meibo.Tx, apply bool) error {
	return p.r.reportWeakHashes(ctx, tx, p.group, apply)
}

func (p *personalImporter) password(rec *csvio.Record) string {
	if rec.Personal == nil {
		return ""
	}
	return rec.Personal.Password
}

func (p *personalImporter) begin(ctx context.Context, tx meibo.Tx, apply bool) error {
	_, err := tx.Group(ctx, p.group)
	return err
}

func (p *personalImporter) batch(ctx context.Context, tx meibo.Tx, recs []*csvio.Record, apply bool) error {
	r := p.r
	existing, ambiguous, err := usersNamed(ctx, tx, p.group, recs, func(rec *csvio.Record) string {
		if rec.Personal == nil {
			return ""
		}
		return rec.Personal.UserName
	})
	if err != nil {
		return err
	}
	var updates []*meibo.User
	for _, rec := range recs {
		in := rec.Personal
		if in == nil {
			continue
		}
		if names := ambiguous[in.UserName]; names != nil {
			r.cp932Ambiguous(rec, "UserName", in.UserName, names)
			continue
		}
		u := existing[in.UserName]
		if u == nil {
			r.problemAt(rec, "UserName", meibo.M("user.not_found", in.UserName))
			continue
		}
		if !r.hashAllowed(rec, "PasswordHash", in.PasswordHash) {
			continue
		}
		if in.Password != "" {
			if err := meibo.CheckPassword(in.Password, u.Name, u.Email, p.group); err != nil {
				if err := r.problemErr(rec, "Password", err); err != nil {
					return err
				}
				continue
			}
		}
		if rec.HasErrors() {
			continue
		}
		p.updated++
		if apply {
			r.recordChange(rec.Row, meibo.ChangeUser, u.Name, u, u, true)
			u.PasswordHash, u.PasswordChangedAt = r.hashes[rec.Row], ptr(tx.Now())
			if in.PasswordHash != "" {
				u.PasswordHash = in.PasswordHash // never hashed again
			}
			updates = append(updates, u)
		}
	}
	if !apply || r.errors > 0 {
		return nil
	}
	if err := tx.UpdateUsers(ctx, updates); err != nil {
		return err
	}
	// Every row sets a password: each user's sessions and links end.
	ids := make([]int64, len(updates))
	for i, u := range updates {
		ids[i] = u.ID
	}
	return endUsersAccess(ctx, tx, ids)
}
