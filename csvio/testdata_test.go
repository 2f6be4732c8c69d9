package csvio

import (
	"archive/zip"
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"unicode/utf16"
)

// The files in testdata are real files, committed; this generator documents
// how each was made and keeps them in sync:
//
//	go test ./csvio -run TestTestdata -update
//
// The CP932 files are spelled out byte by byte (not made with the encoder
// under test).
var update = flag.Bool("update", false, "rewrite the files in testdata")

// crlf joins lines with CRLF, ending with one.
func crlf(lines ...string) string { return strings.Join(lines, "\r\n") + "\r\n" }

// lf joins lines with LF, ending with one.
func lf(lines ...string) string { return strings.Join(lines, "\n") + "\n" }

// The manual's (002) own sample: its title line and two rows.
const (
	manualTitle  = `" ","User ID","Password","Access authority_no viewing authority","Access authority_Log Viewer","Access authority_Management Console","Access authority_backup restoration","Access authority_department administrator","Access authority 6","Access authority 7","Access authority 8","Access authority 9","Access authority 10","User identification information","Name","E-mail address 1","E-mail address 2","E-mail address 3","E-mail address 4","E-mail address 5","Authority_Log Viewer 1","Authority_Log Viewer 2","Authority_Log Viewer 3","Authority_Log Viewer 4","Authority_Log Viewer 5","Authority_Log Viewer 6","Authority_Log Viewer 7","Authority_Log Viewer 8","Authority_Log Viewer 9","Authority_Log Viewer 10","Authority_Management Console 1","Authority_Management Console 2","Authority_Management Console 3","Authority_Management Console 4","Authority_Management Console 5","Authority_Management Console 6","Authority_Management Console 7","Authority_Management Console 8","Authority_Management Console 9","Authority_Management Console 10","Record status","Final logon date and time","Final password changing date and time","Notes"`
	manualBackup = `" ","AUTOBACKUPUSER"," ","0","0","0","1","0"," "," "," "," "," ","5895E395-92F9-4b91-9724-A64688DFECCE","Automatic Backup User"," "," "," "," "," ","0","0","0","0","0"," "," "," "," "," ","0","0","0","0"," "," "," "," "," "," ","0","20070101000000","20070101000000"," "`
	manualAdmin  = `" ","admin"," ","0","1","1","0","0"," "," "," "," "," ","689A8AA7-39C7-4b10-9F32-6D360350DF12","admin"," "," "," "," "," ","0","0","0","0","0"," "," "," "," "," ","0","0","0","0"," "," "," "," "," "," ","0"," "," "," "`
)

// adminRow builds a 44-column administrator row: every column a half-width
// space but those in set (by number).
func adminRow(set map[int]string) string {
	f := make([]string, AdminColumns)
	for i := range f {
		f[i] = `" "`
		if v, ok := set[i+1]; ok {
			f[i] = `"` + strings.ReplaceAll(v, `"`, `""`) + `"`
		}
	}
	return strings.Join(f, ",")
}

// auth returns authority columns set to "0" but for those given as "1".
func auth(m map[int]string, ones ...int) map[int]string {
	for _, c := range adminAuthorityColumns {
		if _, ok := m[c]; !ok {
			m[c] = "0"
		}
	}
	for _, c := range ones {
		m[c] = "1"
	}
	return m
}

func utf16le(s string) []byte {
	var b []byte
	for _, u := range utf16.Encode([]rune(s)) {
		b = append(b, byte(u), byte(u>>8))
	}
	return b
}

func utf16be(s string) []byte {
	var b []byte
	for _, u := range utf16.Encode([]rune(s)) {
		b = append(b, byte(u>>8), byte(u))
	}
	return b
}

