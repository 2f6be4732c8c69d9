package csvio

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/meibo/meibo"
)

// label is a word of a message in both languages, such as a field's name.
type label struct{ en, ja string }

// In implements meibo.Localized.
func (l label) In(lang meibo.Lang) string {
	if lang == meibo.Japanese {
		return l.ja
	}
	return l.en
}

// MarshalJSON writes the English word, so that a stored message stays readable.
func (l label) MarshalJSON() ([]byte, error) { return json.Marshal(l.en) }

// Words of the export messages.
var (
	kindUser  = label{"user", "ユーザー"}
	kindAdmin = label{"administrator", "管理者"}

	fieldName    = label{"name", "名前"}
	fieldEmail   = label{"e-mail", "メールアドレス"}
	fieldProfile = label{"profile", "プロファイル"}
	fieldLoginID = label{"user ID", "ユーザーID"}
	fieldGUID    = label{"user identification information", "ユーザー識別情報"}
	fieldNotes   = label{"notes", "備考"}
)

// newOutput returns where a writer writes its UTF-8 text: w itself (after a
// BOM if asked) or an encoder to CP932 in front of it. bom applies to UTF-8
// only.
func newOutput(w io.Writer, enc Encoding, bom bool) (io.Writer, error) {
	switch enc {
	case UTF8:
		if bom {
			if _, err := w.Write(bomUTF8); err != nil {
				return nil, writeError(err)
			}
		}
		return w, nil
	case CP932:
		return &cp932Writer{w: w}, nil
	}
	return nil, meibo.FieldError("encoding", "csv.encoding.write", string(enc))
}

// writeError wraps an error of the writer underneath, or returns nil.
func writeError(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("csvio: writing the file: %w", err)
}

// prepare returns a value as the file will hold it, or refuses one that the
// file could not hold as it is: a character the encoding lacks, invalid
// UTF-8, or a CR (which encoding/csv drops when it writes, and turns CRLF
// into LF when it reads, so that it would not read back). For CP932, a value that cannot be written as it is
// is tried again in Unicode NFC. kind and id name the record, field the
// field.
func prepare(enc Encoding, kind label, id string, field label, s string) (string, error) {
	if strings.IndexByte(s, '\r') >= 0 {
		return "", meibo.Errorf(meibo.CodeInvalid, "csv.encode.cr", field, kind, id)
	}
	if !utf8.ValidString(s) {
		return "", meibo.Errorf(meibo.CodeInvalid, "csv.encode.utf8", field, kind, id)
	}
	if enc != CP932 {
		return s, nil
	}
	r, ok := cp932Check(s)
	if ok {
		return s, nil
	}
	if n := norm.NFC.String(s); n != s {
		if _, ok := cp932Check(n); ok {
			return n, nil
		}
	}
	return "", meibo.Errorf(meibo.CodeInvalid, "csv.encode.cp932", showRune(r), field, kind, id)
}

// showRune renders a character for a message: "U+1F600 😀", or the code
// alone for one that does not show by itself (spaces, controls, combining
// marks).
func showRune(r rune) string {
	s := "U+" + strings.ToUpper(strconv.FormatInt(int64(r), 16))
	for len(s) < 6 {
		s = "U+0" + s[2:]
	}
	if unicode.IsGraphic(r) && !unicode.IsSpace(r) && !unicode.Is(unicode.M, r) {
		s += " " + string(r)
	}
	return s
}

