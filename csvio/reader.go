package csvio

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/transform"

	"github.com/meibo/meibo"
)

// Reader reads the records of one file of one format, one at a time: it
// holds no more than the current record (and, to find duplicates, the names
// or IDs seen so far). It is not safe for concurrent use, except Offset.
type Reader struct {
	format  string
	f       rowFormat
	src     *source
	dec     *decoder
	tail    *tail
	cr      *csv.Reader
	warning []Problem

	row      int        // spreadsheet row of the last record read
	endLine  int        // physical line on which it ended
	bad      []badBytes // bad-byte runs of the last record read
	badCols  uint64     // fields of the current record that hold bad bytes
	recStart int64      // decoded offset at which the current record starts
	header   []string   // the header (title line) as read
	err      error      // sticky: io.EOF or the file-level error
	sets     []*seenSet // the names seen, to find duplicates (closed at the end)
	auto     bool       // the encoding is detected, not chosen
}

// rowFormat is what differs between the formats: reading the header or title
// line, and turning a row of the right width into a typed record.
type rowFormat interface {
	// header checks the first record; a non-nil error refuses the file.
	header(r *Reader, fields []string) error
	// width is the number of fields every data row must have.
	width() int
	// column names field i for a person.
	column(i int) string
	// record fills rec from fields (len(fields) == width()).
	record(r *Reader, rec *Record, fields []string)
}

// NewReader starts reading a file of format (meibo.FormatPersonal,
// meibo.FormatUsers, meibo.FormatAdmins or meibo.FormatDevices) in encoding
// enc (Auto, UTF8 or CP932). limit bounds the size of the file in bytes (≤ 0: no limit).
//
// NewReader reads and checks the header (or, for administrator files, the
// title line). A file that is refused as a whole gives a *meibo.Error: code
// meibo.CodeTooLarge over the limit, else meibo.CodeInvalid (see Problems to
// keep it with an import job).
//
// When r is an io.Seeker, the file's size is taken from it, and in Auto mode
// the whole file is read once before the first record to decide its
// encoding, then read again; so a file that is valid UTF-8 throughout reads
// as UTF-8, anything else as CP932. Another io.Reader is read once: Auto then
// decides at the first non-ASCII byte from the text that follows it.
func NewReader(r io.Reader, format string, enc Encoding, limit int64) (*Reader, error) {
	var f rowFormat
	switch format {
	case meibo.FormatPersonal:
		f = &personalFormat{}
	case meibo.FormatUsers:
		f = &usersFormat{}
	case meibo.FormatAdmins:
		f = &adminsFormat{}
	case meibo.FormatDevices:
		f = &devicesFormat{}
	default:
		return nil, meibo.Errorf(meibo.CodeInvalid, "csv.format.unknown", format)
	}
	switch enc {
	case Auto, UTF8, CP932:
	default:
		return nil, meibo.Errorf(meibo.CodeInvalid, "csv.encoding.unknown", string(enc))
	}
	rd := &Reader{format: format, f: f, auto: enc == Auto}

	// A seekable file tells its size, and can be read twice.
	seeker, _ := r.(io.Seeker)
	var start int64
	if seeker != nil {
		var err error
		if start, err = seeker.Seek(0, io.SeekCurrent); err != nil {
			seeker = nil
		} else if end, err := seeker.Seek(0, io.SeekEnd); err != nil {
			return nil, fmt.Errorf("csvio: seeking the file: %w", err)
		} else if _, err := seeker.Seek(start, io.SeekStart); err != nil {
			return nil, fmt.Errorf("csvio: seeking the file: %w", err)
		} else if limit > 0 && end-start > limit {
			return nil, tooLarge(limit)
		}
	}

	head := make([]byte, sniffLen)
	n, err := io.ReadFull(r, head)
	eof := err == io.EOF || err == io.ErrUnexpectedEOF
	if err != nil && !eof {
		return nil, fmt.Errorf("csvio: reading the file: %w", err)
	}
	head = head[:n]
	bom, err := sniff(head, eof)
	if err != nil {
		return nil, err
	}
	if limit > 0 && int64(n) > limit {
		return nil, tooLarge(limit)
	}

	mode := enc
	rd.src = &source{limit: limit}
	rd.src.n.Store(int64(bom))
	if seeker != nil && enc == Auto && !eof {
		// Read the whole file once to know whether it is valid UTF-8.
		if _, err := seeker.Seek(start+int64(bom), io.SeekStart); err != nil {
			return nil, fmt.Errorf("csvio: seeking the file: %w", err)
		}
		rd.src.r = r
		valid, err := prescan(rd.src)
		if err != nil {
			return nil, err
		}
		mode = UTF8
		if !valid {
			mode = CP932
		}
		if _, err := seeker.Seek(start+int64(bom), io.SeekStart); err != nil {
			return nil, fmt.Errorf("csvio: seeking the file: %w", err)
		}
		rd.src = &source{r: r, limit: limit}
		rd.src.n.Store(int64(bom))
	} else {
		switch {
		case enc != Auto:
		case bom > 0:
			mode = UTF8
		case eof: // head is the whole file
			mode = UTF8
			if !utf8.Valid(head) {
				mode = CP932
			}
		default:
			mode = "" // decided at the first non-ASCII byte
		}
		rd.src.r = io.MultiReader(bytes.NewReader(head[bom:]), r)
	}
	if bom > 0 && enc == CP932 {
		rd.warning = append(rd.warning, Problem{Msg: meibo.M("csv.bom.cp932"), Warning: true})
	}

	rd.dec = newDecoder(mode, int64(bom))
	rd.tail = &tail{r: transform.NewReader(rd.src, rd.dec)}
	rd.cr = csv.NewReader(rd.tail)
	rd.cr.FieldsPerRecord = -1
	rd.cr.ReuseRecord = true
	if err := rd.readHeader(); err != nil {
		return nil, err
	}
	return rd, nil
}

