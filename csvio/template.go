package csvio

import (
	"encoding/csv"
	"io"

	"github.com/meibo/meibo"
)

// TemplateFormats are the formats that have a template, in the order the
// console lists them.
var TemplateFormats = []string{meibo.FormatUsers, meibo.FormatPersonal, meibo.FormatDevices, meibo.FormatAdmins}

// The example rows of the templates. They import as they are (a dry run of
// each is tested): the users row into a group without user001, the personal
// row into a group with user001, the devices row into a group with user001
// and an enrolled device whose serial number is DMPX1234ABCD, the
// administrator row into an installation without operator01. The password
// passes the password policy; the administrator's name is Japanese so that
// a Shift_JIS template shows the encoding at work.
const (
	templatePassword = "Sakura-Tokei-2718"
	templateUser     = "user001"
	templateSerial   = "DMPX1234ABCD"
	templateAdmin    = "operator01"
)

// templates are the header and example row of each header-driven format.
var templates = map[string][2][]string{
	meibo.FormatUsers: {userWritten,
		{templateUser, templatePassword, "user001@example.com", "false", "false", "false", ""}},
	meibo.FormatPersonal: {personalWritten,
		{templateUser, templatePassword, ""}},
	meibo.FormatDevices: {deviceColumns,
		{"iPad 01", templateSerial, templateUser}},
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
	f[aPassword-1] = templatePassword
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
	t, ok := templates[format]
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
	if t, ok := templates[format]; ok {
		return append([]string(nil), t[0]...)
	}
	return nil
}
