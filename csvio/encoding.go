package csvio

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"unicode/utf8"

	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/transform"

	"github.com/meibo/meibo"
)

// Encoding is the character encoding of a CSV file.
type Encoding string

// The encodings of CSV files. Auto is for reading only: a UTF-8 BOM or a
// file that is valid UTF-8 throughout reads as UTF-8, anything else as CP932.
const (
	Auto  Encoding = "auto"
	UTF8  Encoding = "utf-8"
	CP932 Encoding = "cp932" // Shift_JIS as Windows writes it (Windows-31J)
)

// ParseEncoding reads an encoding name as people and programs spell it:
// "auto" (or blank), "utf-8"/"utf8", and "cp932", "shift_jis", "sjis",
// "windows-31j" and their usual variants, in any case.
func ParseEncoding(s string) (Encoding, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "auto":
		return Auto, nil
	case "utf-8", "utf8", "utf_8":
		return UTF8, nil
	case "cp932", "cp-932", "ms932", "ms_kanji", "windows-31j", "windows31j", "windows-932",
		"shift_jis", "shift-jis", "shiftjis", "sjis", "s-jis", "x-sjis", "csshiftjis", "cswindows31j":
		return CP932, nil
	}
	return "", meibo.FieldError("encoding", "csv.encoding.unknown", s)
}

// label is the encoding's name for a person.
func (e Encoding) label() string {
	switch e {
	case UTF8:
		return "UTF-8"
	case CP932:
		return "Shift_JIS (CP932)"
	}
	return string(e)
}

var (
	bomUTF8     = []byte{0xEF, 0xBB, 0xBF}
	replacement = []byte("\uFFFD")
	c1x80       = []byte("\u0080")
)

// sniffLen is how much of the start of a file is looked at to recognise
// files that are not CSV text.
const sniffLen = 1024

// sniff refuses files that are not CSV text from their first bytes and
// returns the length of a UTF-8 BOM to skip (0 or 3). eof reports whether
// head is the whole file.
func sniff(head []byte, eof bool) (bom int, err error) {
	switch {
	case len(head) == 0:
		return 0, meibo.Errorf(meibo.CodeInvalid, "csv.empty")
	case bytes.HasPrefix(head, []byte("PK\x03\x04")), bytes.HasPrefix(head, []byte("PK\x05\x06")),
		bytes.HasPrefix(head, []byte("PK\x07\x08")):
		return 0, meibo.Errorf(meibo.CodeInvalid, "csv.zip")
	case bytes.HasPrefix(head, []byte{0xD0, 0xCF, 0x11, 0xE0}):
		return 0, meibo.Errorf(meibo.CodeInvalid, "csv.xls")
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}), bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		return 0, meibo.Errorf(meibo.CodeInvalid, "csv.utf16")
	case bytes.HasPrefix(head, bomUTF8):
		bom = len(bomUTF8)
	}
	if i := bytes.IndexByte(head, 0); i >= 0 {
		if looksUTF16(head) {
			return 0, meibo.Errorf(meibo.CodeInvalid, "csv.utf16")
		}
		return 0, binaryError(int64(i))
	}
	if eof && len(bytes.TrimSpace(head[bom:])) == 0 {
		return 0, meibo.Errorf(meibo.CodeInvalid, "csv.empty")
	}
	return bom, nil
}

// looksUTF16 reports whether b looks like UTF-16 text without a BOM: most
// bytes at either the even or the odd positions are NUL, hardly any at the
// others (as in mostly-ASCII text saved as UTF-16).
func looksUTF16(b []byte) bool {
	var even, odd int
	for i, c := range b {
		if c == 0 {
			if i%2 == 0 {
				even++
			} else {
				odd++
			}
		}
	}
	half := len(b) / 2
	if half < 2 {
		return false
	}
	return (even >= half*3/4 && odd <= half/8) || (odd >= half*3/4 && even <= half/8)
}

func binaryError(off int64) *meibo.Error {
	return meibo.Errorf(meibo.CodeInvalid, "csv.binary", off)
}

func tooLarge(limit int64) *meibo.Error {
	return meibo.Errorf(meibo.CodeTooLarge, "csv.too_large", formatSize(limit))
}

