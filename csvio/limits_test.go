package csvio

import (
	"io"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/meibo/meibo"
)

// genReader streams head, then body repeated n times, then tail, without
// ever holding more than one copy of each.
type genReader struct {
	parts []string
	n     int // repetitions of parts[1] left
	cur   string
}

func newGen(head, body string, n int, tail string) *genReader {
	return &genReader{parts: []string{head, body, tail}, n: n, cur: head}
}

func (g *genReader) Read(p []byte) (int, error) {
	for g.cur == "" {
		switch {
		case g.n > 0:
			g.n--
			g.cur = g.parts[1]
		case g.parts[2] != "":
			g.cur, g.parts[2] = g.parts[2], ""
		default:
			return 0, io.EOF
		}
	}
	k := copy(p, g.cur)
	g.cur = g.cur[k:]
	return k, nil
}

// allocated runs f and returns how many bytes it allocated on the heap.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// A header of a million columns is refused at once with one message naming
// the limit; its cells are never all read into memory.
func TestMillionColumnHeader(t *testing.T) {
	for _, format := range []string{meibo.FormatUsers, meibo.FormatPersonal, meibo.FormatDevices, meibo.FormatAdmins} {
		var err error
		n := allocated(func() {
			_, err = NewReader(newGen("name", ",column", 1_000_000, "\nalice\n"), format, Auto, 0)
		})
		e := meibo.AsError(err)
		if e.Code != meibo.CodeInvalid || e.Msg.Key != "csv.header.too_wide" || len(e.Fields) != 0 {
			t.Fatalf("%s: %v (%s, %d fields), want one csv.header.too_wide", format, err, e.Msg.Key, len(e.Fields))
		}
		want := "over the limit of " + strconv.Itoa(maxColumns(format)) + " columns"
		if got := e.Msg.In(meibo.English); !strings.Contains(got, want) {
			t.Errorf("%s: %q does not say %q", format, got, want)
		}
		if len(Problems(err)) != 1 {
			t.Errorf("%s: %d problems for the job, want 1", format, len(Problems(err)))
		}
		if n > 4<<20 {
			t.Errorf("%s: reading the header allocated %d bytes", format, n)
		}
	}
	if maxColumns(meibo.FormatAdmins) > MaxColumns || maxColumns(meibo.FormatUsers) != len(userColumns)+columnMargin {
		t.Errorf("column limits: admins %d, users %d", maxColumns(meibo.FormatAdmins), maxColumns(meibo.FormatUsers))
	}
}

// A short header with more columns than the format allows is refused the
// same way, though it is well under the byte bound.
func TestHeaderColumnLimit(t *testing.T) {
	head := "name,password,email" + strings.Repeat(",x", maxColumns(meibo.FormatUsers)-2) + "\n"
	_, err := NewReader(strings.NewReader(head), meibo.FormatUsers, Auto, 0)
	if e := meibo.AsError(err); e.Msg.Key != "csv.header.too_wide" {
		t.Errorf("%d columns: %v, want csv.header.too_wide", maxColumns(meibo.FormatUsers)+1, err)
	}
	// At the limit, the unknown columns get their own messages.
	head = "name,password,email" + strings.Repeat(",x", maxColumns(meibo.FormatUsers)-3) + "\n"
	_, err = NewReader(strings.NewReader(head), meibo.FormatUsers, Auto, 0)
	if e := meibo.AsError(err); e.Msg.Key == "csv.header.too_wide" || e.Code != meibo.CodeInvalid {
		t.Errorf("%d columns: %v, want the header's own problems", maxColumns(meibo.FormatUsers), err)
	}
}

// A 100 MB value refuses the file at the row that holds it, without the
// value ever being held whole; the rows before it are read.
func TestHugeCell(t *testing.T) {
	var recs []*Record
	var err error
	n := allocated(func() {
		rd, e := NewReader(newGen("name,password,email\nalice,,a@example.org\nbob,,", strings.Repeat("x", 1<<20), 100, "\ncarol,,\n"),
			meibo.FormatUsers, UTF8, 0)
		if e != nil {
			err = e
			return
		}
		for {
			rec, e := rd.Next()
			if e != nil {
				err = e
				return
			}
			recs = append(recs, rec)
		}
	})
	e := meibo.AsError(err)
	if e.Code != meibo.CodeInvalid || e.Msg.Key != "csv.row.too_long" {
		t.Fatalf("got %v, want csv.row.too_long", err)
	}
	want := "Row 3 is longer than the limit of " + formatSize(recordBytes(meibo.FormatUsers)) + " (at most 16 columns of 4 KiB each)"
	if got := e.Msg.In(meibo.English); !strings.HasPrefix(got, want) {
		t.Errorf("message %q, want it to start %q", got, want)
	}
	if len(recs) != 1 || recs[0].User == nil || recs[0].User.Name != "alice" {
		t.Errorf("records before the long one: %v", recs)
	}
	if n > 8<<20 {
		t.Errorf("reading a 100 MiB value allocated %d bytes", n)
	}
}

// A value over MaxCellBytes but within the row's bound is an error of its
// row and column; the rows around it are read as usual.
func TestLongCell(t *testing.T) {
	file := "name,password,email\nalice,,a@example.org\nbob,," + strings.Repeat("é", MaxCellBytes/2+1) + "\ncarol,,\n"
	res := readWith(strings.NewReader(file), meibo.FormatUsers, Auto, 0)
	if res.err != nil || len(res.records) != 3 {
		t.Fatalf("err %v, %d records", res.err, len(res.records))
	}
	bob := res.records[1]
	if bob.User != nil || len(bob.Problems) != 1 {
		t.Fatalf("row 3: %+v", bob)
	}
	p := bob.Problems[0]
	if p.Row != 3 || p.Column != "email" || p.Warning || p.String() != "Row 3, column email: The value is 4.0 KiB long, over the limit of 4 KiB per value; shorten it." {
		t.Errorf("problem %+v: %s", p, p)
	}
	if res.records[2].User == nil || res.records[2].HasErrors() {
		t.Errorf("row 4 after the long value: %+v", res.records[2])
	}
	// At the limit, the value is read.
	file = "name,password,email\nbob,," + strings.Repeat("x", MaxCellBytes) + "\n"
	res = readWith(strings.NewReader(file), meibo.FormatUsers, Auto, 0)
	if res.err != nil || len(res.records) != 1 || res.records[0].User == nil {
		t.Errorf("a value of exactly %d bytes: %v %+v", MaxCellBytes, res.err, res.records)
	}
}

// A row of the format's width with every value at the limit, all quotes,
// is within the bound of a row.
func TestWidestRowFits(t *testing.T) {
	cell := `"` + strings.Repeat(`""`, MaxCellBytes) + `"`
	row := strings.Repeat(cell+",", len(userColumns)-1) + cell
	file := strings.Join(userColumns, ",") + "\r\n" + row + "\r\n"
	res := readWith(strings.NewReader(file), meibo.FormatUsers, Auto, 0)
	if res.err != nil || len(res.records) != 1 {
		t.Fatalf("err %v, %d records", res.err, len(res.records))
	}
	for _, p := range res.records[0].Problems {
		if p.Msg.Key == "csv.cell.too_long" {
			t.Errorf("a value of %d bytes is refused: %s", MaxCellBytes, p)
		}
	}
}
