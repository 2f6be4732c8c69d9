package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"time"

	"github.com/meibo/meibo"
)

const adminCols = `id, login_id, guid, name, email, notes, password_hash, authorities, builtin, disabled,
	created_at, updated_at, password_changed_at, last_sign_in_at`

func scanAdmin(s scanner) (*meibo.Admin, error) {
	var a meibo.Admin
	var auth int64
	var pwc, last sql.Null[time.Time]
	if err := s.Scan(&a.ID, &a.LoginID, &a.GUID, &a.Name, &a.Email, &a.Notes, &a.PasswordHash, &auth, &a.Builtin, &a.Disabled,
		&a.CreatedAt, &a.UpdatedAt, &pwc, &last); err != nil {
		return nil, err
	}
	a.Authorities = meibo.Authorities(auth)
	a.CreatedAt, a.UpdatedAt = a.CreatedAt.UTC(), a.UpdatedAt.UTC()
	a.PasswordChangedAt, a.LastSignInAt = nullTime(pwc), nullTime(last)
	a.Groups = []string{}
	return &a, nil
}

// CreateAdmin inserts an administrator with its department groups.
func (t *Tx) CreateAdmin(ctx context.Context, a *meibo.Admin) error {
	a.CreatedAt, a.UpdatedAt = t.now, t.now
	err := t.queryRowContext(ctx, `INSERT INTO admins (login_id, guid, name, email, notes, password_hash, authorities, builtin, disabled, created_at, updated_at, password_changed_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id`,
		a.LoginID, a.GUID, a.Name, a.Email, a.Notes, a.PasswordHash, int64(a.Authorities), a.Builtin, a.Disabled, a.CreatedAt, a.UpdatedAt, a.PasswordChangedAt).Scan(&a.ID)
	switch {
	case t.d.IsUnique(err):
		return meibo.ConflictField("loginId", "admin.exists", a.LoginID)
	case err != nil:
		return fmt.Errorf("create administrator: %w", err)
	}
	return t.setAdminGroups(ctx, a)
}

func (t *Tx) setAdminGroups(ctx context.Context, a *meibo.Admin) error {
	if _, err := t.exec(ctx, "clear administrator groups", `DELETE FROM admin_groups WHERE admin_id = $1`, a.ID); err != nil {
		return err
	}
	for _, g := range a.Groups {
		_, err := t.execContext(ctx, `INSERT INTO admin_groups (admin_id, group_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, a.ID, g)
		switch {
		case t.d.IsForeignKey(err):
			return meibo.FieldError("groups", "admin.group.unknown", g)
		case err != nil:
			return fmt.Errorf("set administrator groups: %w", err)
		}
	}
	return nil
}

func (t *Tx) loadAdminGroups(ctx context.Context, admins map[int64]*meibo.Admin, where string, args ...any) error {
	rows, err := t.queryContext(ctx, `SELECT admin_id, group_id FROM admin_groups`+where+` ORDER BY admin_id, group_id`, args...)
	if err != nil {
		return fmt.Errorf("read administrator groups: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var g string
		if err := rows.Scan(&id, &g); err != nil {
			return fmt.Errorf("read administrator groups: %w", err)
		}
		if a := admins[id]; a != nil {
			a.Groups = append(a.Groups, g)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read administrator groups: %w", err)
	}
	// In byte order on every engine: admin_groups.group_id has the server's
	// collation on PostgreSQL, not "C".
	for _, a := range admins {
		sort.Strings(a.Groups)
	}
	return nil
}

func (t *Tx) oneAdmin(ctx context.Context, notFound *meibo.Error, where string, arg any) (*meibo.Admin, error) {
	a, err := one(ctx, t, scanAdmin, error(notFound), "read administrator", `SELECT `+adminCols+` FROM admins WHERE `+where, arg)
	if err != nil {
		return nil, err
	}
	if err := t.loadAdminGroups(ctx, map[int64]*meibo.Admin{a.ID: a}, ` WHERE admin_id = $1`, a.ID); err != nil {
		return nil, err
	}
	return a, nil
}

// Admin finds an administrator by ID.
func (t *Tx) Admin(ctx context.Context, id int64) (*meibo.Admin, error) {
	return t.oneAdmin(ctx, meibo.NotFound("not_found"), `id = $1`, id)
}

// AdminByLoginID finds an administrator by login ID (exact).
func (t *Tx) AdminByLoginID(ctx context.Context, loginID string) (*meibo.Admin, error) {
	return t.oneAdmin(ctx, meibo.NotFound("admin.not_found", loginID), `login_id = $1`, loginID)
}

// Admins lists every administrator in login ID order.
func (t *Tx) Admins(ctx context.Context) ([]*meibo.Admin, error) {
	rows, err := t.queryContext(ctx, `SELECT `+adminCols+` FROM admins ORDER BY login_id`)
	if err != nil {
		return nil, fmt.Errorf("list administrators: %w", err)
	}
	out := []*meibo.Admin{}
	byID := map[int64]*meibo.Admin{}
	for rows.Next() {
		a, err := scanAdmin(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("list administrators: %w", err)
		}
		out = append(out, a)
		byID[a.ID] = a
	}
	err = rows.Err()
	rows.Close()
	if err != nil {
		return nil, fmt.Errorf("list administrators: %w", err)
	}
	return out, t.loadAdminGroups(ctx, byID, "")
}

// UpdateAdmin writes an administrator's changeable fields and groups.
func (t *Tx) UpdateAdmin(ctx context.Context, a *meibo.Admin) error {
	a.UpdatedAt = t.now
	res, err := t.exec(ctx, "update administrator", `UPDATE admins SET name = $1, email = $2, notes = $3, password_hash = $4, authorities = $5,
		disabled = $6, updated_at = $7, password_changed_at = $8 WHERE id = $9`,
		a.Name, a.Email, a.Notes, a.PasswordHash, int64(a.Authorities), a.Disabled, a.UpdatedAt, a.PasswordChangedAt, a.ID)
	if err != nil {
		return err
	}
	if affected(res) == 0 {
		return meibo.NotFound("admin.not_found", a.LoginID)
	}
	return t.setAdminGroups(ctx, a)
}

// DeleteAdmin deletes an administrator (its tokens and sessions go with it).
func (t *Tx) DeleteAdmin(ctx context.Context, id int64) error {
	res, err := t.exec(ctx, "delete administrator", `DELETE FROM admins WHERE id = $1`, id)
	if err != nil {
		return err
	}
	if affected(res) == 0 {
		return meibo.NotFound("not_found")
	}
	return nil
}

// ReplaceAdminPasswordHash writes an administrator's password hash over old
// only.
func (t *Tx) ReplaceAdminPasswordHash(ctx context.Context, id int64, old, hash string) (bool, error) {
	res, err := t.exec(ctx, "replace an administrator's password hash", `UPDATE admins SET password_hash = $1 WHERE id = $2 AND password_hash = $3`, hash, id, old)
	if err != nil {
		return false, err
	}
	return affected(res) > 0, nil
}

// SetAdminSignIn records a sign-in.
func (t *Tx) SetAdminSignIn(ctx context.Context, id int64, at time.Time) error {
	_, err := t.exec(ctx, "record sign-in", `UPDATE admins SET last_sign_in_at = $1 WHERE id = $2`, at, id)
	return err
}
