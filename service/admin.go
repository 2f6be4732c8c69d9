package service

import (
	"context"
	"strings"

	"github.com/meibo/meibo"
)

// AdminInput is a new administrator. A blank password leaves the account
// unable to sign in until one is set.
type AdminInput struct {
	LoginID     string            `json:"loginId"`
	Name        string            `json:"name"`
	Email       string            `json:"email"`
	Notes       string            `json:"notes"`
	Password    string            `json:"password"`
	Authorities meibo.Authorities `json:"authorities"`
	Groups      []string          `json:"groups"`
	Disabled    bool              `json:"disabled"`
}

func adminDetails(a *meibo.Admin) map[string]any {
	return map[string]any{"loginId": a.LoginID, "name": a.Name, "email": a.Email, "notes": a.Notes,
		"authorities": a.Authorities, "groups": a.Groups, "disabled": a.Disabled, "hasPassword": a.PasswordHash != ""}
}

// resolveGroups turns department group IDs (any case) into canonical IDs.
func resolveGroups(ctx context.Context, tx meibo.Tx, ids []string) ([]string, error) {
	out := make([]string, 0, len(ids))
	seen := map[string]bool{}
	for _, id := range ids {
		g, err := tx.Group(ctx, id)
		if meibo.ErrorCode(err) == meibo.CodeNotFound {
			return nil, meibo.FieldError("groups", "admin.group.unknown", id)
		} else if err != nil {
			return nil, err
		}
		if !seen[strings.ToLower(g.ID)] {
			seen[strings.ToLower(g.ID)] = true
			out = append(out, g.ID)
		}
	}
	return out, nil
}

// ensureManager refuses a change that leaves no enabled administrator who can
// manage administrators. Callers hold the "admins" lock and have written
// their change in tx.
func ensureManager(ctx context.Context, tx meibo.Tx) error {
	admins, err := tx.Admins(ctx)
	if err != nil {
		return err
	}
	for _, a := range admins {
		if a.IsManager() {
			return nil
		}
	}
	return meibo.Conflict("admin.last_manager")
}

// CreateAdmin adds an administrator.
func (s *Service) CreateAdmin(ctx context.Context, in AdminInput) (*meibo.Admin, error) {
	if _, err := requireManager(ctx); err != nil {
		return nil, err
	}
	ad := &meibo.Admin{LoginID: in.LoginID, GUID: meibo.NewGUID(), Name: in.Name, Email: in.Email, Notes: in.Notes,
		Authorities: in.Authorities, Groups: in.Groups, Disabled: in.Disabled}
	if err := ad.Validate(); err != nil {
		return nil, err
	}
	if len(ad.Groups) > 0 && !ad.Authorities.Has(meibo.AuthDepartment) {
		return nil, meibo.FieldError("groups", "admin.groups.not_department")
	}
	if in.LoginID == meibo.BuiltinBackup || in.LoginID == meibo.BuiltinAdmin {
		return nil, meibo.ConflictField("loginId", "admin.exists", in.LoginID)
	}
	if in.Password != "" {
		if err := meibo.CheckPassword(in.Password, in.LoginID, in.Email); err != nil {
			return nil, err
		}
		hash, err := s.hashPassword(in.Password)
		if err != nil {
			return nil, err
		}
		ad.PasswordHash = hash
	}
	err := s.store.Update(ctx, func(tx meibo.Tx) error {
		if err := tx.Lock(ctx, "admins"); err != nil {
			return err
		}
		if _, err := tx.AdminByLoginID(ctx, ad.LoginID); err == nil {
			return meibo.ConflictField("loginId", "admin.exists", ad.LoginID)
		} else if meibo.ErrorCode(err) != meibo.CodeNotFound {
			return err
		}
		groups, err := resolveGroups(ctx, tx, ad.Groups)
		if err != nil {
			return err
		}
		ad.Groups = groups
		if ad.PasswordHash != "" {
			ad.PasswordChangedAt = ptr(tx.Now())
		}
		if err := tx.CreateAdmin(ctx, ad); err != nil {
			return err
		}
		return s.audit(ctx, tx, "admin.create", meibo.CategoryConfig, "admin", ad.LoginID, "", adminDetails(ad))
	})
	if err != nil {
		return nil, err
	}
	return ad, nil
}

