package csvio

import (
	"strings"

	"github.com/meibo/meibo"
)

// UserRecord is a row of a users file (manual 001). The Has fields say
// whether the optional column is in the file at all, so that an update can
// keep the values of absent columns. A blank Password means "none" for a new
// user and "keep" for an update; its length is the service's policy. Email
// may be blank (the column must be there): a user need not have an address.
type UserRecord struct {
	Name      string
	Password  string
	Email     string
	Profile   string // blank: the default profile
	Admin     bool
	APIAccess bool
	Disabled  bool
	// PasswordHash is a hash made by another system (package passhash), in
	// the form meibo stores; exclusive with Password on a row.
	PasswordHash string

	HasAdmin     bool
	HasAPIAccess bool
	HasDisabled  bool
	HasProfile   bool
}

// The columns of a users file; the first three are required.
const (
	uName = iota
	uPassword
	uEmail
	uAdmin
	uAPIAccess
	uDisabled
	uProfile
	uPasswordHash
	uCount
)

// userColumns are the columns read; exports and templates write all but
// passwordHash (userWritten).
var (
	userColumns = []string{"name", "password", "email", "admin", "apiAccess", "disabled", "profile", "passwordHash"}
	userWritten = userColumns[:uPasswordHash]
)

type usersFormat struct {
	namedColumns
	seen *seenSet
}

// header takes the columns in any order. A name that differs only in case
// or width ("Email", "ＥＭＡＩＬ") is taken with a warning that gives the
// expected spelling; spaces around a name are dropped with a warning.
func (u *usersFormat) header(r *Reader, fields []string) error {
	var h headerErrors
	u.read(r, &h, userColumns, fields)
	for j := uName; j <= uEmail; j++ {
		// A file of hashes needs no password column.
		if u.idx[j] < 0 && (j != uPassword || u.idx[uPasswordHash] < 0) {
			h.add(userColumns[j], "csv.header.missing", userColumns[j])
		}
	}
	u.seen = r.newSeenSet()
	return h.err()
}

func (u *usersFormat) record(r *Reader, rec *Record, fields []string) {
	ur := &UserRecord{
		Name:  composedName(rec, "name", Restore(fields[u.idx[uName]])),
		Email: Restore(fields[u.idx[uEmail]]),
	}
	if i := u.idx[uPassword]; i >= 0 {
		ur.Password = Restore(fields[i])
	}
	rec.User = ur
	if !r.isBad(u.idx[uName]) {
		rec.addError("name", meibo.CheckUserName(ur.Name))
	}
	if i := u.idx[uPassword]; i >= 0 && !r.isBad(i) {
		checkPasswordSpaces(rec, "password", ur.Password)
	}
	if i := u.idx[uPasswordHash]; i >= 0 && !r.isBad(i) {
		ur.PasswordHash = readHash(rec, "passwordHash", "password", Restore(fields[i]), ur.Password)
	}
	if !r.isBad(u.idx[uEmail]) {
		rec.addError("email", meibo.CheckEmail("email", ur.Email))
	}
	ur.Admin, ur.HasAdmin = u.bool(r, rec, fields, uAdmin)
	ur.APIAccess, ur.HasAPIAccess = u.bool(r, rec, fields, uAPIAccess)
	ur.Disabled, ur.HasDisabled = u.bool(r, rec, fields, uDisabled)
	if i := u.idx[uProfile]; i >= 0 {
		ur.Profile, ur.HasProfile = Restore(fields[i]), true
	}
	if ur.Name != "" {
		if first, ok := u.seen.first(ur.Name, rec.Row); ok {
			rec.problem("name", "csv.duplicate.name", ur.Name, first)
		}
	}
}

// bool reads optional boolean column j: true/false or 1/0 in any case,
// blank for false.
func (u *usersFormat) bool(r *Reader, rec *Record, fields []string, j int) (v, has bool) {
	i := u.idx[j]
	if i < 0 {
		return false, false
	}
	v, ok := parseBool(fields[i])
	if !ok && !r.isBad(i) {
		rec.problem(userColumns[j], "csv.bool", fields[i])
	}
	return v, true
}

// parseBool reads true/false, 1/0 (any case); blank is false.
func parseBool(s string) (v, ok bool) {
	switch {
	case s == "", s == "0", strings.EqualFold(s, "false"):
		return false, true
	case s == "1", strings.EqualFold(s, "true"):
		return true, true
	}
	return false, false
}