// xlsx returns a minimal Office Open XML workbook as Excel writes it: a
// ZIP whose first member is [Content_Types].xml.
func xlsx() []byte {
	var buf bytes.Buffer
	z := zip.NewWriter(&buf)
	for _, f := range []struct{ name, body string }{
		{"[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>`},
		{"xl/workbook.xml", `<?xml version="1.0" encoding="UTF-8"?><workbook/>`},
	} {
		w, err := z.Create(f.name)
		if err != nil {
			panic(err)
		}
		w.Write([]byte(f.body))
	}
	if err := z.Close(); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

func plainZip() []byte {
	var buf bytes.Buffer
	z := zip.NewWriter(&buf)
	w, _ := z.Create("users.csv")
	w.Write([]byte("name,password,email\n"))
	z.Close()
	return buf.Bytes()
}

// xls returns the start of an OLE2 compound file, as an old .xls is.
func xls() []byte {
	b := make([]byte, 512)
	copy(b, []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1})
	b[0x18], b[0x1A], b[0x1C], b[0x1E] = 0x3E, 0x03, 0xFE, 0x09
	return b
}

// testdataFiles returns every file of testdata by name.
func testdataFiles() map[string][]byte {
	files := map[string]string{
		// Users, UTF-8 without BOM, LF; quoted values with commas, quotes
		// and line breaks; Japanese.
		"users_utf8.csv": lf(
			`name,password,email,admin,apiAccess,disabled,profile`,
			`taro,secret1,taro@example.com,true,false,false,Sales`,
			`hanako,"pass,word",hanako@example.com,FALSE,True,0,"Sales, Tokyo"`,
			`jiro,"say ""hi""",jiro@example.com,1,0,,"line one`,
			`line two"`,
			`山田,パスワード,yamada@example.jp,,,,営業部`,
		),
		// The same users, with a BOM and CRLF, columns in another order and
		// optional ones missing.
		"users_utf8_bom_crlf.csv": "\xEF\xBB\xBF" + crlf(
			`email,name,password`,
			`taro@example.com,taro,secret1`,
			`hanako@example.com,hanako,"pass,word"`,
			`jiro@example.com,jiro,"line one`+"\r\n"+`line two"`,
		),
		// Users in CP932: half-width katakana (ｶﾀｶﾅ), NEC special characters
		// (① 0x8740, ㈱ 0x878A, № 0x8782), IBM extensions (髙 0xFBFC,
		// 﨑 0xFAB1) and one NEC-selected duplicate (髙 0xEEE0), and the
		// trail byte 0x5C (ソ 0x835C, 表 0x955C) inside quoted and unquoted
		// values, also right before a comma, a quote and a line break.
		"users_cp932.csv": crlf(
			`name,password,email,admin,apiAccess,disabled,profile`,
			"\xb6\xc0\xb6\xc5,pw1,kata@example.com,true,false,false,\x89\x63\x8b\xc6\x87\x40",
			"\xfb\xfc\x8b\xb4,pw2,takahashi@example.com,1,0,0,\"\x87\x8a\x83\x5c\x83\x74\x83\x67\x95\x5c\"",
			"\xfa\xb1\x8e\x52,\"pass,\"\"word\"\"\",sakiyama@example.com,,,,\"\x87\x82\x35\r\n\x95\x5c\"",
			"\x83\x5c\x95\x5c,\x95\x5c\x83\x5c,so@example.com,FALSE,TRUE,false,\x83\x5c",
			"\xee\xe0\x93\x63,pw5,takada@example.com,,,,\x95\x5c",
		),
		// The personal format, as the manual's sample has it (spaces after
		// the commas, a trailing comma for the blank Passcode).
		"personal_manual.csv": crlf(
			`UserName, Password, Passcode`,
			`User001, abcd1234,`,
			`User002, abcd1234,`,
			`User003, abcd1234,`,
		),
		"personal_errors.csv": crlf(
			`UserName,Password,Passcode`,
			`User001,abcd1234,`,
			`,abcd1234,`,
			`User003,,`,
			`User004,abcd1234,1234`,
			`User001,other,`,
			`User 006,abcd1234,`,
		),
		"personal_header_case.csv":    crlf(`username,Password,Passcode`, `User001,abcd1234,`),
		"personal_header_missing.csv": crlf(`UserName,Password`, `User001,abcd1234`),

		// The administrator format: the manual's sample, CRLF.
		"admins_manual.csv": crlf(manualTitle, manualBackup, manualAdmin),
		// Administrators in CP932 with a Japanese name and notes.
		"admins_cp932.csv": crlf(manualTitle,
			adminRow(auth(map[int]string{2: "yamada", 15: "\x8e\x52\x93\x63 \x91\xbe\x98\x59", 16: "yamada@example.jp", 44: "\x94\xf5\x8d\x6c\x87\x40"}, 6, 31, 32)),
		),
		"admins_errors.csv": crlf(manualTitle,
			adminRow(auth(map[int]string{1: "X", 2: "badflag"}, 6)),                              // 2: bad flag
			adminRow(auth(map[int]string{2: "badauth", 5: "2"})),                                 // 3: bad authority value
			adminRow(auth(map[int]string{2: "logattach"}, 21)),                                   // 4: 21 needs 5
			adminRow(auth(map[int]string{2: "devonly"}, 6, 33, 34)),                              // 5: 34 needs 8
			adminRow(auth(map[int]string{2: "longnotes", 44: strings.Repeat("備", 129)}, 6)),      // 6: notes 258 columns
			adminRow(auth(map[int]string{2: "okNotes", 44: strings.Repeat("備", 128)}, 6)),        // 7: notes 256 columns: fine
			adminRow(auth(map[int]string{2: "twomails", 16: "a@example.com; b@example.com"}, 6)), // 8: several e-mail addresses
			adminRow(auth(map[int]string{2: "badflag"}, 6)),                                      // 9: duplicate ID
			adminRow(auth(map[int]string{2: "bad id"}, 6)),                                       // 10: bad ID
			adminRow(auth(map[int]string{1: "D", 2: "gone", 5: "x"}, 21)),                        // 11: deletion: only the ID counts
			adminRow(auth(map[int]string{2: "nothing"}, 4, 6)),                                   // 12: 4 with 6
			strings.Join(strings.Split(adminRow(map[int]string{2: "short"}), ",")[:43], ","),     // 13: 43 columns
			adminRow(auth(map[int]string{1: "U", 2: "'-admin2", 15: "'=SUM(A1)"}, 6)),            // 14: formulas
		),
		"admins_title_short.csv": crlf(strings.Join(strings.Split(manualTitle, ",")[:43], ","), manualAdmin),
		"admins_no_title.csv":    crlf(manualAdmin, manualBackup),

		// Users: header errors.
		"users_header_unknown.csv":   crlf(`name,password,email,mail`, `taro,pw,taro@example.com,x`),
		"users_header_missing.csv":   crlf(`name,email`, `taro,taro@example.com`),
		"users_header_duplicate.csv": crlf(`name,password,email,Email`, `taro,pw,a@example.com,b@example.com`),
		"users_header_case.csv":      crlf(`Name, PASSWORD ,ｅｍａｉｌ,ApiAccess`, `taro,pw,taro@example.com,true`),
		"users_header_blank.csv":     crlf(`name,password,email,`, `taro,pw,taro@example.com,`),
		"users_header_not_first.csv": "\r\n" + crlf(`name,password,email`, `taro,pw,taro@example.com`),
		"semicolon.csv":              crlf(`name;password;email`, `taro;pw;taro@example.com`),
		"cr_only.csv":                "name,password,email\rtaro,pw,taro@example.com\r",

		// Users: row errors.
		"users_errors.csv": crlf(
			`name,password,email,admin,apiAccess,disabled,profile`,
			`taro,pw,taro@example.com,yes,false,false,`,        // 2: bad boolean
			`jiro,pw,"jiro@example.com, jiro@example.org",,,,`, // 3: several e-mail addresses
			`saburo,pw,saburo(at)example.com,,,,`,              // 4: not an e-mail address
			`taro,pw,taro2@example.com,,,,`,                    // 5: duplicate name
			`shiro goro,pw,shiro@example.com,,,,`,              // 6: space in the name
			`rokuro,pw,rokuro@example.com,true,false`,          // 7: ragged (5 values)
			`,,,,,,`,                                           // 8: blank: skipped
			`hachi,pw"x,hachi@example.com,,,,`,                 // 9: bare quote
			`kuro,"pw"x,kuro@example.com,,,,`,                  // 10: text after the closing quote
			`juro,'=1+2,'-juro@example.com,TRUE,0,1,'@profile`, // 11: formulas, and '- restored
			`ichiro,pw,ichiro@example.com,2,,,`,                // 12: bad boolean
		),
		"users_unterminated.csv": crlf(
			`name,password,email`,
			`taro,pw,taro@example.com`,
			`jiro,"pw,jiro@example.com`,
			`saburo,pw,saburo@example.com`,
		),
		// Bad CP932 bytes: 0x85 0x40 (unmapped) in the name of row 7, a lone
		// 0xA0 in the e-mail of row 8, a lone 0x80 in the profile of row 9.
		"users_bad_cp932.csv": crlf(
			`name,password,email,profile`,
			"a,pw,a@example.com,\x89\x63\x8b\xc6",
			"b,pw,b@example.com,",
			"c,pw,c@example.com,",
			"d,pw,d@example.com,",
			"e,pw,e@example.com,",
			"\x93\x63\x85\x40,pw,f@example.com,",
			"g,pw,g\xa0@example.com,",
			"h,pw,h@example.com,x\x80y",
		),
		// Invalid UTF-8: CP932 bytes (日 = 0x93 0xFA) in an otherwise UTF-8
		// file, and a U+FFFD typed as such.
		"users_invalid_utf8.csv": lf(
			`name,password,email,profile`,
			`山田,pw,yamada@example.jp,営業`,
			"x\x93\xfa,pw,x@example.com,",
			"y,pw,y@example.com,\xef\xbf\xbd",
		),

		// Files that are not CSV text.
		"empty.csv":      "",
		"bom_only.csv":   "\xEF\xBB\xBF",
		"whitespace.csv": " \r\n\t\r\n   \n",
		"binary.bin":     "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10",
		"nul_late.csv":   "name,password,email\n" + strings.Repeat("taro,pw,taro@example.com\n", 100) + "x\x00y,pw,\n",
	}
	out := map[string][]byte{}
	for k, v := range files {
		out[k] = []byte(v)
	}
	out["book.xlsx"] = xlsx()
	out["users.zip"] = plainZip()
	out["book.xls"] = xls()
	out["utf16le.csv"] = append([]byte{0xFF, 0xFE}, utf16le("name,password,email\r\ntaro,pw,taro@example.com\r\n")...)
	out["utf16be.csv"] = append([]byte{0xFE, 0xFF}, utf16be("name,password,email\r\ntaro,pw,taro@example.com\r\n")...)
	out["utf16le_nobom.csv"] = utf16le("name,password,email\r\ntaro,pw,taro@example.com\r\n")
	return out
}

// fuzzSeeds are the files of testdata/fuzz/FuzzRead: a few testdata files
// each with the mode (format × encoding × seekable, see FuzzRead) they are
// read in.
func fuzzSeeds(files map[string][]byte) map[string][]byte {
	seeds := map[string]struct {
		file string
		mode byte
	}{
		"users-utf8":       {"users_utf8.csv", modeOf(1, 1, false)},
		"users-cp932-auto": {"users_cp932.csv", modeOf(1, 0, true)},
		"users-errors":     {"users_errors.csv", modeOf(1, 0, false)},
		"users-unterm":     {"users_unterminated.csv", modeOf(1, 1, true)},
		"users-bad-cp932":  {"users_bad_cp932.csv", modeOf(1, 2, false)},
		"users-bad-utf8":   {"users_invalid_utf8.csv", modeOf(1, 1, false)},
		"personal":         {"personal_manual.csv", modeOf(0, 0, false)},
		"personal-errors":  {"personal_errors.csv", modeOf(0, 1, true)},
		"admins-manual":    {"admins_manual.csv", modeOf(2, 0, true)},
		"admins-cp932":     {"admins_cp932.csv", modeOf(2, 2, false)},
		"admins-errors":    {"admins_errors.csv", modeOf(2, 0, false)},
		"xlsx":             {"book.xlsx", modeOf(1, 0, false)},
		"utf16":            {"utf16le.csv", modeOf(1, 0, true)},
	}
	out := map[string][]byte{}
	for name, s := range seeds {
		out[name] = []byte(fmt.Sprintf("go test fuzz v1\n[]byte(%s)\nbyte(%s)\n",
			strconv.Quote(string(files[s.file])), strconv.QuoteRune(rune(s.mode))))
	}
	return out
}

func TestTestdata(t *testing.T) {
	files := testdataFiles()
	corpus := fuzzSeeds(files)
	all := map[string][]byte{}
	for k, v := range files {
		all[k] = v
	}
	for k, v := range corpus {
		all[filepath.Join("fuzz", "FuzzRead", k)] = v
	}
	names := make([]string, 0, len(all))
	for k := range all {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, name := range names {
		path := filepath.Join("testdata", name)
		if *update {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, all[name], 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Errorf("%s: %v (run go test -run TestTestdata -update)", name, err)
			continue
		}
		if !bytes.Equal(got, all[name]) {
			t.Errorf("%s differs from its generator (run go test -run TestTestdata -update)", name)
		}
	}
}

// readTestdata returns a file of testdata.
func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}
