package csvio

import (
	"bytes"
	"io"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
	"unicode/utf8"

	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/transform"
	"golang.org/x/text/width"

	"github.com/meibo/meibo"
)

func cp932Bytes(code uint16) []byte {
	if code < 0x100 {
		return []byte{byte(code)}
	}
	return []byte{byte(code >> 8), byte(code)}
}

// TestCP932Table checks the table the writers encode with against
// golang.org/x/text over the whole BMP: every character x/text can write is
// written so that it reads back as itself (as x/text writes it, or as the
// IBM code of the same character); every character it cannot write can't be
// written either unless it is in cp932Compat; and cp932Compat holds exactly
// the JIS variants, JIS X 0201's two, and the characters that CP932 lacks
// but whose width.Widen form it has.
func TestCP932Table(t *testing.T) {
	enc := japanese.ShiftJIS.NewEncoder()
	dec := japanese.ShiftJIS.NewDecoder()
	table := cp932Codes()
	decode := func(b []byte) rune {
		s, err := dec.Bytes(b)
		if err != nil {
			t.Fatal(err)
		}
		r, n := utf8.DecodeRune(s)
		if n != len(s) {
			return utf8.RuneError
		}
		return r
	}
	jis := map[rune]bool{0x2014: true, 0x2016: true, 0x2212: true, 0x301C: true, 0x00A2: true, 0x00A3: true, 0x00AC: true, 0x00A5: true, 0x203E: true}
	ibm := 0
	for r := rune(0x80); r < 0x10000; r++ {
		if r >= 0xD800 && r < 0xE000 {
			continue
		}
		xb, xerr := enc.Bytes([]byte(string(r)))
		code := table[r]
		target, mapped := cp932Compat[r]
		switch {
		case mapped:
			if xerr == nil {
				t.Errorf("%U is in cp932Compat but x/text writes it", r)
			}
			if code == 0 || code != table[target] || decode(cp932Bytes(code)) != target {
				t.Errorf("%U → %U: code %04X", r, target, code)
			}
			if w := []rune(width.Widen.String(string(r))); !jis[r] && (len(w) != 1 || w[0] != target) {
				t.Errorf("%U → %U is not its full-width form", r, target)
			}
		case xerr != nil:
			if code != 0 {
				t.Errorf("%U: x/text cannot write it, table has %04X", r, code)
			}
			if w := width.Widen.String(string(r)); w != string(r) && utf8.RuneCountInString(w) == 1 && w[0] >= utf8.RuneSelf {
				if _, err := enc.String(w); err == nil && r != 0x3099 && r != 0x309A {
					t.Errorf("%U: CP932 has its full-width form %s; add it to cp932Compat", r, w)
				}
			}
		default:
			if code == 0 {
				t.Errorf("%U: x/text writes it, the table not", r)
				continue
			}
			if got := decode(cp932Bytes(code)); got != r {
				t.Errorf("%U: written as %04X, reads back as %U", r, code, got)
			}
			if !bytes.Equal(cp932Bytes(code), xb) {
				if xb[0] != 0xED && xb[0] != 0xEE || code>>8 < 0xFA || code>>8 > 0xFC {
					t.Errorf("%U: written as %04X, x/text writes % X", r, code, xb)
				}
				ibm++
			}
		}
	}
	// The 374 NEC-selected IBM extensions but ￢, which JIS has (0x81CA).
	if ibm != 373 {
		t.Errorf("%d characters written as IBM extensions instead of NEC-selected ones, want 373", ibm)
	}
	for r, code := range map[rune]uint16{
		'髙': 0xFBFC, '﨑': 0xFAB1, '纊': 0xFA5C, 'ⅰ': 0xFA40, '￤': 0xFA55, // IBM, not NEC-selected
		'①': 0x8740, '㈱': 0x878A, '№': 0x8782, 'Ⅰ': 0x8754, // NEC row 13, not IBM
		'∵': 0x81E6, '￢': 0x81CA, '≒': 0x81E0, // JIS, not NEC or IBM
		'ｱ': 0xB1, 'ソ': 0x835C, '表': 0x955C, '〜': 0x8160, '¥': 0x818F,
	} {
		if table[r] != code {
			t.Errorf("%c: %04X, want %04X", r, table[r], code)
		}
	}
}

// sjisReadAll decodes b with the package's decoder, as the reader does.
func sjisReadAll(b []byte) (string, []badBytes) {
	d := newDecoder(CP932, 0)
	out, err := io.ReadAll(transform.NewReader(bytes.NewReader(b), d))
	if err != nil {
		panic(err)
	}
	return string(out), d.pending
}