// Format returns the format being read.
func (r *Reader) Format() string { return r.format }

// Detected returns the encoding the file is read in. In Auto mode with a
// reader that is not an io.Seeker, a file that has been ASCII so far reports
// UTF8 (ASCII is valid UTF-8) until a later byte decides otherwise.
func (r *Reader) Detected() Encoding {
	if r.dec.mode == "" {
		return UTF8
	}
	return r.dec.mode
}

// Warnings returns the warnings about the whole file and its header found so
// far (row 0 or 1); warnings about data rows come with their records.
func (r *Reader) Warnings() []Problem { return r.warning }

// Offset returns how many bytes of the file have been read so far, for a
// progress bar (it runs a few KiB ahead of the last record returned). It
// may be called from another goroutine while Next runs.
func (r *Reader) Offset() int64 { return r.src.n.Load() }

// Next returns the next data row. It returns io.EOF after the last one, and
// a *meibo.Error when the file is refused part-way (over the size limit, or
// binary data); a refused file must not be imported at all, whatever the
// records before said. Problems of the row itself come in Record.Problems.
func (r *Reader) Next() (*Record, error) {
	if r.err != nil {
		return nil, r.err
	}
	fields, perr, err := r.read()
	if err != nil {
		r.err = err
		r.Close()
		return nil, err
	}
	rec := &Record{Row: r.row}
	if r.dec.mode == CP932 {
		// Set only where it matters, on a record of other than ASCII: an
		// ASCII record comes before the automatic choice of encoding when
		// the reader cannot seek, and after it when it can.
		for _, f := range fields {
			if !ascii(f) {
				rec.CP932 = true
				break
			}
		}
	}
	r.cellBytes(rec, fields)
	switch {
	case perr != nil:
		rec.Problems = append(rec.Problems, Problem{Row: rec.Row, Column: r.f.column(len(fields)), Msg: r.parseMsg(perr)})
	case r.longCells(rec, fields):
	case blank(fields):
		rec.warn("", "csv.row.blank")
	case len(fields) != r.f.width() && holdsCR(fields):
		rec.problem("", "csv.row.cr")
	case len(fields) != r.f.width() && r.format == meibo.FormatAdmins:
		rec.problem("", "csv.admins.fields", len(fields))
	case len(fields) != r.f.width():
		rec.problem("", "csv.fields", len(fields), r.f.width())
	default:
		r.f.record(r, rec, fields)
		for _, s := range r.sets {
			if s.err != nil {
				r.err = s.err
				r.Close()
				return nil, r.err
			}
		}
	}
	if r.auto && rec.CP932 {
		r.bothWays(rec, fields)
	}
	return rec, nil
}