// formatSize renders n bytes for a person: "64 MiB", "1.5 KiB", "900 bytes".
func formatSize(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d bytes", n)
	}
	v, suffix := float64(n), ""
	for _, s := range []string{"KiB", "MiB", "GiB", "TiB"} {
		v /= unit
		suffix = s
		if v < unit {
			break
		}
	}
	if v == float64(int64(v)) {
		return fmt.Sprintf("%d %s", int64(v), suffix)
	}
	return fmt.Sprintf("%.1f %s", v, suffix)
}

// source reads the bytes of the file. It counts them (the file offset, also
// for a progress bar, safe to read from another goroutine), refuses a file
// over the limit and one holding a NUL byte. Its error is sticky so that the
// reader above can tell a refusal of the file from a CSV syntax error.
type source struct {
	r     io.Reader
	n     atomic.Int64
	limit int64 // ≤ 0: none
	err   error
}

func (s *source) Read(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	n := s.n.Load()
	if s.limit > 0 {
		// One byte past the limit tells a file over it (written so that a
		// limit of math.MaxInt64 cannot overflow).
		if room := s.limit - n; int64(len(p))-1 > room {
			p = p[:room+1]
		}
	}
	k, err := s.r.Read(p)
	if i := bytes.IndexByte(p[:k], 0); i >= 0 {
		s.err = binaryError(n + int64(i))
		return 0, s.err
	}
	s.n.Store(n + int64(k))
	if s.limit > 0 && n+int64(k) > s.limit {
		s.err = tooLarge(s.limit)
		return 0, s.err
	}
	if err != nil && err != io.EOF {
		s.err = fmt.Errorf("csvio: reading the file: %w", err)
		return k, s.err
	}
	return k, err
}

// prescan reads the rest of the file through s and reports whether it is
// valid UTF-8 throughout. It also meets the size limit and NUL bytes, so
// that such files are refused before the first record.
func prescan(s *source) (bool, error) {
	buf := make([]byte, 64<<10)
	valid := true
	carry := 0 // bytes of an incomplete rune kept at the start of buf
	for {
		k, err := s.Read(buf[carry:])
		k += carry
		if valid {
			cut := k
			if err == nil {
				cut = k - incompleteTail(buf[:k])
			}
			valid = utf8.Valid(buf[:cut])
			carry = 0
			if valid {
				carry = copy(buf, buf[cut:k])
			}
		}
		if err == io.EOF {
			return valid, nil
		}
		if err != nil {
			return false, err
		}
	}
}

// incompleteTail returns the length of an incomplete UTF-8 sequence at the
// end of b (0 if b ends on a rune boundary or with invalid bytes).
func incompleteTail(b []byte) int {
	for i := 1; i <= utf8.UTFMax-1 && i <= len(b); i++ {
		c := b[len(b)-i]
		if c < utf8.RuneSelf {
			return 0
		}
		if utf8.RuneStart(c) {
			if !utf8.FullRune(b[len(b)-i:]) {
				return i
			}
			return 0
		}
	}
	return 0
}

// badBytes is one run of bytes that the decoder could not read, or a
// U+FFFD found as such in a UTF-8 file. The decoder writes one U+FFFD into
// the text for each, so that the reader can tell which field holds it.
type badBytes struct {
	dec     int64 // offset of the U+FFFD in the decoded text
	file    int64 // offset of the first byte in the file
	n       int   // number of bytes
	b       [4]byte
	literal bool // a U+FFFD that was in the UTF-8 file as such
	enc     Encoding
}

// hex renders the first bytes of the run as "0x85 0x40".
func (b badBytes) hex() string {
	var s strings.Builder
	for i := 0; i < b.n && i < len(b.b); i++ {
		if i > 0 {
			s.WriteByte(' ')
		}
		fmt.Fprintf(&s, "0x%02X", b.b[i])
	}
	if b.n > len(b.b) {
		s.WriteString(" …")
	}
	return s.String()
}

// maxPending bounds the bad-byte runs kept for records not read yet; more
// are counted but not kept (their cells are still reported, without offset).
const maxPending = 4096

// decideWindow is how much text after the first non-ASCII byte the auto
// decoder looks at to choose between UTF-8 and CP932 when it cannot read the
// whole file first.
const decideWindow = 1024