// The decoder writes what x/text writes for every one- and two-byte
// sequence, but one U+FFFD (and a bad-byte record with the right bytes and
// offset) for each run of bad bytes, including a lone 0x80.
func TestCP932DecoderExhaustive(t *testing.T) {
	x := japanese.ShiftJIS.NewDecoder()
	check := func(in []byte) {
		xs, err := x.Bytes(in)
		if err != nil {
			t.Fatal(err)
		}
		// What the package must give: x/text's text, with U+0080 as bad and
		// runs of bad characters as one U+FFFD.
		want := strings.ReplaceAll(string(xs), "\u0080", "\uFFFD")
		for strings.Contains(want, "\uFFFD\uFFFD") {
			want = strings.ReplaceAll(want, "\uFFFD\uFFFD", "\uFFFD")
		}
		got, bad := sjisReadAll(in)
		if got != want {
			t.Fatalf("% X: got %q, want %q", in, got, want)
		}
		if n := strings.Count(got, "\uFFFD"); n != len(bad) {
			t.Fatalf("% X: %d U+FFFD, %d records", in, n, len(bad))
		}
		for _, b := range bad {
			if b.file < 0 || int(b.file)+b.n > len(in) || !bytes.HasPrefix(in[b.file:], b.b[:min(b.n, 4)]) {
				t.Fatalf("% X: bad record %+v", in, b)
			}
			if got[b.dec:b.dec+3] != "\uFFFD" {
				t.Fatalf("% X: decoded offset %d", in, b.dec)
			}
		}
	}
	for a := 0; a < 256; a++ {
		check([]byte{'x', byte(a), 'y'})
		check([]byte{byte(a)})
		for b := 0; b < 256; b++ {
			check([]byte{byte(a), byte(b)})
			check([]byte{'[', byte(a), byte(b), ','})
		}
	}
}

// Each bad byte run of a long file is found whatever the chunking.
func TestDecoderOffsets(t *testing.T) {
	var buf bytes.Buffer
	var want []int
	for i := range 3000 {
		buf.WriteString("\x8e\x52\x93\x63,")
		if i%97 == 0 {
			want = append(want, buf.Len())
			buf.WriteString("\x85\x40")
		}
		buf.WriteString("\n")
	}
	for _, enc := range []Encoding{CP932, ""} {
		d := newDecoder(enc, 0)
		out, err := io.ReadAll(transform.NewReader(iotestHalf(buf.Bytes()), d))
		if err != nil {
			t.Fatal(err)
		}
		if len(d.pending) != len(want) {
			t.Fatalf("%q: %d runs, want %d", enc, len(d.pending), len(want))
		}
		for i, b := range d.pending {
			if b.file != int64(want[i]) || b.hex() != "0x85 0x40" || string(out[b.dec:b.dec+3]) != "\uFFFD" {
				t.Errorf("%q: run %d: %+v, want at %d", enc, i, b, want[i])
			}
		}
	}
}

// iotestHalf reads b in pieces of odd sizes.
func iotestHalf(b []byte) io.Reader { return &oddReader{b: b} }

type oddReader struct {
	b []byte
	n int
}

func (o *oddReader) Read(p []byte) (int, error) {
	if len(o.b) == 0 {
		return 0, io.EOF
	}
	o.n = o.n%7 + 1
	k := copy(p[:min(len(p), o.n*37)], o.b)
	o.b = o.b[k:]
	return k, nil
}

func TestUTF8DecoderRuns(t *testing.T) {
	for in, want := range map[string][]string{
		"abc":                       nil,
		"a\xffb":                    {"0xFF"},
		"a\xff\xfeb":                {"0xFF 0xFE"},
		"\x93\xfa\x96\x7b":          {"0x93 0xFA 0x96"},
		"\xe3\x81":                  {"0xE3 0x81"},
		"\xe3\x81x":                 {"0xE3 0x81"},
		"x\ufffdy":                  {"literal"},
		"\xff\ufffd":                {"0xFF", "literal"},
		"\xff\xff\xff\xff\xff\xffa": {"0xFF 0xFF 0xFF 0xFF …"},
		"日本\xc0\xaf":                {"0xC0 0xAF"},
	} {
		d := newDecoder(UTF8, 0)
		out, err := io.ReadAll(transform.NewReader(strings.NewReader(in), d))
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, b := range d.pending {
			if b.literal {
				got = append(got, "literal")
			} else {
				got = append(got, b.hex())
			}
		}
		if strings.Join(got, "|") != strings.Join(want, "|") || strings.Count(string(out), "\uFFFD") != len(want) || !utf8.Valid(out) {
			t.Errorf("%q: got %v %q, want %v", in, got, out, want)
		}
	}
}