// bothWays checks the values of a record read as CP932 because the encoding
// was detected, not chosen: a value whose bytes are valid UTF-8 too may be a
// row of a file that mixes both encodings (日本 saved as UTF-8 reads as
// 譌･譛ｬ in CP932). A UTF-8 reading that is Japanese text (kanji, kana,
// full-width forms) is next to never what Shift_JIS bytes make, so it is an
// error of the row: the file's encoding, chosen, imports it. A Latin reading
// (José saved as UTF-8 reads as Josﾃｩ) is also what some half-width
// katakana are (ﾅｶ is Ŷ in UTF-8), so it is a warning. Others (﨑 starts a
// Hangul syllable) are chance, and say nothing.
func (r *Reader) bothWays(rec *Record, fields []string) {
	for i, f := range fields {
		if ascii(f) || strings.ContainsRune(f, utf8.RuneError) {
			continue
		}
		b, err := japanese.ShiftJIS.NewEncoder().Bytes([]byte(f))
		if err != nil || !utf8.Valid(b) {
			continue
		}
		switch other := string(b); {
		case textOf(other, japaneseRune):
			rec.problem(r.f.column(i), "csv.encoding.mixed", other, f)
		case textOf(other, latinRune):
			rec.warn(r.f.column(i), "csv.encoding.both", f, other)
		}
	}
}

// Close releases what the reader holds beyond its memory (the temporary
// file of the names of a big file). Reading to the end, or to an error,
// closes it too.
func (r *Reader) Close() {
	for _, s := range r.sets {
		s.close()
	}
}

// read reads the next record from the CSV parser and places it: its row as
// a spreadsheet numbers rows, and the bad-byte runs it holds. perr is a
// syntax error of the record (fields then holds the fields before it).
func (r *Reader) read() (fields []string, perr *csv.ParseError, err error) {
	r.recStart = r.cr.InputOffset()
	r.tail.start, r.tail.max = r.recStart, recordBytes(r.format)
	if r.header == nil {
		r.tail.max = headerBytes(r.format)
	}
	fields, err = r.cr.Read()
	if r.src.err != nil {
		return nil, nil, r.src.err
	}
	if r.tail.over {
		// The record is over its bound: the parser cannot resume inside
		// it, so the file is refused here.
		r.tail.max = 0
		if r.header == nil {
			return nil, nil, r.tooWide()
		}
		return nil, nil, r.tooLong()
	}
	if err == io.EOF {
		return nil, nil, io.EOF
	}
	var start, end int
	if err != nil {
		if !errors.As(err, &perr) {
			return nil, nil, fmt.Errorf("csvio: reading the file: %w", err)
		}
		start, end = perr.StartLine, perr.Line
	} else {
		start, _ = r.cr.FieldPos(0)
		end, _ = r.cr.FieldPos(len(fields) - 1)
		end += strings.Count(fields[len(fields)-1], "\n")
	}
	// encoding/csv skips empty lines; a spreadsheet shows each as a row.
	r.row += start - r.endLine
	r.endLine = end
	r.bad = r.dec.take(r.cr.InputOffset())
	return fields, perr, nil
}

// parseMsg explains a syntax error of encoding/csv.
func (r *Reader) parseMsg(e *csv.ParseError) meibo.Msg {
	switch {
	case errors.Is(e.Err, csv.ErrBareQuote):
		return meibo.M("csv.quote.bare")
	case errors.Is(e.Err, csv.ErrQuote):
		if r.tail.eof && r.cr.InputOffset() == r.tail.n && e.Column > r.tail.lastLine() {
			return meibo.M("csv.quote.unterminated")
		}
		return meibo.M("csv.quote.extra")
	}
	return meibo.M("csv.syntax", e.Err.Error())
}