func formatBool(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// UsersWriter writes a users file (users.csv): the columns
// name,password,email,admin,apiAccess,disabled,profile, the password always
// blank, booleans as true/false, CRLF line breaks. Call Flush at the end.
//
// Write refuses a user with a value the file cannot hold (see prepare)
// before writing any of it; the output so far is then incomplete and must
// be thrown away.
type UsersWriter struct {
	cw  *csv.Writer
	enc Encoding
	rec [7]string
}

// NewUsersWriter starts a users file on w in enc (UTF8, with a BOM if bom,
// or CP932) and writes its header.
func NewUsersWriter(w io.Writer, enc Encoding, bom bool) (*UsersWriter, error) {
	out, err := newOutput(w, enc, bom)
	if err != nil {
		return nil, err
	}
	cw := csv.NewWriter(out)
	cw.UseCRLF = true
	if err := cw.Write(userWritten); err != nil {
		return nil, writeError(err)
	}
	return &UsersWriter{cw: cw, enc: enc}, nil
}

// Write writes one user; u.ProfileName is written as its profile.
func (w *UsersWriter) Write(u *meibo.User) error {
	name, err := prepare(w.enc, kindUser, u.Name, fieldName, Neutralise(u.Name))
	if err != nil {
		return err
	}
	email, err := prepare(w.enc, kindUser, u.Name, fieldEmail, Neutralise(u.Email))
	if err != nil {
		return err
	}
	profile, err := prepare(w.enc, kindUser, u.Name, fieldProfile, Neutralise(u.ProfileName))
	if err != nil {
		return err
	}
	w.rec = [7]string{name, "", email, formatBool(u.Admin), formatBool(u.APIAccess), formatBool(u.Disabled), profile}
	return writeError(w.cw.Write(w.rec[:]))
}

// Flush writes out what is buffered and reports any error of writing.
func (w *UsersWriter) Flush() error {
	w.cw.Flush()
	return writeError(w.cw.Error())
}

// AdminsWriter writes an administrator file (manual 002): the title line,
// then 44 columns per administrator, every field quoted, CRLF line breaks,
// the file ending with a line break. Column 1 (flag) and 3 (password) and
// the fixed-value columns are a half-width space; so is any blank value.
// Authorities are 1 or 0, column 14 the GUID, 41 the record status ("0"
// enabled, "1" disabled), 42 and 43 the last sign-in and password change as
// YYYYMMDDhhmmss (a half-width space if never). Call Flush at the end.
//
// Write refuses an administrator with a value the file cannot hold before
// writing any of it; the output so far must then be thrown away.
type AdminsWriter struct {
	bw   *bufio.Writer
	out  io.Writer // bw, or a CP932 encoder in front of it
	enc  Encoding
	loc  *time.Location
	line []byte
}

// NewAdminsWriter starts an administrator file on w in enc (UTF8, with a BOM
// if bom, or CP932) and writes its title line. Times are written in loc
// (nil: UTC).
func NewAdminsWriter(w io.Writer, enc Encoding, bom bool, loc *time.Location) (*AdminsWriter, error) {
	bw := bufio.NewWriterSize(w, 64<<10)
	out, err := newOutput(bw, enc, bom)
	if err != nil {
		return nil, err
	}
	if loc == nil {
		loc = time.UTC
	}
	aw := &AdminsWriter{bw: bw, out: out, enc: enc, loc: loc}
	aw.line = aw.line[:0]
	for i, t := range adminTitles {
		aw.field(i, t)
	}
	if err := aw.end(); err != nil {
		return nil, err
	}
	return aw, nil
}

// field appends field i (0-based) to the line, quoted.
func (w *AdminsWriter) field(i int, s string) {
	if i > 0 {
		w.line = append(w.line, ',')
	}
	w.line = append(w.line, '"')
	for {
		j := strings.IndexByte(s, '"')
		if j < 0 {
			break
		}
		w.line = append(w.line, s[:j+1]...)
		w.line = append(w.line, '"')
		s = s[j+1:]
	}
	w.line = append(w.line, s...)
	w.line = append(w.line, '"')
}

// end finishes the line and writes it.
func (w *AdminsWriter) end() error {
	w.line = append(w.line, '\r', '\n')
	_, err := w.out.Write(w.line)
	w.line = w.line[:0]
	return writeError(err)
}

// adminText returns a text value as written: neutralised, a blank one as a
// half-width space.
func adminText(s string) string {
	if s == "" {
		return " "
	}
	return Neutralise(s)
}

func (w *AdminsWriter) stamp(t *time.Time) string {
	if t == nil || t.IsZero() {
		return " "
	}
	return t.In(w.loc).Format("20060102150405")
}

// adminTextColumns are the text columns of an administrator file that are
// written from the administrator's values.
var adminTextColumns = []struct {
	n     int
	field label
}{{aLoginID, fieldLoginID}, {aGUID, fieldGUID}, {aName, fieldName}, {aEmail, fieldEmail}, {aNotes, fieldNotes}}

// Write writes one administrator.
func (w *AdminsWriter) Write(a *meibo.Admin) error {
	var f [AdminColumns]string
	for i := range f {
		f[i] = " "
	}
	f[aLoginID-1] = adminText(a.LoginID)
	f[aGUID-1] = adminText(a.GUID)
	f[aName-1] = adminText(a.Name)
	f[aEmail-1] = adminText(a.Email)
	f[aNotes-1] = adminText(a.Notes)
	for _, c := range adminTextColumns {
		v, err := prepare(w.enc, kindAdmin, a.LoginID, c.field, f[c.n-1])
		if err != nil {
			return err
		}
		f[c.n-1] = v
	}
	for _, c := range adminAuthorityColumns {
		f[c-1] = "0"
		if a.Authorities.Has(meibo.Authority(c)) {
			f[c-1] = "1"
		}
	}
	f[aStatus-1] = "0"
	if a.Disabled {
		f[aStatus-1] = "1"
	}
	f[aSignIn-1] = w.stamp(a.LastSignInAt)
	f[aPassTime-1] = w.stamp(a.PasswordChangedAt)
	for i, s := range f {
		w.field(i, s)
	}
	return w.end()
}

// Flush writes out what is buffered and reports any error of writing.
func (w *AdminsWriter) Flush() error { return writeError(w.bw.Flush()) }

// ErrorsWriter writes the problems of an import job as a CSV file for a
// person: columns row,column,severity,message; UTF-8 with a BOM (so that
// Excel reads it as UTF-8), CRLF. Row 0 (the whole file) is written blank,
// severity as "error" or "warning", the message in the language asked.
type ErrorsWriter struct {
	cw   *csv.Writer
	lang meibo.Lang
	rec  [4]string
}

// NewErrorsWriter starts a problems file on w and writes its header.
func NewErrorsWriter(w io.Writer, lang meibo.Lang) (*ErrorsWriter, error) {
	out, err := newOutput(w, UTF8, true)
	if err != nil {
		return nil, err
	}
	cw := csv.NewWriter(out)
	cw.UseCRLF = true
	if err := cw.Write([]string{"row", "column", "severity", "message"}); err != nil {
		return nil, writeError(err)
	}
	return &ErrorsWriter{cw: cw, lang: lang}, nil
}

// Write writes one problem.
func (w *ErrorsWriter) Write(m meibo.ImportMessage) error {
	row := ""
	if m.Row > 0 {
		row = strconv.Itoa(m.Row)
	}
	// The severity in the language of the messages beside it.
	severity := "error"
	if m.Warning {
		severity = "warning"
	}
	if w.lang == meibo.Japanese {
		severity = map[string]string{"error": "エラー", "warning": "警告"}[severity]
	}
	msg := m.Text
	if w.lang == meibo.Japanese && m.TextJA != "" {
		msg = m.TextJA
	}
	w.rec = [4]string{row, Neutralise(m.Column), severity, Neutralise(msg)}
	return writeError(w.cw.Write(w.rec[:]))
}

// Flush writes out what is buffered and reports any error of writing.
func (w *ErrorsWriter) Flush() error {
	w.cw.Flush()
	return writeError(w.cw.Error())
}

// WriteErrors writes msgs as a problems file (see ErrorsWriter).
func WriteErrors(w io.Writer, msgs []meibo.ImportMessage, lang meibo.Lang) error {
	ew, err := NewErrorsWriter(w, lang)
	if err != nil {
		return err
	}
	for _, m := range msgs {
		if err := ew.Write(m); err != nil {
			return err
		}
	}
	return ew.Flush()
}
