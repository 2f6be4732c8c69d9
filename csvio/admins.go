package csvio

import (
	"errors"
	"sort"
	"strconv"
	"strings"

	"github.com/meibo/meibo"
)

// AdminColumns is the number of columns of an administrator file (manual
// 002).
const AdminColumns = 44

// AdminRecord is a data row of an administrator file. Flag is ' ' (new), 'U'
// (modify) or 'D' (delete), or 0 when column 1 holds something else (the
// record then has an error). A half-width space reads as blank in every
// column; an authority column reads as granted only when it is "1". GUID (column 14) is kept for reference only: like columns 41–43
// and the fixed-value columns it is ignored on import.
type AdminRecord struct {
	Flag        byte
	LoginID     string
	Password    string // blank: none for a new administrator, keep on U
	Name        string
	Email       string
	Notes       string
	GUID        string
	Authorities meibo.Authorities
	// Status is column 41 as written ("0" enabled, "1" disabled): not
	// read into the administrator (disabling is done in the console), but
	// compared with it so that a file that means to disable someone is
	// told it did not.
	Status string
}

// adminTitles are the titles of the 44 columns exactly as the manual's sample
// output has them (its column 1 is a half-width space).
var adminTitles = [AdminColumns]string{
	" ", "User ID", "Password",
	"Access authority_no viewing authority", "Access authority_Log Viewer", "Access authority_Management Console",
	"Access authority_backup restoration", "Access authority_department administrator",
	"Access authority 6", "Access authority 7", "Access authority 8", "Access authority 9", "Access authority 10",
	"User identification information", "Name",
	"E-mail address 1", "E-mail address 2", "E-mail address 3", "E-mail address 4", "E-mail address 5",
	"Authority_Log Viewer 1", "Authority_Log Viewer 2", "Authority_Log Viewer 3", "Authority_Log Viewer 4",
	"Authority_Log Viewer 5", "Authority_Log Viewer 6", "Authority_Log Viewer 7", "Authority_Log Viewer 8",
	"Authority_Log Viewer 9", "Authority_Log Viewer 10",
	"Authority_Management Console 1", "Authority_Management Console 2", "Authority_Management Console 3",
	"Authority_Management Console 4", "Authority_Management Console 5", "Authority_Management Console 6",
	"Authority_Management Console 7", "Authority_Management Console 8", "Authority_Management Console 9",
	"Authority_Management Console 10",
	"Record status", "Final logon date and time", "Final password changing date and time", "Notes",
}

// The columns of an administrator file that hold values, by number.
const (
	aFlag     = 1
	aLoginID  = 2
	aPassword = 3
	aGUID     = 14
	aName     = 15
	aEmail    = 16
	aStatus   = 41
	aSignIn   = 42
	aPassTime = 43
	aNotes    = 44
)

// adminAuthorityColumns are the columns that hold an authority (the column
// number is the authority).
var adminAuthorityColumns = []int{4, 5, 6, 7, 8, 21, 22, 23, 24, 25, 26, 31, 32, 33, 34, 35, 36}

// adminIgnoredColumns are the columns whose values meibo does not read
// although a person may fill them in: e-mail addresses 2–5 (meibo keeps one
// address) and the fixed-value columns (authorities 6–10, log viewer and
// console authorities 7–10). A value there gets a warning naming the
// column. (14 and 41–43 are written by exports and read back silently.)
var adminIgnoredColumns = []int{9, 10, 11, 12, 13, 17, 18, 19, 20, 27, 28, 29, 30, 37, 38, 39, 40}

// adminColumnNames name each column in problems: "15 (Name)".
var adminColumnNames = func() (names [AdminColumns]string) {
	for i, t := range adminTitles {
		if i == 0 {
			t = "Processing Flag"
		}
		names[i] = strconv.Itoa(i+1) + " (" + t + ")"
	}
	return names
}()

// adminColumn names column n (1-based).
func adminColumn(n int) string {
	if n >= 1 && n <= AdminColumns {
		return adminColumnNames[n-1]
	}
	return strconv.Itoa(n)
}

type adminsFormat struct {
	seen *seenSet
}

func (a *adminsFormat) width() int { return AdminColumns }

func (a *adminsFormat) column(i int) string { return adminColumn(i + 1) }