// cellBytes reports the bad bytes of the record just read: one problem per
// field that holds some (the first run), and marks those fields in badCols
// so that the format does not report the same value again.
func (r *Reader) cellBytes(rec *Record, fields []string) {
	r.badCols = 0
	if len(r.bad) == 0 && r.dec.dropped < r.recStart {
		return
	}
	k := 0
	for i, f := range fields {
		n := strings.Count(f, "\uFFFD")
		if n == 0 {
			continue
		}
		r.markBad(i)
		if k < len(r.bad) {
			rec.Problems = append(rec.Problems, Problem{Row: rec.Row, Column: r.f.column(i), Msg: bytesMsg(r.bad[k])})
		} else {
			rec.problem(r.f.column(i), "csv.bytes.unknown", r.Detected().label())
		}
		k += n
	}
	if k < len(r.bad) {
		// In the part of the row that a syntax error left unread.
		i := len(fields)
		r.markBad(i)
		rec.Problems = append(rec.Problems, Problem{Row: rec.Row, Column: r.f.column(i), Msg: bytesMsg(r.bad[k])})
	}
}

func (r *Reader) markBad(i int) {
	if i < 64 {
		r.badCols |= 1 << i
	}
}

// isBad reports whether field i of the current record holds bad bytes.
func (r *Reader) isBad(i int) bool { return i < 64 && r.badCols&(1<<i) != 0 }

// bytesMsg explains one bad-byte run.
func bytesMsg(b badBytes) meibo.Msg {
	switch {
	case b.literal:
		return meibo.M("csv.bytes.replacement", b.file)
	case b.enc == CP932:
		return meibo.M("csv.bytes.cp932", b.hex(), b.file)
	}
	return meibo.M("csv.bytes.utf8", b.hex(), b.file)
}