// decoder is the transform.Transformer that turns the file into UTF-8. It
// never lets a bad byte pass silently: each run of bytes that is not valid
// in the encoding becomes one U+FFFD and a badBytes record with its offsets.
// While mode is "" (auto, not decided yet) it passes ASCII through and
// decides at the first other byte.
type decoder struct {
	mode Encoding
	sjis transform.Transformer

	file int64 // file offset of src[0] at the next call
	dec  int64 // decoded offset of dst[0] at the next call

	pending []badBytes
	head    int       // pending[head:] are not yet handed out
	dropped int64     // decoded offset of the last run not kept (-1: none)
	run     *badBytes // the last run, which bytes right after it extend
}

func newDecoder(mode Encoding, fileOffset int64) *decoder {
	return &decoder{mode: mode, sjis: japanese.ShiftJIS.NewDecoder(), file: fileOffset, dropped: -1}
}

// Reset does nothing: a decoder reads one file.
func (d *decoder) Reset() {}

// Transform implements transform.Transformer.
func (d *decoder) Transform(dst, src []byte, atEOF bool) (nDst, nSrc int, err error) {
	if d.mode == "" {
		i := 0
		for i < len(src) && src[i] < utf8.RuneSelf {
			i++
		}
		n := copy(dst, src[:i])
		d.file += int64(n)
		d.dec += int64(n)
		nDst, nSrc = n, n
		switch {
		case n < i:
			return nDst, nSrc, transform.ErrShortDst
		case i == len(src):
			return nDst, nSrc, nil
		case len(src)-i < decideWindow && !atEOF:
			return nDst, nSrc, transform.ErrShortSrc
		}
		d.mode = decide(src[i:], atEOF)
	}
	var a, b int
	if d.mode == UTF8 {
		a, b, err = d.utf8(dst[nDst:], src[nSrc:], atEOF)
	} else {
		a, b, err = d.cp932(dst[nDst:], src[nSrc:], atEOF)
	}
	d.file += int64(b)
	d.dec += int64(a)
	return nDst + a, nSrc + b, err
}

// decide chooses the encoding of a file from text that starts with its first
// non-ASCII byte.
func decide(b []byte, atEOF bool) Encoding {
	if !atEOF {
		b = b[:len(b)-incompleteTail(b)]
	}
	if utf8.Valid(b) {
		return UTF8
	}
	return CP932
}

// bad notes a run of bad bytes src[i:i+n] that will be written as one U+FFFD
// at dst offset j. Bytes that directly follow the last run extend it
// instead, and then it returns false: no new U+FFFD.
func (d *decoder) bad(src []byte, i, n, j int, literal bool) bool {
	if r := d.run; r != nil && !literal && !r.literal && r.file+int64(r.n) == d.file+int64(i) {
		for k := 0; k < n && r.n+k < len(r.b); k++ {
			r.b[r.n+k] = src[i+k]
		}
		r.n += n
		return false
	}
	b := badBytes{dec: d.dec + int64(j), file: d.file + int64(i), n: n, literal: literal, enc: d.mode}
	copy(b.b[:], src[i:i+n])
	d.run = nil
	if len(d.pending)-d.head >= maxPending {
		d.dropped = b.dec
		return true
	}
	if d.head > 0 && d.head >= len(d.pending)/2 {
		// The runs handed out are no longer used (see take).
		d.pending = d.pending[:copy(d.pending, d.pending[d.head:])]
		d.head = 0
	}
	d.pending = append(d.pending, b)
	d.run = &d.pending[len(d.pending)-1]
	return true
}

// utf8 passes valid UTF-8 through.
func (d *decoder) utf8(dst, src []byte, atEOF bool) (nDst, nSrc int, err error) {
	// Fast path: the whole chunk (but an incomplete last rune) is clean.
	cut := len(src)
	if !atEOF {
		cut -= incompleteTail(src)
	}
	if utf8.Valid(src[:cut]) && !bytes.Contains(src[:cut], replacement) {
		n := cut
		if n > len(dst) {
			n = len(dst)
			for n > 0 && !utf8.RuneStart(src[n]) {
				n--
			}
		}
		copy(dst, src[:n])
		if n < cut {
			return n, n, transform.ErrShortDst
		}
		if cut < len(src) {
			return n, n, transform.ErrShortSrc
		}
		return n, n, nil
	}
	for nSrc < len(src) {
		c := src[nSrc]
		if c < utf8.RuneSelf {
			if nDst >= len(dst) {
				return nDst, nSrc, transform.ErrShortDst
			}
			dst[nDst] = c
			nDst++
			nSrc++
			d.run = nil
			continue
		}
		r, size := utf8.DecodeRune(src[nSrc:])
		switch {
		case r == utf8.RuneError && size == 1:
			if !atEOF && !utf8.FullRune(src[nSrc:]) {
				return nDst, nSrc, transform.ErrShortSrc
			}
			if d.run != nil && d.run.file+int64(d.run.n) == d.file+int64(nSrc) {
				d.bad(src, nSrc, 1, nDst, false)
				nSrc++
				continue
			}
			if nDst+len(replacement) > len(dst) {
				return nDst, nSrc, transform.ErrShortDst
			}
			d.bad(src, nSrc, 1, nDst, false)
			nDst += copy(dst[nDst:], replacement)
			nSrc++
		default:
			if nDst+size > len(dst) {
				return nDst, nSrc, transform.ErrShortDst
			}
			if r == utf8.RuneError {
				d.bad(src, nSrc, size, nDst, true)
			}
			d.run = nil
			nDst += copy(dst[nDst:], src[nSrc:nSrc+size])
			nSrc += size
		}
	}
	return nDst, nSrc, nil
}

