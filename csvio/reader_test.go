package csvio

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"

	"golang.org/x/text/encoding/japanese"

	"github.com/meibo/meibo"
)

func TestParseEncoding(t *testing.T) {
	for in, want := range map[string]Encoding{
		"": Auto, "auto": Auto, "AUTO": Auto,
		"utf-8": UTF8, "UTF-8": UTF8, "utf8": UTF8, " UTF8 ": UTF8,
		"cp932": CP932, "CP932": CP932, "shift_jis": CP932, "Shift_JIS": CP932, "sjis": CP932,
		"SJIS": CP932, "windows-31j": CP932, "Windows-31J": CP932, "ms932": CP932, "shift-jis": CP932,
	} {
		got, err := ParseEncoding(in)
		if err != nil || got != want {
			t.Errorf("ParseEncoding(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"latin1", "utf-16", "euc-jp", "utf-8-bom"} {
		_, err := ParseEncoding(in)
		if c, key := fileErrorKey(t, err); c != meibo.CodeInvalid || key != "csv.encoding.unknown" {
			t.Errorf("ParseEncoding(%q): %s %s", in, c, key)
		}
	}
}

func TestNewReaderArguments(t *testing.T) {
	_, err := NewReader(strings.NewReader("a\n"), "gadgets", Auto, 0)
	if c, key := fileErrorKey(t, err); c != meibo.CodeInvalid || key != "csv.format.unknown" {
		t.Errorf("format: %s %s", c, key)
	}
	_, err = NewReader(strings.NewReader("a\n"), meibo.FormatUsers, "latin1", 0)
	if c, key := fileErrorKey(t, err); c != meibo.CodeInvalid || key != "csv.encoding.unknown" {
		t.Errorf("encoding: %s %s", c, key)
	}
}

// Files that are not CSV text are refused as a whole with one message.
func TestFileRefusals(t *testing.T) {
	for _, tc := range []struct {
		file, format string
		enc          Encoding
		code         meibo.Code
		key          string
	}{
		{"empty.csv", meibo.FormatUsers, Auto, meibo.CodeInvalid, "csv.empty"},
		{"bom_only.csv", meibo.FormatUsers, Auto, meibo.CodeInvalid, "csv.empty"},
		{"bom_only.csv", meibo.FormatUsers, CP932, meibo.CodeInvalid, "csv.empty"},
		{"whitespace.csv", meibo.FormatPersonal, Auto, meibo.CodeInvalid, "csv.empty"},
		{"book.xlsx", meibo.FormatUsers, Auto, meibo.CodeInvalid, "csv.zip"},
		{"users.zip", meibo.FormatUsers, UTF8, meibo.CodeInvalid, "csv.zip"},
		{"book.xls", meibo.FormatAdmins, CP932, meibo.CodeInvalid, "csv.xls"},
		{"utf16le.csv", meibo.FormatUsers, Auto, meibo.CodeInvalid, "csv.utf16"},
		{"utf16be.csv", meibo.FormatUsers, UTF8, meibo.CodeInvalid, "csv.utf16"},
		{"utf16le_nobom.csv", meibo.FormatUsers, Auto, meibo.CodeInvalid, "csv.utf16"},
		{"binary.bin", meibo.FormatUsers, Auto, meibo.CodeInvalid, "csv.binary"},
		{"nul_late.csv", meibo.FormatUsers, UTF8, meibo.CodeInvalid, "csv.binary"},
		{"nul_late.csv", meibo.FormatUsers, Auto, meibo.CodeInvalid, "csv.binary"},
		{"semicolon.csv", meibo.FormatUsers, Auto, meibo.CodeInvalid, "csv.separator"},
		{"cr_only.csv", meibo.FormatUsers, Auto, meibo.CodeInvalid, "csv.line_breaks"},
		{"users_header_not_first.csv", meibo.FormatUsers, Auto, meibo.CodeInvalid, "csv.header.first_row"},
	} {
		t.Run(tc.file+"/"+string(tc.enc), func(t *testing.T) {
			res := readFile(t, tc.file, tc.format, tc.enc)
			code, key := fileErrorKey(t, res.err)
			if code != tc.code || key != tc.key {
				t.Errorf("got %s %s, want %s %s", code, key, tc.code, tc.key)
			}
			if !meibo.HasMessage(key) {
				t.Errorf("%s is not in the catalogue", key)
			}
		})
	}
}

// A NUL byte far into the file names its offset.
func TestHeaderNotFirst(t *testing.T) {
	for data, row := range map[string]int{
		"\r\nname,password,email\r\ntaro,pw,\r\n":  2,
		",,\n \n\nname,password,email\ntaro,pw,\n": 4,
	} {
		res := read(t, []byte(data), meibo.FormatUsers, Auto, 0)
		if e := meibo.AsError(res.err); e.Msg.Key != "csv.header.first_row" || e.Msg.Args[0] != row {
			t.Errorf("%q: %v", data, res.err)
		}
	}
}

func TestBinaryOffset(t *testing.T) {
	data := readTestdata(t, "nul_late.csv")
	res := read(t, data, meibo.FormatUsers, UTF8, 0)
	e := meibo.AsError(res.err)
	if e.Msg.Key != "csv.binary" || e.Msg.Args[0] != int64(bytes.IndexByte(data, 0)) {
		t.Errorf("got %v", e.Msg)
	}
	// With a reader that can seek, Auto reads the whole file first: the
	// file is refused before the first record.
	_, err := NewReader(bytes.NewReader(data), meibo.FormatUsers, Auto, 0)
	if _, key := fileErrorKey(t, err); key != "csv.binary" {
		t.Errorf("NewReader: %v", err)
	}
}

func TestSizeLimit(t *testing.T) {
	data := readTestdata(t, "users_utf8.csv")
	for _, limit := range []int64{10, 100, int64(len(data) - 1)} {
		res := read(t, data, meibo.FormatUsers, UTF8, limit)
		code, key := fileErrorKey(t, res.err)
		if code != meibo.CodeTooLarge || key != "csv.too_large" {
			t.Errorf("limit %d: %s %s", limit, code, key)
		}
	}
	// A reader that tells its size is refused before anything is read.
	_, err := NewReader(bytes.NewReader(data), meibo.FormatUsers, UTF8, int64(len(data)-1))
	if code, _ := fileErrorKey(t, err); code != meibo.CodeTooLarge {
		t.Errorf("NewReader: %v", err)
	}
	res := read(t, data, meibo.FormatUsers, UTF8, int64(len(data)))
	if res.err != nil || len(res.records) != 4 {
		t.Errorf("at the limit: %v, %d records", res.err, len(res.records))
	}
	if got := meibo.AsError(tooLarge(64 << 20)).Error(); !strings.Contains(got, "64 MiB") {
		t.Errorf("message: %s", got)
	}
}

func TestUsersUTF8(t *testing.T) {
	res := readFile(t, "users_utf8.csv", meibo.FormatUsers, Auto)
	if res.err != nil {
		t.Fatal(res.err)
	}
	if res.detected != UTF8 || len(res.warnings) != 0 {
		t.Errorf("detected %s, warnings %v", res.detected, res.warnings)
	}
	all := func(u UserRecord) UserRecord {
		u.HasAdmin, u.HasAPIAccess, u.HasDisabled, u.HasProfile = true, true, true, true
		return u
	}
	want := []struct {
		row  int
		user UserRecord
	}{
		{2, all(UserRecord{Name: "taro", Password: "secret1", Email: "taro@example.com", Admin: true, Profile: "Sales"})},
		{3, all(UserRecord{Name: "hanako", Password: "pass,word", Email: "hanako@example.com", APIAccess: true, Profile: "Sales, Tokyo"})},
		{4, all(UserRecord{Name: "jiro", Password: `say "hi"`, Email: "jiro@example.com", Admin: true, Profile: "line one\nline two"})},
		// The value with a line break is one row: 山田 is row 5, not 6.
		{5, all(UserRecord{Name: "山田", Password: "パスワード", Email: "yamada@example.jp", Profile: "営業部"})},
	}
	if len(res.records) != len(want) {
		t.Fatalf("%d records:\n%s", len(res.records), dump(res))
	}
	for i, w := range want {
		rec := res.records[i]
		if rec.Row != w.row || rec.User == nil || *rec.User != w.user || len(rec.Problems) != 0 {
			t.Errorf("record %d: got row %d %+v %v, want row %d %+v", i, rec.Row, rec.User, rec.Problems, w.row, w.user)
		}
	}
	if res.offset != int64(len(readTestdata(t, "users_utf8.csv"))) {
		t.Errorf("offset %d at the end", res.offset)
	}
}

func TestUsersUTF8BOMCRLF(t *testing.T) {
	for _, enc := range []Encoding{Auto, UTF8} {
		res := readFile(t, "users_utf8_bom_crlf.csv", meibo.FormatUsers, enc)
		if res.err != nil {
			t.Fatal(res.err)
		}
		want := []UserRecord{
			{Name: "taro", Password: "secret1", Email: "taro@example.com"},
			{Name: "hanako", Password: "pass,word", Email: "hanako@example.com"},
			{Name: "jiro", Password: "line one\nline two", Email: "jiro@example.com"},
		}
		if res.detected != UTF8 || len(res.records) != len(want) {
			t.Fatalf("%s", dump(res))
		}
		for i, w := range want {
			if rec := res.records[i]; rec.Row != i+2 || *rec.User != w || len(rec.Problems) != 0 {
				t.Errorf("%s: record %d: %d %+v %v", enc, i, rec.Row, rec.User, rec.Problems)
			}
		}
	}
	// Read as CP932, the BOM is still dropped, with a warning.
	res := readFile(t, "users_utf8_bom_crlf.csv", meibo.FormatUsers, CP932)
	checkProblems(t, res.warnings, want{0, "", "csv.bom.cp932", true})
	if res.records[0].User.Email != "taro@example.com" {
		t.Errorf("%s", dump(res))
	}
}

func TestUsersCP932(t *testing.T) {
	for _, enc := range []Encoding{CP932, Auto} {
		res := readFile(t, "users_cp932.csv", meibo.FormatUsers, enc)
		if res.err != nil {
			t.Fatal(res.err)
		}
		if res.detected != CP932 {
			t.Errorf("%s: detected %s", enc, res.detected)
		}
		has := func(u UserRecord) UserRecord {
			u.HasAdmin, u.HasAPIAccess, u.HasDisabled, u.HasProfile = true, true, true, true
			return u
		}
		want := []UserRecord{
			has(UserRecord{Name: "ｶﾀｶﾅ", Password: "pw1", Email: "kata@example.com", Admin: true, Profile: "営業①"}),
			has(UserRecord{Name: "髙橋", Password: "pw2", Email: "takahashi@example.com", Admin: true, Profile: "㈱ソフト表"}),
			has(UserRecord{Name: "﨑山", Password: `pass,"word"`, Email: "sakiyama@example.com", Profile: "№5\n表"}),
			has(UserRecord{Name: "ソ表", Password: "表ソ", Email: "so@example.com", APIAccess: true, Profile: "ソ"}),
			has(UserRecord{Name: "髙田", Password: "pw5", Email: "takada@example.com", Profile: "表"}),
		}
		if len(res.records) != len(want) {
			t.Fatalf("%s", dump(res))
		}
		for i, w := range want {
			rec := res.records[i]
			if rec.User == nil || *rec.User != w || len(rec.Problems) != 0 {
				t.Errorf("%s: row %d: got %+v %v, want %+v", enc, rec.Row, rec.User, rec.Problems, w)
			}
		}
		if res.records[4].Row != 6 {
			t.Errorf("last row is %d", res.records[4].Row)
		}
	}
}

// Bytes that are not Shift_JIS are reported with row, column and offset.
func TestBadCP932(t *testing.T) {
	data := readTestdata(t, "users_bad_cp932.csv")
	res := read(t, data, meibo.FormatUsers, CP932, 0)
	if res.err != nil {
		t.Fatal(res.err)
	}
	checkProblems(t, allProblems(res),
		want{7, "name", "csv.bytes.cp932", false},
		want{8, "email", "csv.bytes.cp932", false},
		want{9, "profile", "csv.bytes.cp932", false},
	)
	ps := allProblems(res)
	for i, w := range []struct {
		bytes string
		at    []byte
	}{
		{"0x85 0x40", []byte("\x93\x63\x85\x40")}, // after 田
		{"0xA0", []byte("g\xa0")},
		{"0x80", []byte("x\x80")},
	} {
		off := int64(bytes.Index(data, w.at) + len(w.at) - len(strings.Fields(w.bytes)))
		if args := ps[i].Msg.Args; args[0] != w.bytes || args[1] != off {
			t.Errorf("problem %d: args %v, want %s at %d", i, args, w.bytes, off)
		}
	}
	off := bytes.Index(data, []byte("\x85\x40"))
	if got, want := ps[0].String(), "Row 7, column name: Bytes 0x85 0x40 at byte "+strconv.Itoa(off)+" are not valid Shift_JIS (CP932)."; !strings.HasPrefix(got, want) {
		t.Errorf("got %q\nwant %q…", got, want)
	}
	if got := ps[0].In(meibo.Japanese); !strings.HasPrefix(got, "7行目、列「name」: "+strconv.Itoa(off)+"バイト目のバイト列 0x85 0x40 は") {
		t.Errorf("Japanese: %s", got)
	}
	// The record still carries the value, with U+FFFD where the bytes were;
	// it is never without an error.
	if rec := res.records[5]; rec.User.Name != "田\uFFFD" || !rec.HasErrors() {
		t.Errorf("row 7: %+v", rec.User)
	}
}

func TestInvalidUTF8(t *testing.T) {
	data := readTestdata(t, "users_invalid_utf8.csv")
	res := read(t, data, meibo.FormatUsers, UTF8, 0)
	checkProblems(t, allProblems(res),
		want{3, "name", "csv.bytes.utf8", false},
		want{4, "profile", "csv.bytes.replacement", false},
	)
	ps := allProblems(res)
	if args := ps[0].Msg.Args; args[0] != "0x93 0xFA" || args[1] != int64(bytes.Index(data, []byte{0x93})) {
		t.Errorf("args %v", args)
	}
	if args := ps[1].Msg.Args; args[0] != int64(bytes.Index(data, []byte("\uFFFD"))) {
		t.Errorf("args %v", args)
	}
	// Auto: the file is not valid UTF-8 throughout, so it is CP932.
	if res := read(t, data, meibo.FormatUsers, Auto, 0); res.detected != CP932 {
		t.Errorf("auto detected %s", res.detected)
	}
}

func TestAutoDetection(t *testing.T) {
	var many strings.Builder
	for i := range 200 {
		fmt.Fprintf(&many, "user%d,pw,u%d@example.com\n", i, i)
	}
	for _, tc := range []struct {
		name string
		data string
		want Encoding
	}{
		{"ascii", "name,password,email\ntaro,pw,taro@example.com\n", UTF8},
		{"utf8", "name,password,email\n山田,pw,y@example.com\n", UTF8},
		{"cp932", "name,password,email\n\x8e\x52\x93\x63,pw,y@example.com\n", CP932},
		{"utf8 late", "name,password,email\n" + many.String() + "山田,pw,y@example.com\n", UTF8},
		{"cp932 late", "name,password,email\n" + many.String() + "\x8e\x52\x93\x63,pw,y@example.com\n", CP932},
		// Half-width katakana only: a pair of them can look like UTF-8, but
		// with the rest of the window it does not.
		{"katakana", "name,password,email\n\xb6\xc0\xb6\xc5,pw,k@example.com\n", CP932},
	} {
		res := read(t, []byte(tc.data), meibo.FormatUsers, Auto, 0)
		if res.err != nil || res.detected != tc.want {
			t.Errorf("%s: detected %s, %v", tc.name, res.detected, res.err)
		}
		for _, rec := range res.records {
			if rec.HasErrors() {
				t.Errorf("%s: %v", tc.name, rec.Problems)
			}
		}
	}
}

// Row numbers count records as a spreadsheet shows them: a value with line
// breaks is one row, an empty line is a row.
func TestRowNumbers(t *testing.T) {
	data := "name,password,email\r\n" + // 1
		"a,pw,a@example.com\r\n" + // 2
		"\r\n" + // 3: empty line, skipped by encoding/csv
		"b,\"p\r\nw\r\nx\",b@example.com\r\n" + // 4: three lines
		"c,pw,c@example.com\n" + // 5
		"\n\n" + // 6, 7
		",,\r\n" + // 8: blank row
		"d,pw,\"d@example.com\"" // 9, no line break at the end
	res := read(t, []byte(data), meibo.FormatUsers, Auto, 0)
	var rows []int
	for _, rec := range res.records {
		rows = append(rows, rec.Row)
	}
	if !reflect.DeepEqual(rows, []int{2, 4, 5, 8, 9}) {
		t.Errorf("rows %v", rows)
	}
	checkProblems(t, allProblems(res), want{8, "", "csv.row.blank", true})
	if res.records[1].User.Password != "p\nw\nx" {
		t.Errorf("password %q", res.records[1].User.Password)
	}
}

func TestUsersHeaders(t *testing.T) {
	for _, tc := range []struct {
		file string
		want []want
	}{
		{"users_header_unknown.csv", []want{{1, "mail", "csv.header.unknown", false}}},
		{"users_header_missing.csv", []want{{1, "password", "csv.header.missing", false}}},
		{"users_header_duplicate.csv", []want{{1, "email", "csv.header.duplicate", false}}},
		{"users_header_blank.csv", []want{{1, "#4", "csv.header.blank", false}}},
	} {
		res := readFile(t, tc.file, meibo.FormatUsers, Auto)
		if res.records != nil {
			t.Errorf("%s: records", tc.file)
		}
		checkProblems(t, Problems(res.err), tc.want...)
		if meibo.ErrorCode(res.err) != meibo.CodeInvalid {
			t.Errorf("%s: %v", tc.file, res.err)
		}
	}
	// The message names the column and says what to do.
	res := readFile(t, "users_header_unknown.csv", meibo.FormatUsers, Auto)
	if got := meibo.AsError(res.err).Msg.String(); got != `Unknown column "mail". The columns are name, password, email, admin, apiAccess, disabled, profile, passwordHash; correct the name or delete the column.` {
		t.Errorf("message: %s", got)
	}
	res = readFile(t, "users_header_duplicate.csv", meibo.FormatUsers, Auto)
	if args := meibo.AsError(res.err).Msg.Args; !reflect.DeepEqual(args, []any{"email", 3, 4}) {
		t.Errorf("duplicate args %v", args)
	}

	// Several problems: one error that counts them, one problem per column.
	r := read(t, []byte("nmae,pasword,email,x\n"), meibo.FormatUsers, Auto, 0)
	if key := meibo.AsError(r.err).Msg.Key; key != "csv.header.problems" {
		t.Errorf("key %s", key)
	}
	checkProblems(t, Problems(r.err),
		want{1, "name", "csv.header.missing", false},
		want{1, "nmae", "csv.header.unknown", false},
		want{1, "password", "csv.header.missing", false},
		want{1, "pasword", "csv.header.unknown", false},
		want{1, "x", "csv.header.unknown", false},
	)
}

// Case and width differences and spaces in a users header are taken, with
// warnings that give the expected spelling.
func TestUsersHeaderCase(t *testing.T) {
	res := readFile(t, "users_header_case.csv", meibo.FormatUsers, Auto)
	if res.err != nil {
		t.Fatal(res.err)
	}
	checkProblems(t, res.warnings,
		want{1, "name", "csv.header.case", true},
		want{1, "password", "csv.header.case", true},
		want{1, "email", "csv.header.case", true},
		want{1, "apiAccess", "csv.header.case", true},
	)
	if got := res.warnings[2].Msg.String(); got != `The column "ｅｍａｉｌ" was read as email; write it as email next time.` {
		t.Errorf("message: %s", got)
	}
	u := res.records[0].User
	if u.Name != "taro" || u.Email != "taro@example.com" || !u.APIAccess || !u.HasAPIAccess || u.HasAdmin {
		t.Errorf("%+v", u)
	}
}

// A CR alone ends no row for encoding/csv: the lines it joins make one row
// of too many values, whose message names the line break, not the commas.
// A row of the right width with a CR in a value is left to that value's
// checks.
func TestLoneCRInRow(t *testing.T) {
	data := "name,password,email\r\nalice,Pass-word-123,a@example.com\rbob,Pass-word-123,b@example.com\r\n" +
		"carol,Pass-word-123,c@example.com,x\r\n"
	res := read(t, []byte(data), meibo.FormatUsers, UTF8, 0)
	if res.err != nil {
		t.Fatal(res.err)
	}
	checkProblems(t, allProblems(res),
		want{2, "", "csv.row.cr", false},
		want{3, "", "csv.fields", false})
}

// A file detected as CP932 whose values read as UTF-8 too: kanji saved as
// UTF-8 among Shift_JIS rows are an error of their row, half-width katakana
// that happen to be valid UTF-8 a warning; a file whose encoding is chosen
// is read as chosen.
func TestEncodingReadBothWays(t *testing.T) {
	sjis := func(s string) string {
		b, err := japanese.ShiftJIS.NewEncoder().String(s)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	data := "name,password,email\r\n" +
		"山田,Pass-word-123,a@example.com\r\n" + // UTF-8
		sjis("高橋,Pass-word-123,b@example.com\r\n") +
		sjis("ﾅｶ,Pass-word-123,c@example.com\r\n") // C5 B6: Ŷ in UTF-8
	res := read(t, []byte(data), meibo.FormatUsers, Auto, 0)
	if res.err != nil {
		t.Fatal(res.err)
	}
	if res.detected != CP932 {
		t.Fatalf("detected %s", res.detected)
	}
	checkProblems(t, allProblems(res),
		want{2, "name", "csv.encoding.mixed", false},
		want{4, "name", "csv.encoding.both", true})
	if got := allProblems(res)[0].Msg.Args; fmt.Sprint(got) != "[山田 螻ｱ逕ｰ]" {
		t.Errorf("readings: %v", got)
	}
	res = read(t, []byte(data), meibo.FormatUsers, CP932, 0)
	if res.err != nil {
		t.Fatal(res.err)
	}
	checkProblems(t, allProblems(res))
}

func TestUsersErrors(t *testing.T) {
	res := readFile(t, "users_errors.csv", meibo.FormatUsers, Auto)
	if res.err != nil {
		t.Fatal(res.err)
	}
	checkProblems(t, allProblems(res),
		want{2, "admin", "csv.bool", false},
		want{3, "email", "email.several", false},
		want{4, "email", "email.format", false},
		want{5, "name", "csv.duplicate.name", false},
		want{6, "name", "user.name.format", false},
		want{7, "", "csv.fields", false},
		want{8, "", "csv.row.blank", true},
		want{9, "password", "csv.quote.bare", false},
		want{10, "password", "csv.quote.extra", false},
		want{12, "admin", "csv.bool", false},
	)
	byRow := map[int]*Record{}
	for _, rec := range res.records {
		byRow[rec.Row] = rec
	}
	if args := byRow[2].Problems[0].Msg.Args; args[0] != "yes" {
		t.Errorf("bool args %v", args)
	}
	if args := byRow[5].Problems[0].Msg.Args; args[0] != "taro" || args[1] != int32(2) {
		t.Errorf("duplicate args %v", args)
	}
	if got := byRow[5].Problems[0].String(); got != "Row 5, column name: The name taro appears already in row 2; each user may appear only once in a file." {
		t.Errorf("duplicate: %s", got)
	}
	if args := byRow[7].Problems[0].Msg.Args; args[0] != 5 || args[1] != 7 {
		t.Errorf("ragged args %v", args)
	}
	for _, row := range []int{7, 8, 9, 10} {
		if byRow[row].User != nil {
			t.Errorf("row %d has a record", row)
		}
	}
	// Formula neutralisation is undone: '=1+2 reads as =1+2, '- as -.
	u := byRow[11].User
	if byRow[11].HasErrors() || u.Password != "=1+2" || u.Email != "-juro@example.com" || u.Profile != "@profile" || !u.Admin || !u.Disabled {
		t.Errorf("row 11: %+v %v", u, byRow[11].Problems)
	}
}

// Reading goes on after a syntax error, but after a quote that is never
// closed nothing is left.
func TestUnterminatedQuote(t *testing.T) {
	res := readFile(t, "users_unterminated.csv", meibo.FormatUsers, Auto)
	if res.err != nil {
		t.Fatal(res.err)
	}
	if len(res.records) != 2 {
		t.Fatalf("%s", dump(res))
	}
	checkProblems(t, allProblems(res), want{3, "password", "csv.quote.unterminated", false})

	// A quote followed by text on the last line is not unterminated.
	for data, key := range map[string]string{
		"name,password,email\na,\"pw\"x,b":     "csv.quote.extra",
		"name,password,email\na,\"pw\"x,b\n":   "csv.quote.extra",
		"name,password,email\na,\"pw\"x,b\r\n": "csv.quote.extra",
		"name,password,email\na,\"pw":          "csv.quote.unterminated",
		"name,password,email\na,\"pw\n":        "csv.quote.unterminated",
		"name,password,email\na,\"pw\r\n":      "csv.quote.unterminated",
		"name,password,email\na,\"pw\r":        "csv.quote.unterminated",
		"name,password,email\na,\"p\nw\n\n":    "csv.quote.unterminated",
		"name,password,email\na,\"p\"\"":       "csv.quote.unterminated",
		"name,password,email\na,\"p\"\"\n":     "csv.quote.unterminated",
		"name,password,email\na,\"p\"\" \n":    "csv.quote.unterminated",
		"name,password,email\na,\"\"\"\"x\n":   "csv.quote.extra",
	} {
		res := read(t, []byte(data), meibo.FormatUsers, Auto, 0)
		if ps := allProblems(res); len(ps) != 1 || ps[0].Msg.Key != key || ps[0].Row != 2 {
			t.Errorf("%q: %v, want %s", data, ps, key)
		}
	}
}

func TestPersonal(t *testing.T) {
	res := readFile(t, "personal_manual.csv", meibo.FormatPersonal, Auto)
	if res.err != nil {
		t.Fatal(res.err)
	}
	// The manual's sample: spaces around header items are dropped with a
	// warning; values are kept as they are, and the space in front of each
	// password is an error: the person would type the password without it.
	checkProblems(t, res.warnings,
		want{1, "Password", "csv.header.spaces", true},
		want{1, "Passcode", "csv.header.spaces", true},
	)
	checkProblems(t, allProblems(res),
		want{2, "Password", "csv.password.spaces", false},
		want{3, "Password", "csv.password.spaces", false},
		want{4, "Password", "csv.password.spaces", false},
	)
	for i, rec := range res.records {
		w := PersonalRecord{UserName: "User00" + strconv.Itoa(i+1), Password: " abcd1234"}
		if rec.Personal == nil || *rec.Personal != w || !rec.HasErrors() {
			t.Errorf("row %d: %+v", rec.Row, rec.Personal)
		}
	}

	res = readFile(t, "personal_errors.csv", meibo.FormatPersonal, Auto)
	checkProblems(t, allProblems(res),
		want{3, "UserName", "csv.personal.username.required", false},
		want{4, "Password", "csv.personal.password.required", false},
		want{5, "Passcode", "csv.personal.passcode", true},
		want{6, "UserName", "csv.duplicate.username", false},
		want{7, "UserName", "user.name.format", false},
	)
	if got := allProblems(res)[1].String(); got != "Row 4, column Password: A password is required: Password is blank." {
		t.Errorf("message: %s", got)
	}
	if got := allProblems(res)[2].String(); got != "Row 5, column Passcode: Passcode is not used and was ignored; leave it blank." {
		t.Errorf("message: %s", got)
	}

	// Header items are case-sensitive: "username" is refused, with a hint.
	res = readFile(t, "personal_header_case.csv", meibo.FormatPersonal, Auto)
	checkProblems(t, Problems(res.err), want{1, "username", "csv.header.case_sensitive", false})
	res = readFile(t, "personal_header_missing.csv", meibo.FormatPersonal, Auto)
	checkProblems(t, Problems(res.err), want{1, "Passcode", "csv.header.missing", false})
}

func TestAdminsManualSample(t *testing.T) {
	data := readTestdata(t, "admins_manual.csv")
	if !bytes.HasSuffix(data, []byte("\r\n")) || bytes.Count(data, []byte("\r\n")) != 3 {
		t.Fatal("the sample is three CRLF lines")
	}
	for _, enc := range []Encoding{Auto, UTF8, CP932} {
		res := read(t, data, meibo.FormatAdmins, enc, 0)
		if res.err != nil {
			t.Fatal(res.err)
		}
		want := []AdminRecord{
			{Flag: ' ', LoginID: "AUTOBACKUPUSER", Name: "Automatic Backup User", GUID: "5895E395-92F9-4b91-9724-A64688DFECCE",
				Authorities: meibo.NewAuthorities(meibo.AuthBackup), Status: "0"},
			{Flag: ' ', LoginID: "admin", Name: "admin", GUID: "689A8AA7-39C7-4b10-9F32-6D360350DF12",
				Authorities: meibo.NewAuthorities(meibo.AuthLogViewer, meibo.AuthConsole), Status: "0"},
		}
		if len(res.records) != 2 {
			t.Fatalf("%s", dump(res))
		}
		for i, w := range want {
			rec := res.records[i]
			if rec.Row != i+2 || rec.Admin == nil || *rec.Admin != w || len(rec.Problems) != 0 {
				t.Errorf("%s: row %d: %+v %v", enc, rec.Row, rec.Admin, rec.Problems)
			}
		}
	}
}

func TestAdminsCP932(t *testing.T) {
	res := readFile(t, "admins_cp932.csv", meibo.FormatAdmins, CP932)
	if res.err != nil || len(res.records) != 1 {
		t.Fatalf("%s", dump(res))
	}
	a := res.records[0].Admin
	if a.Name != "山田 太郎" || a.Notes != "備考①" || a.Authorities != meibo.NewAuthorities(6, 31, 32) || res.records[0].HasErrors() {
		t.Errorf("%+v %v", a, res.records[0].Problems)
	}
}

func TestAdminsErrors(t *testing.T) {
	res := readFile(t, "admins_errors.csv", meibo.FormatAdmins, UTF8)
	if res.err != nil {
		t.Fatal(res.err)
	}
	checkProblems(t, allProblems(res),
		want{2, "1 (Processing Flag)", "csv.admins.flag", false},
		want{3, "5 (Access authority_Log Viewer)", "csv.admins.authority", false},
		want{4, "21 (Authority_Log Viewer 1)", "auth.depends", false},
		want{5, "34 (Authority_Management Console 4)", "auth.depends", false},
		want{6, "44 (Notes)", "admin.notes.long", false},
		want{8, "16 (E-mail address 1)", "email.several", false},
		want{9, "2 (User ID)", "csv.duplicate.admin", false},
		want{10, "2 (User ID)", "admin.id.format", false},
		want{12, "4 (Access authority_no viewing authority)", "auth.exclusive", false},
		want{13, "", "csv.admins.fields", false},
	)
	byRow := map[int]*Record{}
	for _, rec := range res.records {
		byRow[rec.Row] = rec
	}
	if got := byRow[4].Problems[0].String(); got != "Row 4, column 21 (Authority_Log Viewer 1): View/save attached information (column 21) needs Log Viewer (column 5)." {
		t.Errorf("dependency: %s", got)
	}
	if got := byRow[5].Problems[0].String(); !strings.Contains(got, "(column 34) needs Department administrator (column 8)") {
		t.Errorf("dependency: %s", got)
	}
	if args := byRow[6].Problems[0].Msg.Args; args[0] != 258 {
		t.Errorf("notes args %v", args)
	}
	if got := byRow[3].Problems[0].Msg.Args[0]; got != "2" {
		t.Errorf("authority value %v", got)
	}
	if byRow[9].Problems[0].Msg.Args[1] != int32(2) {
		t.Errorf("duplicate args %v", byRow[9].Problems[0].Msg.Args)
	}
	if a := byRow[11].Admin; a.Flag != 'D' || a.LoginID != "gone" || byRow[11].HasErrors() {
		t.Errorf("deletion: %+v %v", a, byRow[11].Problems)
	}
	if a := byRow[14].Admin; a.Flag != 'U' || a.LoginID != "-admin2" || a.Name != "=SUM(A1)" || byRow[14].HasErrors() {
		t.Errorf("row 14: %+v", a)
	}
	if a := byRow[7].Admin; a.Notes != strings.Repeat("備", 128) || byRow[7].HasErrors() {
		t.Errorf("256 columns of notes: %v", byRow[7].Problems)
	}
}

func TestAdminsTitle(t *testing.T) {
	res := readFile(t, "admins_title_short.csv", meibo.FormatAdmins, Auto)
	if _, key := fileErrorKey(t, res.err); key != "csv.admins.title.columns" {
		t.Errorf("short title: %v", res.err)
	}
	if got := meibo.AsError(res.err).Msg.String(); !strings.Contains(got, "which has 44 columns; this one has 43") {
		t.Errorf("message: %s", got)
	}
	res = readFile(t, "admins_no_title.csv", meibo.FormatAdmins, Auto)
	if _, key := fileErrorKey(t, res.err); key != "csv.admins.title.data" {
		t.Errorf("no title: %v", res.err)
	}
}

// Restore undoes Neutralise, also for values that start with apostrophes.
func TestNeutraliseRestore(t *testing.T) {
	for in, want := range map[string]string{
		"":          "",
		"taro":      "taro",
		"=1+2":      "'=1+2",
		"+81":       "'+81",
		"-1":        "'-1",
		"@SUM(A1)":  "'@SUM(A1)",
		"\tx":       "'\tx",
		"\rx":       "'\rx",
		"'=1":       "''=1",
		"''-1":      "'''-1",
		"'":         "'",
		"'taro":     "'taro",
		"''":        "''",
		"a=b":       "a=b",
		" =1":       " =1",
		"\n=1":      "\n=1",
		"'@":        "''@",
		"=":         "'=",
		"\uFF1D1+2": "\uFF1D1+2",
	} {
		if got := Neutralise(in); got != want {
			t.Errorf("Neutralise(%q) = %q, want %q", in, got, want)
		}
		if got := Restore(want); got != in {
			t.Errorf("Restore(%q) = %q, want %q", want, got, in)
		}
	}
	// Every string over an alphabet of the characters that matter, up to
	// five long.
	alphabet := []string{"'", "=", "+", "-", "@", "\t", "\r", "a", " "}
	var walk func(s string, n int)
	walk = func(s string, n int) {
		if got := Restore(Neutralise(s)); got != s {
			t.Fatalf("Restore(Neutralise(%q)) = %q", s, got)
		}
		if n == 0 {
			return
		}
		for _, c := range alphabet {
			walk(s+c, n-1)
		}
	}
	walk("", 5)
}

// Offset grows while reading and ends at the size of the file.
func TestOffset(t *testing.T) {
	data := []byte("name,password,email\n" + strings.Repeat("taro,pw,taro@example.com\n", 2000))
	rd, err := NewReader(iotest.HalfReader(bytes.NewReader(data)), meibo.FormatUsers, UTF8, 0)
	if err != nil {
		t.Fatal(err)
	}
	last := rd.Offset()
	for {
		_, err := rd.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if rd.Offset() < last {
			t.Fatalf("offset went back")
		}
		last = rd.Offset()
	}
	if last != int64(len(data)) {
		t.Errorf("offset %d, size %d", last, len(data))
	}
}

// Bad bytes in the title line of an administrator file, which is skipped,
// are a warning; in a users header they refuse the file.
func TestHeaderBadBytes(t *testing.T) {
	title := strings.Replace(manualTitle, "Notes", "\x94\xf5\x8d\x6c", 1) // 備考 in CP932
	res := read(t, []byte(crlf(title, manualAdmin)), meibo.FormatAdmins, UTF8, 0)
	if res.err != nil || len(res.records) != 1 || res.records[0].HasErrors() {
		t.Fatalf("%s", dump(res))
	}
	checkProblems(t, res.warnings, want{1, "44 (Notes)", "csv.bytes.utf8", true})

	res = read(t, []byte("name,password,e\x94\xf5\n"), meibo.FormatUsers, UTF8, 0)
	checkProblems(t, Problems(res.err), want{1, "#3", "csv.bytes.utf8", false})
}