// blank reports whether every field is empty or white space.
func blank(fields []string) bool {
	for _, f := range fields {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

// readHeader reads the first record and lets the format check it.
func (r *Reader) readHeader() error {
	fields, perr, err := r.read()
	if err == io.EOF {
		return meibo.Errorf(meibo.CodeInvalid, "csv.empty")
	}
	if err != nil {
		return err
	}
	for perr == nil && blank(fields) {
		// Blank rows: the file may hold nothing else.
		if fields, perr, err = r.read(); err == io.EOF {
			return meibo.Errorf(meibo.CodeInvalid, "csv.empty")
		} else if err != nil {
			return err
		}
	}
	if len(fields) > maxColumns(r.format) {
		return r.tooWide()
	}
	if r.row != 1 {
		var h headerErrors
		h.add("", "csv.header.first_row", r.row)
		return h.err()
	}
	var h headerErrors
	if perr != nil {
		h.addMsg(colNumber(len(fields)), r.parseMsg(perr))
		return h.err()
	}
	// Bad bytes in a header refuse the file; in the title line of an
	// administrator file, which is skipped, they are only a warning.
	k := 0
	for i, f := range fields {
		n := strings.Count(f, "\uFFFD")
		if n == 0 {
			continue
		}
		m := meibo.M("csv.bytes.unknown", r.Detected().label())
		if k < len(r.bad) {
			m = bytesMsg(r.bad[k])
		}
		k += n
		if r.format == meibo.FormatAdmins {
			r.warning = append(r.warning, Problem{Row: 1, Column: r.f.column(i), Msg: m, Warning: true})
		} else {
			h.addMsg(colNumber(i), m)
		}
	}
	if err := h.err(); err != nil {
		return err
	}
	if len(fields) == 1 {
		switch {
		case strings.Contains(fields[0], "\t"):
			h.add("", "csv.separator", "TAB")
		case strings.Contains(fields[0], ";"):
			h.add("", "csv.separator", ";")
		}
	}
	for _, f := range fields {
		if strings.Contains(f, "\r") {
			h.add("", "csv.line_breaks")
			break
		}
	}
	if err := h.err(); err != nil {
		return err
	}
	r.header = append([]string(nil), fields...)
	return r.f.header(r, fields)
}

// holdsCR reports whether a value holds a carriage return: a line break of
// old Mac files (CR alone), inside which encoding/csv sees no end of row.
func holdsCR(fields []string) bool {
	for _, f := range fields {
		if strings.IndexByte(f, '\r') >= 0 {
			return true
		}
	}
	return false
}

// textOf reports whether s holds a character other than ASCII and all such
// characters are of the script in.
func textOf(s string, in func(rune) bool) bool {
	some := false
	for _, c := range s {
		switch {
		case c < utf8.RuneSelf:
		case in(c):
			some = true
		default:
			return false
		}
	}
	return some
}

// japaneseRune: CJK punctuation, kana, ideographs, full-width and half-width
// forms.
func japaneseRune(c rune) bool {
	return 0x3000 <= c && c <= 0x30FF || 0x3400 <= c && c <= 0x4DBF || 0x4E00 <= c && c <= 0x9FFF ||
		0xF900 <= c && c <= 0xFAFF || 0xFF00 <= c && c <= 0xFFEF
}

// latinRune: the letters of Latin-1 and Latin Extended-A and -B.
func latinRune(c rune) bool { return 0xC0 <= c && c <= 0x24F && c != 0xD7 && c != 0xF7 }

// colNumber names a column that has no usable name by its position: "#3".
func colNumber(i int) string { return "#" + strconv.Itoa(i+1) }

// headerWarn adds a warning about header column col.
func (r *Reader) headerWarn(col, key string, args ...any) {
	r.warning = append(r.warning, Problem{Row: 1, Column: col, Msg: meibo.M(key, args...), Warning: true})
}

// tail follows the decoded text below the CSV parser: how much of it there
// is, whether it has ended, and how long its last line is, so that an
// unterminated quote can be told from a misplaced one. It also bounds the
// record being read: the parser is given no more than max bytes from start
// (where the record began), so it never holds a longer record; past that,
// over is set and the parser gets errRecordTooLong.
type tail struct {
	r      io.Reader
	n      int64
	eof    bool
	start  int64 // decoded offset of the record being read
	max    int64 // bound of its bytes (≤ 0: none)
	over   bool
	cur    int  // bytes after the last '\n'
	prev   int  // length of the line that ends at the last '\n', without it (or "\r\n")
	lastCR bool // the bytes after the last '\n' end with '\r'
}

func (t *tail) Read(p []byte) (int, error) {
	if t.max > 0 {
		// Every byte handed over since start belongs to the record being
		// read: the parser asks for more only when what it holds ends
		// inside that record.
		room := t.start + t.max - t.n
		if room <= 0 {
			t.over = true
			return 0, errRecordTooLong
		}
		if int64(len(p)) > room {
			p = p[:room]
		}
	}
	k, err := t.r.Read(p)
	t.n += int64(k)
	if err == io.EOF {
		t.eof = true
	}
	if k == 0 {
		return k, err
	}
	b := p[:k]
	i := bytes.LastIndexByte(b, '\n')
	if i < 0 {
		t.cur += k
		t.lastCR = b[k-1] == '\r'
		return k, err
	}
	// The line that ends at b[i].
	var l int
	var cr bool
	if j := bytes.LastIndexByte(b[:i], '\n'); j >= 0 {
		l = i - j - 1
		cr = l > 0 && b[i-1] == '\r'
	} else {
		l = t.cur + i
		cr = (i > 0 && b[i-1] == '\r') || (i == 0 && t.lastCR)
	}
	if cr {
		l--
	}
	t.prev = l
	t.cur = k - i - 1
	t.lastCR = t.cur > 0 && b[k-1] == '\r'
	return k, err
}

// lastLine returns the length of the last line as encoding/csv reads it
// (without its line break; a '\r' at the very end is dropped).
func (t *tail) lastLine() int {
	if t.cur > 0 {
		if t.lastCR {
			return t.cur - 1
		}
		return t.cur
	}
	return t.prev
}
