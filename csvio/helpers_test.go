package csvio

import (
	"bytes"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/meibo/meibo"
)

// result is all that reading a file gives.
type result struct {
	detected Encoding
	warnings []Problem
	records  []*Record
	err      error // from NewReader or Next
	offset   int64
}

func readWith(r io.Reader, format string, enc Encoding, limit int64) result {
	rd, err := NewReader(r, format, enc, limit)
	if err != nil {
		return result{err: err}
	}
	res := result{}
	for {
		rec, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			res.err = err
			break
		}
		res.records = append(res.records, rec)
	}
	res.detected, res.warnings, res.offset = rd.Detected(), rd.Warnings(), rd.Offset()
	return res
}

// read reads data twice, from a seekable reader and from one that hands out
// one byte at a time and cannot seek, and requires both to give the same
// (but the records before a refusal of the file, which depend on how far
// ahead the reader had read when it met the reason).
func read(t testing.TB, data []byte, format string, enc Encoding, limit int64) result {
	t.Helper()
	a := readWith(bytes.NewReader(data), format, enc, limit)
	b := readWith(iotest.OneByteReader(bytes.NewReader(data)), format, enc, limit)
	same := fmt.Sprint(a.err) == fmt.Sprint(b.err)
	if a.err == nil && b.err == nil {
		same = reflect.DeepEqual(a.records, b.records) && reflect.DeepEqual(a.warnings, b.warnings) && a.detected == b.detected
	}
	if !same {
		t.Fatalf("seekable and one-byte readers differ:\n%s\n%s", dump(a), dump(b))
	}
	return a
}

func readFile(t testing.TB, name, format string, enc Encoding) result {
	t.Helper()
	return read(t, readTestdata(t, name), format, enc, 0)
}

func dump(r result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "detected %s err %v warnings %v\n", r.detected, r.err, r.warnings)
	for i, rec := range r.records {
		if i == 20 {
			fmt.Fprintf(&b, "  … %d more\n", len(r.records)-i)
			break
		}
		fmt.Fprintf(&b, "  %d personal=%+v user=%+v admin=%+v %v\n", rec.Row, rec.Personal, rec.User, rec.Admin, rec.Problems)
	}
	return b.String()
}

// want is a problem as tests expect it.
type want struct {
	row     int
	column  string
	key     string
	warning bool
}

func (w want) String() string {
	kind := "error"
	if w.warning {
		kind = "warning"
	}
	return fmt.Sprintf("row %d %q %s %s", w.row, w.column, w.key, kind)
}

func wants(ps []Problem) []want {
	var out []want
	for _, p := range ps {
		out = append(out, want{p.Row, p.Column, p.Msg.Key, p.Warning})
	}
	return out
}

func allProblems(res result) []Problem {
	var ps []Problem
	for _, rec := range res.records {
		ps = append(ps, rec.Problems...)
	}
	return ps
}

func checkProblems(t *testing.T, got []Problem, exp ...want) {
	t.Helper()
	g := wants(got)
	if len(g) != len(exp) {
		t.Errorf("got %d problems, want %d", len(g), len(exp))
	}
	for i := 0; i < len(g) || i < len(exp); i++ {
		switch {
		case i >= len(g):
			t.Errorf("missing: %v", exp[i])
		case i >= len(exp):
			t.Errorf("extra: %v (%s)", g[i], got[i])
		case g[i] != exp[i]:
			t.Errorf("problem %d: got %v (%s), want %v", i, g[i], got[i], exp[i])
		}
	}
}

// fileErrorKey returns the code and message key of a file-level error.
func fileErrorKey(t *testing.T, err error) (meibo.Code, string) {
	t.Helper()
	if err == nil {
		t.Fatal("no error")
	}
	return meibo.ErrorCode(err), meibo.AsError(err).Msg.Key
}
