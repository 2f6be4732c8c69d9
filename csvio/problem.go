package csvio

import (
	"sort"

	"github.com/meibo/meibo"
)

// Problem is an error or a warning about a file that the file alone shows.
// Row counts records as a spreadsheet numbers them (the header or title line
// is row 1; 0 means the whole file). Column names the column: the header name
// for personal and users files (its expected spelling, or "#3" for the third
// column when it has no usable name), number and title for administrator
// files, e.g. "15 (Name)"; blank when the problem is about the whole row.
type Problem struct {
	Row     int
	Column  string
	Msg     meibo.Msg
	Warning bool
}

// In renders the problem for a person, e.g.
// "Row 7, column name: This is required.".
func (p Problem) In(lang meibo.Lang) string {
	switch {
	case p.Row == 0:
		return p.Msg.In(lang)
	case p.Column == "":
		return meibo.M("csv.at.row", p.Row, p.Msg.In(lang)).In(lang)
	}
	return meibo.M("csv.at.cell", p.Row, p.Column, p.Msg.In(lang)).In(lang)
}

// String renders the problem in English.
func (p Problem) String() string { return p.In(meibo.English) }

// ImportMessage returns the problem as an import job keeps it.
func (p Problem) ImportMessage() meibo.ImportMessage {
	return meibo.NewImportMessage(p.Row, p.Column, p.Msg, p.Warning)
}

// Record is one data row of a file. Exactly one of Personal, User, Admin and
// Device is set for a row that could be read as fields of the format; none is set
// when the row could not be (a CSV syntax error, a wrong number of fields, a
// blank row): Problems then says why.
//
// A record with error problems must not be written; the service may still
// check its other fields against the database to report every error at once.
type Record struct {
	Row      int
	Personal *PersonalRecord
	User     *UserRecord
	Admin    *AdminRecord
	Device   *DeviceRecord
	Problems []Problem
	// CP932 is set when the record holds other than ASCII and was read
	// as CP932 (Shift_JIS): its values may stand for stored ones that read
	// back as them (see CP932ReadBack).
	CP932 bool
}

// HasErrors reports whether any of the record's problems is an error.
func (r *Record) HasErrors() bool {
	for _, p := range r.Problems {
		if !p.Warning {
			return true
		}
	}
	return false
}

// problem adds an error about column col to the record.
func (r *Record) problem(col, key string, args ...any) {
	r.Problems = append(r.Problems, Problem{Row: r.Row, Column: col, Msg: meibo.M(key, args...)})
}

// warn adds a warning about column col to the record.
func (r *Record) warn(col, key string, args ...any) {
	r.Problems = append(r.Problems, Problem{Row: r.Row, Column: col, Msg: meibo.M(key, args...), Warning: true})
}

// addError adds the messages of a domain validation error (such as
// meibo.CheckEmail's) as errors about column col.
func (r *Record) addError(col string, err error) {
	if err == nil {
		return
	}
	e := meibo.AsError(err)
	if len(e.Fields) == 0 {
		r.Problems = append(r.Problems, Problem{Row: r.Row, Column: col, Msg: e.Msg})
		return
	}
	fields := make([]string, 0, len(e.Fields))
	for f := range e.Fields {
		fields = append(fields, f)
	}
	sort.Strings(fields)
	for _, f := range fields {
		r.Problems = append(r.Problems, Problem{Row: r.Row, Column: col, Msg: e.Fields[f]})
	}
}

// Problems returns a file-level error of NewReader or Reader.Next as
// problems to keep with an import job: a refused header (row 1) gives one per
// column it names, any other refusal of the file one for row 0. An error that
// is not a *meibo.Error (reading the file failed) gives the internal-error
// message; log the error itself.
func Problems(err error) []Problem {
	if err == nil {
		return nil
	}
	e := meibo.AsError(err)
	if len(e.Fields) == 0 {
		return []Problem{{Msg: e.Msg}}
	}
	cols := make([]string, 0, len(e.Fields))
	for c := range e.Fields {
		cols = append(cols, c)
	}
	sort.Strings(cols)
	out := make([]Problem, 0, len(cols))
	for _, c := range cols {
		out = append(out, Problem{Row: 1, Column: c, Msg: e.Fields[c]})
	}
	return out
}

// headerErrors collects the problems of a header or title line and turns
// the errors among them into one file-level error.
type headerErrors struct {
	fields map[string]meibo.Msg
	first  meibo.Msg
	n      int
}

func (h *headerErrors) add(col, key string, args ...any) { h.addMsg(col, meibo.M(key, args...)) }

// addMsg records m for column col; the first message per column wins.
func (h *headerErrors) addMsg(col string, m meibo.Msg) {
	if h.fields == nil {
		h.fields = map[string]meibo.Msg{}
	}
	if _, ok := h.fields[col]; ok {
		return
	}
	if h.n == 0 {
		h.first = m
	}
	h.fields[col] = m
	h.n++
}

// err returns nil without problems; with one, an error whose message is that
// problem's; with more, one that counts them.
func (h *headerErrors) err() error {
	switch h.n {
	case 0:
		return nil
	case 1:
		return &meibo.Error{Code: meibo.CodeInvalid, Msg: h.first, Fields: h.fields}
	}
	return &meibo.Error{Code: meibo.CodeInvalid, Msg: meibo.M("csv.header.problems", h.n), Fields: h.fields}
}

// composedName returns a user name of a record as meibo keeps names
// (meibo.NormalizeName, Unicode NFC), with a warning about column col when
// the file wrote it decomposed.
func composedName(rec *Record, col, name string) string {
	n := meibo.NormalizeName(name)
	if n != name {
		rec.warn(col, "csv.name.composed", n)
	}
	return n
}
