package csvio

import (
	"crypto/rand"
	"encoding/csv"
	"io"
	"math/big"
	"regexp"

	"github.com/meibo/meibo"
)

// TemplateFormats are the formats that have a template, in the order the
// console lists them.
var TemplateFormats = []string{meibo.FormatUsers, meibo.FormatPersonal, meibo.FormatDevices, meibo.FormatAdmins}

// The example rows of the templates. They import as they are (a dry run of
// each is tested): the users row into a group without user001, the personal
// row into a group with user001, the devices row into a group with user001
// and an enrolled device whose serial number is DMPX1234ABCD, the
// administrator row into an installation without operator01. The
// administrator's name is Japanese so that a Shift_JIS template shows the
// encoding at work.
const (
	templateUser   = "user001"
	templateSerial = "DMPX1234ABCD"
	templateAdmin  = "operator01"
)

// templatePassword is the example rows' password: new for every template
// written (a template imported as it is must not give a user, let alone an
// administrator, a password anyone could read in the source), in three
// groups of an upper-case letter, two lower-case ones and a digit ("Kqm7-
// Wzp3-Rtx9", about 50 bits), which the password policy accepts.
func templatePassword() string {
	const upper, lower, digit = "ABCDEFGHJKLMNPQRSTUVWXYZ", "abcdefghijkmnpqrstuvwxyz", "23456789"
	pick := func(set string) byte {
		n, err := rand.Int(rand.Reader, big.NewInt(int64(len(set))))
		if err != nil {
			panic(err) // crypto/rand does not fail on supported systems
		}
		return set[n.Int64()]
	}
	var b []byte
	for i := range 3 {
		if i > 0 {
			b = append(b, '-')
		}
		b = append(b, pick(upper), pick(lower), pick(lower), pick(digit))
	}
	return string(b)
}

// TemplatePassword matches the example password of a template (new in each
// one): to compare two templates, replace it in both.
var TemplatePassword = regexp.MustCompile(`[A-Z][a-z]{2}[2-9]-[A-Z][a-z]{2}[2-9]-[A-Z][a-z]{2}[2-9]`)

// templates returns the header and example row of each header-driven
// format.
func templates() map[string][2][]string {
	pw := templatePassword()
	return map[string][2][]string{
		meibo.FormatUsers: {userWritten,
			{templateUser, pw, "user001@example.com", "false", "false", "false", ""}},
		meibo.FormatPersonal: {personalWritten,
			{templateUser, pw, ""}},
		meibo.FormatDevices: {deviceColumns,
			{"iPad 01", templateSerial, templateUser}},
	}
}

// templateAdminRow is the example row of an administrator file: a new
// administrator with Management Console, "import CSV file" and "save CSV
// file" (columns 6, 31 and 32); the other authorities 0, the fixed-value
// and ignored columns a half-width space.
func templateAdminRow() [AdminColumns]string {
	var f [AdminColumns]string
	for i := range f {
		f[i] = " "
	}
	for _, c := range adminAuthorityColumns {
		f[c-1] = "0"
	}
	f[aLoginID-1] = templateAdmin
	f[aPassword-1] = templatePassword()
	f[aName-1] = "山田 太郎"
	f[aEmail-1] = "operator01@example.com"
	for _, c := range []meibo.Authority{meibo.AuthConsole, meibo.AuthImport, meibo.AuthExport} {
		f[c.Column()-1] = "1"
	}
	return f
}

// TemplateName returns the file name of format's template, such as
// "meibo-users-template.csv".
func TemplateName(format string) string { return "meibo-" + format + "-template.csv" }

// WriteTemplate writes a file to start from in format: its header (for
// administrator files, the title line) and one example row, in enc (UTF8,
// with a BOM if bom, or CP932), written as the format's exports are
// (administrator files: every field quoted; CRLF line breaks).
func WriteTemplate(w io.Writer, format string, enc Encoding, bom bool) error {
	out, err := newOutput(w, enc, bom)
	if err != nil {
		return err
	}
	if format == meibo.FormatAdmins {
		aw := &AdminsWriter{out: out, enc: enc}
		for i, t := range adminTitles {
			aw.field(i, t)
		}
		if err := aw.end(); err != nil {
			return err
		}
		for i, v := range templateAdminRow() {
			aw.field(i, v)
		}
		return aw.end()
	}
	t, ok := templates()[format]
	if !ok {
		return meibo.FieldError("format", "csv.format.unknown", format)
	}
	cw := csv.NewWriter(out)
	cw.UseCRLF = true
	if err := cw.Write(t[0]); err != nil {
		return writeError(err)
	}
	if err := cw.Write(t[1]); err != nil {
		return writeError(err)
	}
	cw.Flush()
	return writeError(cw.Error())
}

// Header returns the columns of format as a file of it names them: for
// users, personal and devices files every known header name in the order
// exports and templates write them, for administrator files the 44 titles of the title line as
// exports write it (column 1's is a half-width space). It returns nil for
// an unknown format.
func Header(format string) []string {
	if format == meibo.FormatAdmins {
		return append([]string(nil), adminTitles[:]...)
	}
	if t, ok := templates()[format]; ok {
		return append([]string(nil), t[0]...)
	}
	return nil
}
