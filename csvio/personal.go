package csvio

import (
	"strings"

	"github.com/meibo/meibo"
)

// PersonalRecord is a row of a personal file (manual 000): the portal
// password of an existing user. Values are as in the file: never trimmed,
// case kept (only formula neutralisation is undone, as in every cell).
type PersonalRecord struct {
	UserName string
	Password string
	Passcode string // not used; a warning when not blank
	// PasswordHash is a hash made by another system (package passhash), in
	// the form meibo stores; exclusive with Password on a row.
	PasswordHash string
}

// The header items of a personal file, case-sensitive; PasswordHash is
// optional, and with it Password.
// Templates write the first three (personalWritten).
var (
	personalColumns = []string{"UserName", "Password", "Passcode", "PasswordHash"}
	personalWritten = personalColumns[:3]
)

type personalFormat struct {
	idx   [4]int   // field of UserName, Password, Passcode, PasswordHash
	names []string // column name per field
	seen  *seenSet
}

func (p *personalFormat) width() int { return len(p.names) }

func (p *personalFormat) column(i int) string {
	if i < len(p.names) {
		return p.names[i]
	}
	return colNumber(i)
}

// header takes the three items in any order. Items are case-sensitive;
// spaces around one are dropped with a warning.
func (p *personalFormat) header(r *Reader, fields []string) error {
	var h headerErrors
	p.idx = [4]int{-1, -1, -1, -1}
	p.names = make([]string, len(fields))
	hinted := [4]bool{}
	for i, raw := range fields {
		name := strings.TrimSpace(raw)
		p.names[i] = name
		if name == "" {
			p.names[i] = colNumber(i)
			h.add(colNumber(i), "csv.header.blank", i+1)
			continue
		}
		if name != raw {
			r.headerWarn(name, "csv.header.spaces", raw)
		}
		j := indexOf(personalColumns, name)
		if j < 0 {
			if k := foldIndex(personalColumns, name); k >= 0 {
				h.add(name, "csv.header.case_sensitive", name, personalColumns[k])
				hinted[k] = true
				continue
			}
			h.add(name, "csv.header.unknown", name, strings.Join(personalColumns, ", "))
			continue
		}
		if p.idx[j] >= 0 {
			h.add(name, "csv.header.duplicate", name, p.idx[j]+1, i+1)
			continue
		}
		p.idx[j] = i
	}
	for j, c := range personalColumns {
		optional := j == 3 || j == 1 && p.idx[3] >= 0
		if p.idx[j] < 0 && !hinted[j] && !optional {
			h.add(c, "csv.header.missing", c)
		}
	}
	p.seen = r.newSeenSet()
	return h.err()
}

func (p *personalFormat) record(r *Reader, rec *Record, fields []string) {
	pr := &PersonalRecord{
		UserName: composedName(rec, "UserName", Restore(fields[p.idx[0]])),
		Passcode: Restore(fields[p.idx[2]]),
	}
	if i := p.idx[1]; i >= 0 {
		pr.Password = Restore(fields[i])
	}
	if i := p.idx[3]; i >= 0 && !badCell(r, i) {
		pr.PasswordHash = readHash(rec, "PasswordHash", "Password", Restore(fields[i]), pr.Password)
	}
	rec.Personal = pr
	if !badCell(r, p.idx[0]) {
		if strings.TrimSpace(pr.UserName) == "" {
			rec.problem("UserName", "csv.personal.username.required")
		} else if err := meibo.CheckUserName(pr.UserName); err != nil {
			rec.addError("UserName", err)
		}
	}
	hashed := p.idx[3] >= 0 && strings.TrimSpace(fields[p.idx[3]]) != ""
	switch {
	case badCell(r, p.idx[1]) || badCell(r, p.idx[3]):
		// already told
	case hashed:
		// the hash (or its refusal, above) stands for the password
	case strings.TrimSpace(pr.Password) == "":
		rec.problem("Password", "csv.personal.password.required")
	default:
		checkPasswordSpaces(rec, "Password", pr.Password)
	}
	if strings.TrimSpace(pr.Passcode) != "" {
		rec.warn("Passcode", "csv.personal.passcode")
	}
	if pr.UserName != "" {
		if first, ok := p.seen.first(pr.UserName, rec.Row); ok {
			rec.problem("UserName", "csv.duplicate.username", pr.UserName, first)
		}
	}
}

// indexOf returns the index of s in list, or -1.
func indexOf(list []string, s string) int {
	for i, c := range list {
		if c == s {
			return i
		}
	}
	return -1
}

// foldIndex returns the index of the item of list that s equals but for
// case and width (full-width letters), or -1.
func foldIndex(list []string, s string) int {
	f := meibo.Fold(s)
	for i, c := range list {
		if meibo.Fold(c) == f {
			return i
		}
	}
	return -1
}