// cp932 decodes with golang.org/x/text's Shift_JIS (the WHATWG decoder, i.e.
// Windows-31J with the NEC and IBM extensions). That decoder writes U+FFFD
// for bad bytes silently, and U+0080 for a lone byte 0x80 (undefined in
// CP932); a chunk holding either is decoded again character by character to
// find the bytes.
func (d *decoder) cp932(dst, src []byte, atEOF bool) (nDst, nSrc int, err error) {
	nDst, nSrc, err = d.sjis.Transform(dst, src, atEOF)
	if err != nil && !errors.Is(err, transform.ErrShortDst) && !errors.Is(err, transform.ErrShortSrc) {
		return nDst, nSrc, err
	}
	if !bytes.Contains(dst[:nDst], replacement) && !bytes.Contains(dst[:nDst], c1x80) {
		return nDst, nSrc, err
	}
	return d.cp932Slow(dst, src, atEOF)
}

// cp932Len returns how many bytes the Shift_JIS decoder reads for the
// character at the start of b (b not empty): two for a lead byte followed by
// a byte it takes as a trail byte, else one.
func cp932Len(b []byte) int {
	c0 := b[0]
	if (0x81 <= c0 && c0 <= 0x9F) || (0xE0 <= c0 && c0 <= 0xFC) {
		if len(b) >= 2 && b[1] >= 0x40 && b[1] != 0x7F {
			return 2
		}
	}
	return 1
}

func isLead(c byte) bool { return (0x81 <= c && c <= 0x9F) || (0xE0 <= c && c <= 0xFC) }

func (d *decoder) cp932Slow(dst, src []byte, atEOF bool) (nDst, nSrc int, err error) {
	var tmp [8]byte
	for nSrc < len(src) {
		c := src[nSrc]
		if c < utf8.RuneSelf {
			if nDst >= len(dst) {
				return nDst, nSrc, transform.ErrShortDst
			}
			dst[nDst] = c
			nDst++
			nSrc++
			d.run = nil
			continue
		}
		if isLead(c) && nSrc+1 == len(src) && !atEOF {
			return nDst, nSrc, transform.ErrShortSrc
		}
		n := cp932Len(src[nSrc:])
		k, _, _ := d.sjis.Transform(tmp[:], src[nSrc:nSrc+n], true)
		r, _ := utf8.DecodeRune(tmp[:k])
		if r == utf8.RuneError || r == 0x80 {
			if d.run != nil && d.run.file+int64(d.run.n) == d.file+int64(nSrc) {
				d.bad(src, nSrc, n, nDst, false)
				nSrc += n
				continue
			}
			if nDst+len(replacement) > len(dst) {
				return nDst, nSrc, transform.ErrShortDst
			}
			d.bad(src, nSrc, n, nDst, false)
			nDst += copy(dst[nDst:], replacement)
			nSrc += n
			continue
		}
		if nDst+k > len(dst) {
			return nDst, nSrc, transform.ErrShortDst
		}
		d.run = nil
		nDst += copy(dst[nDst:], tmp[:k])
		nSrc += n
	}
	return nDst, nSrc, nil
}

// take hands out the bad-byte runs that lie before decoded offset end. They
// are valid until the decoder runs again.
func (d *decoder) take(end int64) []badBytes {
	i := d.head
	for i < len(d.pending) && d.pending[i].dec < end {
		i++
	}
	out := d.pending[d.head:i]
	d.head = i
	return out
}