// Admins lists every administrator.
func (s *Service) Admins(ctx context.Context) ([]*meibo.Admin, error) {
	if _, err := requireManager(ctx); err != nil {
		return nil, err
	}
	var out []*meibo.Admin
	err := s.store.View(ctx, func(tx meibo.Tx) error {
		var err error
		out, err = tx.Admins(ctx)
		return err
	})
	return out, err
}

// Admin returns one administrator; anyone may read their own account.
func (s *Service) Admin(ctx context.Context, id int64) (*meibo.Admin, error) {
	a, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	if !(a.Kind == meibo.ActorAdmin && a.ID == id) {
		if _, err := requireManager(ctx); err != nil {
			return nil, err
		}
	}
	var ad *meibo.Admin
	err = s.store.View(ctx, func(tx meibo.Tx) error {
		ad, err = tx.Admin(ctx, id)
		return err
	})
	return ad, err
}

// AdminByLoginID returns one administrator by login ID.
func (s *Service) AdminByLoginID(ctx context.Context, loginID string) (*meibo.Admin, error) {
	a, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	if !(a.Kind == meibo.ActorAdmin && a.Name == loginID) {
		if _, err := requireManager(ctx); err != nil {
			return nil, err
		}
	}
	var ad *meibo.Admin
	err = s.store.View(ctx, func(tx meibo.Tx) error {
		ad, err = tx.AdminByLoginID(ctx, loginID)
		return err
	})
	return ad, err
}

// UpdateAdmin changes an administrator.
func (s *Service) UpdateAdmin(ctx context.Context, id int64, up meibo.AdminUpdate) (*meibo.Admin, error) {
	a, err := requireManager(ctx)
	if err != nil {
		return nil, err
	}
	var ad *meibo.Admin
	var hash string
	if up.Password != nil && *up.Password != "" {
		cur, err := s.Admin(ctx, id)
		if err != nil {
			return nil, err
		}
		email := cur.Email
		if up.Email != nil {
			email = *up.Email
		}
		if cur.Builtin && cur.LoginID == meibo.BuiltinBackup {
			return nil, meibo.FieldError("password", "admin.backup.fixed")
		}
		if err := meibo.CheckPassword(*up.Password, cur.LoginID, email); err != nil {
			return nil, err
		}
		if hash, err = s.hashPassword(*up.Password); err != nil {
			return nil, err
		}
	}
	err = s.store.Update(ctx, func(tx meibo.Tx) error {
		if err := tx.Lock(ctx, "admins"); err != nil {
			return err
		}
		var err error
		if ad, err = tx.Admin(ctx, id); err != nil {
			return err
		}
		before := adminDetails(ad)
		if err := applyAdminUpdate(ctx, tx, ad, up, hash); err != nil {
			return err
		}
		if err := tx.UpdateAdmin(ctx, ad); err != nil {
			return err
		}
		// Answer as stored, as Admin would: groups [] rather than nil, in
		// their stored order.
		if ad, err = tx.Admin(ctx, id); err != nil {
			return err
		}
		if ad.Disabled || up.Password != nil {
			// A disabled account or a new password ends the old tokens and
			// browser sessions; but the session of an administrator who
			// gives their own, enabled account a new password goes on, as
			// with ChangeOwnPassword.
			keep := ""
			if a.Kind == meibo.ActorAdmin && a.ID == ad.ID && !ad.Disabled {
				keep = a.Session
			}
			if err := endAdminAccess(ctx, tx, ad.ID, keep); err != nil {
				return err
			}
		}
		if err := ensureManager(ctx, tx); err != nil {
			return err
		}
		details := map[string]any{"before": before, "after": adminDetails(ad)}
		if up.Password != nil {
			details["password"] = "changed"
		}
		return s.audit(ctx, tx, "admin.update", meibo.CategoryConfig, "admin", ad.LoginID, "", details)
	})
	if err != nil {
		return nil, err
	}
	return ad, nil
}

