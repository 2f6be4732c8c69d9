package csvio

import (
	"bytes"
	"encoding/csv"
	"io"
	"strings"

	"github.com/meibo/meibo"
)

// Redact returns a copy of an uploaded file without its passwords (and
// password hashes), to keep in
// the import history. The password column of every data row is blanked (a
// half-width space in an administrator file, as its format writes blanks);
// every other cell is written back as it was read, and blank lines are kept
// so that the rows keep their numbers. The copy is CSV in the file's own
// encoding, with its BOM if it had one and CRLF line breaks; administrator
// files quote every field. A file that holds no password is returned as it
// is, and so is every devices file, which has no password column.
//
// ok is false when the file cannot be read cleanly enough to be written back
// (it was refused: a syntax error, bytes that are not text in its encoding):
// such a file must not be kept, since its passwords cannot be removed.
func Redact(data []byte, format string, enc Encoding) (out []byte, ok bool) {
	if format == meibo.FormatDevices {
		return data, true // no passwords, whatever the file holds
	}
	rd, err := NewReader(bytes.NewReader(data), format, enc, 0)
	if err != nil {
		return nil, false
	}
	var pws []int // the password columns, and the hash columns
	switch f := rd.f.(type) {
	case *personalFormat:
		pws = []int{f.idx[1], f.idx[3]}
	case *usersFormat:
		pws = []int{f.idx[uPassword], f.idx[uPasswordHash]}
	case *adminsFormat:
		pws = []int{aPassword - 1}
	}
	blankValue := ""
	if format == meibo.FormatAdmins {
		blankValue = " "
	}
	if len(rd.bad) > 0 {
		return nil, false
	}

	var buf bytes.Buffer
	w, err := newOutput(&buf, rd.Detected(), bytes.HasPrefix(data, bomUTF8))
	if err != nil {
		return nil, false
	}
	var line []string
	write := func(fields []string) bool {
		if format == meibo.FormatAdmins {
			var b []byte
			for i, f := range fields {
				if i > 0 {
					b = append(b, ',')
				}
				b = append(b, '"')
				b = append(b, strings.ReplaceAll(f, `"`, `""`)...)
				b = append(b, '"')
			}
			b = append(b, '\r', '\n')
			_, err := w.Write(b)
			return err == nil
		}
		cw := csv.NewWriter(w)
		cw.UseCRLF = true
		cw.Write(fields)
		cw.Flush()
		return cw.Error() == nil
	}
	if !write(rd.header) {
		return nil, false
	}
	found := false
	last := rd.row
	for {
		fields, perr, err := rd.read()
		if err == io.EOF {
			break
		}
		if err != nil || perr != nil || len(rd.bad) > 0 {
			return nil, false
		}
		for ; last+1 < rd.row; last++ {
			if _, err := w.Write([]byte("\r\n")); err != nil {
				return nil, false
			}
		}
		last = rd.row
		line = append(line[:0], fields...)
		for _, pw := range pws {
			if pw >= 0 && pw < len(line) && line[pw] != "" && line[pw] != blankValue {
				line[pw] = blankValue
				found = true
			}
		}
		if !write(line) {
			return nil, false
		}
	}
	if !found {
		return data, true
	}
	return buf.Bytes(), true
}