// A file with bad bytes in every row keeps only the runs of the rows read
// ahead, not all of them.
func TestDecoderPendingBounded(t *testing.T) {
	var buf bytes.Buffer
	buf.WriteString("name,password,email\r\n")
	for i := range 20000 {
		buf.WriteString("u")
		buf.WriteString(strings.Repeat("x", i%13))
		buf.WriteString("\x85\x40,pw,\r\n")
	}
	rd, err := NewReader(bytes.NewReader(buf.Bytes()), "users", CP932, 0)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for {
		rec, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if len(rec.Problems) == 0 || rec.Problems[0].Msg.Key != "csv.bytes.cp932" {
			t.Fatalf("row %d: %v", rec.Row, rec.Problems)
		}
		n++
	}
	if n != 20000 || cap(rd.dec.pending) > 2048 {
		t.Errorf("%d rows, %d runs kept", n, cap(rd.dec.pending))
	}
}

// More bad runs than the decoder keeps: the cells are still reported.
func TestDecoderPendingOverflow(t *testing.T) {
	var buf bytes.Buffer
	buf.WriteString("name,password,email,profile\r\n")
	buf.WriteString("a,pw,,\"" + strings.Repeat("x\x85\x40", maxPending+500) + "\"\r\n")
	buf.WriteString("b\x85\x40,pw,,\r\n")
	buf.WriteString("c,pw\xa0,,\r\n")
	buf.WriteString("d,pw,,\r\n")
	// Whether the later runs keep their offsets depends on how far the
	// reader had read ahead: compare rows and columns only.
	for _, r := range []io.Reader{bytes.NewReader(buf.Bytes()), iotest.OneByteReader(bytes.NewReader(buf.Bytes()))} {
		res := readWith(r, "users", CP932, 0)
		got := wants(allProblems(res))
		if len(got) != 3 || got[0] != (want{2, "profile", "csv.bytes.cp932", false}) ||
			got[1].row != 3 || got[1].column != "name" || got[2].row != 4 || got[2].column != "password" {
			t.Errorf("%v", got)
		}
		if len(res.records) != 4 || res.records[3].HasErrors() {
			t.Errorf("%s", dump(res))
		}
	}
}

// TestCP932HoldsAgrees: the domain's check (which refuses administrator
// fields an export could not write) and the writer's table agree on every
// character.
func TestCP932HoldsAgrees(t *testing.T) {
	codes := cp932Codes()
	for r := rune(0x80); r < 0x10000; r++ {
		if r >= 0xD800 && r < 0xE000 {
			continue
		}
		if got, want := meibo.CP932Holds(r), codes[r] != 0; got != want {
			t.Errorf("U+%04X: CP932Holds %v, writer %v", r, got, want)
		}
	}
	if meibo.CP932Holds('😀') {
		t.Error("an emoji is held")
	}
}

// TestCP932ReadBack writes users whose names hold each character CP932
// writes as a look-alike (and a decomposed name) to a CP932 file, reads the
// file, and checks CP932ReadBack, CP932Spellings and KeepStored against
// what the reader gives.
func TestCP932ReadBack(t *testing.T) {
	names := []string{"高橋〜健", "x‾", "x¯", "\u30ab\u3099\u30c3\u30ad\u30fc", "alice", "山田"}
	for from := range cp932Compat {
		names = append(names, "a"+string(from)+"b")
	}
	var buf bytes.Buffer
	w, err := NewUsersWriter(&buf, CP932, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		if err := w.Write(&meibo.User{Name: n}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	res := read(t, buf.Bytes(), meibo.FormatUsers, CP932, 0)
	if res.err != nil || len(res.records) != len(names) {
		t.Fatalf("read %d records of %d: %v", len(res.records), len(names), res.err)
	}
	for i, rec := range res.records {
		stored, got := names[i], rec.User.Name
		back, ok := CP932ReadBack(stored)
		if !ok || back != got {
			t.Errorf("%q read back as %q; CP932ReadBack says %q, %v", stored, got, back, ok)
		}
		if rec.CP932 != !ascii(got) {
			t.Errorf("%q: CP932 %v", got, rec.CP932)
		}
		if spellings := CP932Spellings(got); stored != got && !slices.Contains(spellings, stored) {
			t.Errorf("%q is not among the spellings of %q: %q", stored, got, spellings)
		}
		if k := KeepStored(rec, stored, got); k != stored {
			t.Errorf("KeepStored(%q, %q) = %q", stored, got, k)
		}
		if k := KeepStored(rec, "other", got); k != got {
			t.Errorf("KeepStored(other, %q) = %q", got, k)
		}
	}
	if got := CP932Spellings("x￣"); !slices.Equal(got, []string{"x¯", "x‾"}) {
		t.Errorf("spellings of x￣: %q", got)
	}
	if _, ok := CP932ReadBack("寿司🍣"); ok {
		t.Error("an emoji reads back")
	}
	// A UTF-8 record is exact.
	utf := read(t, []byte("name,password,email\r\n高橋～健,,\r\n"), meibo.FormatUsers, UTF8, 0)
	if rec := utf.records[0]; rec.CP932 || KeepStored(rec, "高橋〜健", "高橋～健") != "高橋～健" {
		t.Errorf("a UTF-8 record stands for a look-alike: CP932 %v", rec.CP932)
	}
}