// header checks the title line: 44 columns, and not a data row (a file
// without its title line would otherwise lose its first administrator).
// Its text is not checked: exports in other languages have other titles.
func (a *adminsFormat) header(r *Reader, fields []string) error {
	var h headerErrors
	if len(fields) != AdminColumns {
		h.add("", "csv.admins.title.columns", len(fields))
		return h.err()
	}
	data := true
	for _, c := range adminAuthorityColumns[:5] {
		if v := fields[c-1]; v != "0" && v != "1" {
			data = false
		}
	}
	if data {
		h.add("", "csv.admins.title.data")
		return h.err()
	}
	a.seen = r.newSeenSet()
	return nil
}

// adminValue reads a cell: a single half-width space is blank.
func adminValue(s string) string {
	if s == " " {
		return ""
	}
	return Restore(s)
}

func (a *adminsFormat) record(r *Reader, rec *Record, fields []string) {
	ar := &AdminRecord{
		LoginID:  adminValue(fields[aLoginID-1]),
		Password: adminValue(fields[aPassword-1]),
		GUID:     adminValue(fields[aGUID-1]),
		Name:     adminValue(fields[aName-1]),
		Email:    adminValue(fields[aEmail-1]),
		Notes:    adminValue(fields[aNotes-1]),
		Status:   strings.TrimSpace(fields[aStatus-1]),
	}
	rec.Admin = ar
	switch f := fields[aFlag-1]; f {
	case "", " ":
		ar.Flag = ' '
	case "U", "D":
		ar.Flag = f[0]
	default:
		if !r.isBad(aFlag - 1) {
			rec.problem(adminColumn(aFlag), "csv.admins.flag", f)
		}
	}
	for _, c := range adminAuthorityColumns {
		switch v := fields[c-1]; v {
		case "1":
			ar.Authorities = ar.Authorities.With(meibo.Authority(c))
		case "0", " ", "":
		default:
			if ar.Flag != 'D' && !r.isBad(c-1) {
				rec.problem(adminColumn(c), "csv.admins.authority", v)
			}
		}
	}
	if !r.isBad(aLoginID - 1) {
		if strings.TrimSpace(ar.LoginID) == "" {
			rec.problem(adminColumn(aLoginID), "csv.admins.id.required")
		} else {
			rec.addError(adminColumn(aLoginID), meibo.CheckAdminID(ar.LoginID))
		}
	}
	if ar.LoginID != "" {
		if first, ok := a.seen.first(ar.LoginID, rec.Row); ok {
			rec.problem(adminColumn(aLoginID), "csv.duplicate.admin", ar.LoginID, first)
		}
	}
	if ar.Flag == 'D' {
		return // only the ID matters for a deletion
	}
	for _, c := range adminIgnoredColumns {
		if v := fields[c-1]; v != "" && v != " " && !r.isBad(c-1) {
			key := "csv.admins.ignored"
			if c >= aEmail+1 && c <= aEmail+4 {
				key = "csv.admins.email.extra"
			}
			rec.warn(adminColumn(c), key, adminColumn(c))
		}
	}
	adm := meibo.Admin{LoginID: ar.LoginID, Name: ar.Name, Email: ar.Email, Notes: ar.Notes, Authorities: ar.Authorities}
	var e *meibo.Error
	if !errors.As(adm.Validate(), &e) {
		return
	}
	if len(e.Fields) == 0 {
		rec.Problems = append(rec.Problems, Problem{Row: rec.Row, Msg: e.Msg})
		return
	}
	type colMsg struct {
		n     int
		field string
		m     meibo.Msg
	}
	var found []colMsg
	for f, m := range e.Fields {
		n := adminFieldColumn(f)
		if n == aLoginID || n > 0 && r.isBad(n-1) {
			continue // reported above, or the value is unreadable
		}
		found = append(found, colMsg{n, f, m})
	}
	sort.Slice(found, func(i, j int) bool {
		if found[i].n != found[j].n {
			return found[i].n < found[j].n
		}
		return found[i].field < found[j].field
	})
	for _, c := range found {
		col := ""
		if c.n > 0 {
			col = adminColumn(c.n)
		}
		rec.Problems = append(rec.Problems, Problem{Row: rec.Row, Column: col, Msg: c.m})
	}
}

// adminFieldColumn returns the column of a field of meibo.Admin.Validate's
// error, or 0.
func adminFieldColumn(field string) int {
	field = strings.TrimPrefix(field, "authorities.")
	switch field {
	case "loginId":
		return aLoginID
	case "name":
		return aName
	case "email":
		return aEmail
	case "notes":
		return aNotes
	}
	if au, ok := meibo.AuthorityByName(field); ok {
		return au.Column()
	}
	return 0
}