// applyAdminUpdate changes ad in memory and validates it. hash is the new
// password's hash when up.Password is set and not blank.
func applyAdminUpdate(ctx context.Context, tx meibo.Tx, ad *meibo.Admin, up meibo.AdminUpdate, hash string) error {
	backup := ad.Builtin && ad.LoginID == meibo.BuiltinBackup
	if up.Name != nil {
		ad.Name = *up.Name
	}
	if up.Email != nil {
		ad.Email = *up.Email
	}
	if up.Notes != nil {
		ad.Notes = *up.Notes
	}
	if up.Authorities != nil {
		if backup && *up.Authorities != meibo.BackupAuthorities {
			return meibo.FieldError("authorities", "admin.backup.fixed")
		}
		ad.Authorities = *up.Authorities
	}
	if up.Groups != nil {
		if len(*up.Groups) > 0 && !ad.Authorities.Has(meibo.AuthDepartment) {
			return meibo.FieldError("groups", "admin.groups.not_department")
		}
		groups, err := resolveGroups(ctx, tx, *up.Groups)
		if err != nil {
			return err
		}
		ad.Groups = groups
	}
	if !ad.Authorities.Has(meibo.AuthDepartment) {
		// Groups limit a department administrator only: one who is no
		// longer one keeps none.
		ad.Groups = nil
	}
	if up.Disabled != nil {
		ad.Disabled = *up.Disabled
	}
	if up.Password != nil {
		if backup && *up.Password != "" {
			return meibo.FieldError("password", "admin.backup.fixed")
		}
		ad.PasswordHash = hash
		ad.PasswordChangedAt = ptr(tx.Now())
	}
	return ad.Validate()
}

// DeleteAdmin deletes an administrator. Built-ins and one's own account
// cannot be deleted, nor the last administrator who can manage
// administrators. Their history keeps their ID.
func (s *Service) DeleteAdmin(ctx context.Context, id int64) error {
	a, err := requireManager(ctx)
	if err != nil {
		return err
	}
	if a.Kind == meibo.ActorAdmin && a.ID == id {
		return meibo.Conflict("admin.self.delete")
	}
	return s.store.Update(ctx, func(tx meibo.Tx) error {
		if err := tx.Lock(ctx, "admins"); err != nil {
			return err
		}
		ad, err := tx.Admin(ctx, id)
		if err != nil {
			return err
		}
		if ad.Builtin {
			return meibo.Conflict("admin.builtin.delete", ad.LoginID)
		}
		if err := tx.DeleteAdmin(ctx, ad.ID); err != nil {
			return err
		}
		if err := ensureManager(ctx, tx); err != nil {
			return err
		}
		return s.audit(ctx, tx, "admin.delete", meibo.CategoryConfig, "admin", ad.LoginID, "", adminDetails(ad))
	})
}

// ChangeOwnPassword changes the signed-in administrator's password after
// checking the current one. Every administrator may do this, also one with
// "no viewing authority".
func (s *Service) ChangeOwnPassword(ctx context.Context, current, next string) error {
	a, err := actor(ctx)
	if err != nil {
		return err
	}
	if a.Kind != meibo.ActorAdmin {
		return meibo.Forbidden("forbidden")
	}
	var ad *meibo.Admin
	if err := s.store.View(ctx, func(tx meibo.Tx) error {
		ad, err = tx.Admin(ctx, a.ID)
		return err
	}); err != nil {
		return err
	}
	if ok, err := s.checkOwnPassword(ctx, "admin:#"+idString(ad.ID), ad.PasswordHash, current); err != nil {
		return err
	} else if !ok {
		return meibo.FieldError("currentPassword", "password.current")
	}
	if meibo.NormalizePassword(next) == meibo.NormalizePassword(current) {
		// A change that changes nothing (and the printed first-run
		// password must give way to a new one).
		return meibo.FieldError("password", "password.same")
	}
	if err := meibo.CheckPassword(next, ad.LoginID, ad.Email); err != nil {
		return err
	}
	hash, err := s.hashPassword(next)
	if err != nil {
		return err
	}
	return s.store.Update(ctx, func(tx meibo.Tx) error {
		ad, err := tx.Admin(ctx, a.ID)
		if err != nil {
			return err
		}
		ad.PasswordHash, ad.PasswordChangedAt = hash, ptr(tx.Now())
		if err := tx.UpdateAdmin(ctx, ad); err != nil {
			return err
		}
		// Other browsers signed in as this administrator are signed out,
		// and their API tokens end.
		if err := endAdminAccess(ctx, tx, ad.ID, a.Session); err != nil {
			return err
		}
		return s.audit(ctx, tx, "admin.password", meibo.CategoryConfig, "admin", ad.LoginID, "", map[string]any{"password": "changed"})
	})
}
