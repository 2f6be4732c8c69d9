package meibo

import (
	"regexp"
	"time"
)

// The built-in administrators.
const (
	BuiltinAdmin  = "admin"          // created at first start with every authority
	BuiltinBackup = "AUTOBACKUPUSER" // non-login; backup and restore only
)

// BackupAuthorities is what AUTOBACKUPUSER holds, always.
var BackupAuthorities = NewAuthorities(AuthBackup)

// NotesMaxColumns bounds an administrator's notes in half-width columns.
const NotesMaxColumns = 256

// Admin is a console operator (manual 002).
type Admin struct {
	ID                int64       `json:"id"`
	LoginID           string      `json:"loginId"`
	GUID              string      `json:"guid"` // "user identification information", assigned by meibo
	Name              string      `json:"name"`
	Email             string      `json:"email"`
	Notes             string      `json:"notes"`
	PasswordHash      string      `json:"-"`
	Authorities       Authorities `json:"authorities"`
	Groups            []string    `json:"groups"` // department groups, when AuthDepartment is held
	Builtin           bool        `json:"builtin"`
	Disabled          bool        `json:"disabled"`
	CreatedAt         time.Time   `json:"createdAt"`
	UpdatedAt         time.Time   `json:"updatedAt"`
	PasswordChangedAt *time.Time  `json:"passwordChangedAt"`
	LastSignInAt      *time.Time  `json:"lastSignInAt"`
}

var adminIDPattern = regexp.MustCompile(`^[A-Za-z0-9._@-]{1,64}$`)

// CheckAdminID validates an administrator ID.
func CheckAdminID(id string) error {
	if !adminIDPattern.MatchString(id) {
		return FieldError("loginId", "admin.id.format")
	}
	return nil
}

// Validate checks the administrator's own fields and authority dependencies.
func (a *Admin) Validate() error {
	var v Validation
	if err := CheckAdminID(a.LoginID); err != nil {
		v.Add("loginId", "admin.id.format")
	}
	checkText(&v, "name", a.Name, 128, false)
	if err := v.AddError("email", CheckEmail("email", a.Email)); err != nil {
		return err
	}
	if n := Columns(a.Notes); n > NotesMaxColumns {
		v.Add("notes", "admin.notes.long", n)
	} else if hasControl(a.Notes) {
		v.Add("notes", "control_chars")
	}
	// Administrators are exchanged as Shift_JIS files (manual 002): what
	// an export could not write is refused here, whoever enters it.
	// (The first message per field wins: a field already refused keeps
	// its own.)
	checkCP932(&v, "loginId", a.LoginID)
	checkCP932(&v, "name", a.Name)
	checkCP932(&v, "email", a.Email)
	checkCP932(&v, "notes", a.Notes)
	if err := v.AddError("authorities", a.Authorities.Validate()); err != nil {
		return err
	}
	if a.LoginID == BuiltinBackup && a.Builtin && (a.Authorities != BackupAuthorities || a.PasswordHash != "") {
		v.Add("authorities", "admin.backup.fixed")
	}
	return v.Err()
}

// CanSignIn reports whether the administrator may sign in at all.
func (a *Admin) CanSignIn() bool {
	return !a.Disabled && a.PasswordHash != "" && !(a.Builtin && a.LoginID == BuiltinBackup)
}

// ManagesAdmins reports whether a may manage administrators: Management
// Console authority, not limited to departments or to device functions, and
// not "no viewing authority".
func (a Authorities) ManagesAdmins() bool {
	return a.Has(AuthConsole) && !a.Has(AuthDepartment) && !a.Has(AuthDevicesOnly) && !a.Has(AuthNoViewing)
}

// IsManager reports whether the administrator is an enabled one who can sign
// in and manage administrators. The installation must always keep one.
func (a *Admin) IsManager() bool {
	return a.CanSignIn() && a.Authorities.ManagesAdmins()
}

// AdminUpdate holds the fields of an administrator to change; nil leaves a
// field as it is. The login ID never changes.
type AdminUpdate struct {
	Name        *string      `json:"name"`
	Email       *string      `json:"email"`
	Notes       *string      `json:"notes"`
	Password    *string      `json:"password"`
	Authorities *Authorities `json:"authorities"`
	Groups      *[]string    `json:"groups"`
	Disabled    *bool        `json:"disabled"`
}
