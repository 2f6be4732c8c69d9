package csvio

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"
	"unicode/utf8"

	"github.com/meibo/meibo"
)

var fuzzFormats = []string{meibo.FormatPersonal, meibo.FormatUsers, meibo.FormatAdmins}
var fuzzEncodings = []Encoding{Auto, UTF8, CP932}

// modeOf packs what FuzzRead reads a file as into one byte: the format,
// the encoding, and whether the reader can seek (else it hands out one byte
// at a time, which puts every chunk boundary everywhere). FuzzRead also
// reads two more things from the byte: whether to put the format's header
// in front of the data (so that mutations reach the rows), and a size limit.
func modeOf(format, enc int, seekable bool) byte {
	m := byte(format + 3*enc)
	if seekable {
		m += 9
	}
	return m
}

// fuzzHeaders are put in front of the data when the mode asks for it.
var fuzzHeaders = []string{
	"UserName,Password,Passcode\r\n",
	"name,password,email,admin,apiAccess,disabled,profile\r\n",
	manualTitle + "\r\n",
}

// FuzzRead reads arbitrary bytes in every format and encoding, from a
// seekable reader and from one that is not. It must never panic, and what
// it returns must keep the package's promises: rows rise, records without
// errors hold valid UTF-8 and no U+FFFD, every message is in the catalogue.
func FuzzRead(f *testing.F) {
	entries, err := os.ReadDir("testdata")
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		b, err := os.ReadFile(filepath.Join("testdata", e.Name()))
		if err != nil {
			f.Fatal(err)
		}
		for fm := range fuzzFormats {
			f.Add(b, modeOf(fm, 0, len(b)%2 == 0))
			f.Add(b, modeOf(fm, 1+len(b)%2, len(b)%2 == 1)+18)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, mode byte) {
		format := fuzzFormats[int(mode)%3]
		enc := fuzzEncodings[int(mode)/3%3]
		if mode/18%2 == 1 {
			data = append([]byte(fuzzHeaders[int(mode)%3]), data...)
		}
		var r io.Reader = bytes.NewReader(data)
		if mode/9%2 == 0 {
			r = iotest.OneByteReader(r)
		}
		limit := int64(mode/36) * 100
		checkRead(t, r, format, enc, limit)
	})
}

// checkRead reads a whole file and checks the promises of Reader.
func checkRead(t *testing.T, r io.Reader, format string, enc Encoding, limit int64) {
	rd, err := NewReader(r, format, enc, limit)
	if err != nil {
		checkFileError(t, err)
		return
	}
	for _, p := range rd.Warnings() {
		checkMsg(t, p.Msg)
	}
	last := 1
	for {
		rec, err := rd.Next()
		if err == io.EOF {
			return
		}
		if err != nil {
			checkFileError(t, err)
			return
		}
		if rec.Row <= last {
			t.Fatalf("row %d after row %d", rec.Row, last)
		}
		last = rec.Row
		n := 0
		for _, v := range []any{rec.Personal, rec.User, rec.Admin} {
			if v != nil && !isNilPtr(v) {
				n++
			}
		}
		if n > 1 {
			t.Fatalf("row %d: %d typed records", rec.Row, n)
		}
		for _, p := range rec.Problems {
			if p.Row != rec.Row {
				t.Fatalf("problem of row %d in record of row %d", p.Row, rec.Row)
			}
			checkMsg(t, p.Msg)
		}
		if rec.HasErrors() {
			continue
		}
		for _, s := range recordStrings(rec) {
			if !utf8.ValidString(s) || strings.ContainsRune(s, utf8.RuneError) {
				t.Fatalf("row %d: %q reached a record without an error", rec.Row, s)
			}
		}
	}
}

func isNilPtr(v any) bool {
	switch p := v.(type) {
	case *PersonalRecord:
		return p == nil
	case *UserRecord:
		return p == nil
	case *AdminRecord:
		return p == nil
	}
	return true
}

func recordStrings(rec *Record) []string {
	switch {
	case rec.Personal != nil:
		return []string{rec.Personal.UserName, rec.Personal.Password, rec.Personal.Passcode}
	case rec.User != nil:
		return []string{rec.User.Name, rec.User.Password, rec.User.Email, rec.User.Profile}
	case rec.Admin != nil:
		a := rec.Admin
		return []string{a.LoginID, a.Password, a.Name, a.Email, a.Notes, a.GUID}
	}
	return nil
}

func checkFileError(t *testing.T, err error) {
	t.Helper()
	c := meibo.ErrorCode(err)
	if c != meibo.CodeInvalid && c != meibo.CodeTooLarge {
		t.Fatalf("file error %v has code %s", err, c)
	}
	for _, p := range Problems(err) {
		checkMsg(t, p.Msg)
	}
}

func checkMsg(t *testing.T, m meibo.Msg) {
	t.Helper()
	if !meibo.HasMessage(m.Key) {
		t.Fatalf("message key %q is not in the catalogue", m.Key)
	}
	for _, lang := range []meibo.Lang{meibo.English, meibo.Japanese} {
		if s := m.In(lang); strings.Contains(s, "%!") {
			t.Fatalf("message %q renders badly: %s", m.Key, s)
		}
	}
}
