package csvio

import (
	"bytes"
	"encoding/csv"
	"errors"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/japanese"

	"github.com/meibo/meibo"
)

func writeUsers(t *testing.T, enc Encoding, bom bool, users ...*meibo.User) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := NewUsersWriter(&buf, enc, bom)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range users {
		if err := w.Write(u); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestUsersWriter(t *testing.T) {
	got := writeUsers(t, UTF8, true,
		&meibo.User{Name: "taro", Email: "taro@example.com", PasswordHash: "$argon2id$secret", Admin: true, ProfileName: "default"},
		&meibo.User{Name: "hanako", Email: "", APIAccess: true, Disabled: true, ProfileName: "Sales, Tokyo"},
		&meibo.User{Name: "-jiro", Email: "=jiro@example.com", ProfileName: `say "hi"`},
	)
	want := "\xEF\xBB\xBF" +
		"name,password,email,admin,apiAccess,disabled,profile\r\n" +
		"taro,,taro@example.com,true,false,false,default\r\n" +
		"hanako,,,false,true,true,\"Sales, Tokyo\"\r\n" +
		"'-jiro,,'=jiro@example.com,false,false,false,\"say \"\"hi\"\"\"\r\n"
	if string(got) != want {
		t.Errorf("got\n%q\nwant\n%q", got, want)
	}
	// Without a BOM, an empty export is the header alone.
	if got := writeUsers(t, UTF8, false); string(got) != "name,password,email,admin,apiAccess,disabled,profile\r\n" {
		t.Errorf("empty: %q", got)
	}
	if _, err := NewUsersWriter(&bytes.Buffer{}, Auto, false); meibo.AsError(err).Msg.Key != "csv.encoding.write" {
		t.Errorf("auto: %v", err)
	}
}

// Users written and read back are the same, in both encodings.
func TestUsersRoundTrip(t *testing.T) {
	users := []*meibo.User{
		{Name: "taro", Email: "taro@example.com", Admin: true, ProfileName: "default"},
		{Name: "-hanako", Email: "hanako@example.com", APIAccess: true, ProfileName: "=HYPERLINK(\"x\")"},
		{Name: "'=jiro", Email: "", Disabled: true, ProfileName: "'@home"},
		{Name: "+81", Email: "+81@example.com", ProfileName: "''-x"},
		{Name: "@saburo", Email: "saburo@example.com", ProfileName: "\tTabbed"},
		{Name: "山田", Email: "yamada@example.jp", ProfileName: "営業①, ㈱"},
		{Name: "髙﨑", Email: "takasaki@example.jp", ProfileName: "line one\nline two"},
		{Name: "ｶﾀｶﾅ", Email: "kana@example.jp", ProfileName: "ソ表\"能\""},
		{Name: "'quote", Email: "q@example.com", ProfileName: " spaced "},
	}
	for _, enc := range []Encoding{UTF8, CP932} {
		for _, bom := range []bool{false, true} {
			if enc == CP932 && bom {
				continue
			}
			data := writeUsers(t, enc, bom, users...)
			for _, readAs := range []Encoding{Auto, enc} {
				res := read(t, data, meibo.FormatUsers, readAs, 0)
				if res.err != nil || len(res.records) != len(users) || res.detected != enc {
					t.Fatalf("%s→%s: %s", enc, readAs, dump(res))
				}
				for i, u := range users {
					rec := res.records[i]
					want := UserRecord{Name: u.Name, Email: u.Email, Profile: u.ProfileName, Admin: u.Admin, APIAccess: u.APIAccess,
						Disabled: u.Disabled, HasAdmin: true, HasAPIAccess: true, HasDisabled: true, HasProfile: true}
					if rec.Row != i+2 || *rec.User != want || len(rec.Problems) != 0 {
						t.Errorf("%s→%s row %d: got %+v %v, want %+v", enc, readAs, rec.Row, rec.User, rec.Problems, want)
					}
				}
			}
		}
	}
}

// The CP932 table turns characters that macOS types into their CP932
// counterparts; reading back gives the counterparts.
func TestUsersWriterCP932Compat(t *testing.T) {
	var from, to strings.Builder
	for f, r := range cp932Compat {
		from.WriteRune(f)
		to.WriteRune(r)
	}
	data := writeUsers(t, CP932, false,
		&meibo.User{Name: "wave", ProfileName: "10〜12 − 3 — ‖ ¢£¥¦¬ ‾¯"},
		&meibo.User{Name: "all", ProfileName: from.String()},
		&meibo.User{Name: "nfd", ProfileName: "ガイド"}, // decomposed: カ U+3099
	)
	for _, b := range [][]byte{{0x81, 0x60}, {0x81, 0x7C}, {0x81, 0x5C}, {0x81, 0x61}, {0x81, 0x91}, {0x81, 0x92}, {0x81, 0x8F}, {0xFA, 0x55}, {0x81, 0xCA}, {0x81, 0x50}} {
		if !bytes.Contains(data, b) {
			t.Errorf("% X not written", b)
		}
	}
	res := read(t, data, meibo.FormatUsers, CP932, 0)
	if got := res.records[0].User.Profile; got != "10～12 － 3 ― ∥ ￠￡￥￤￢ ￣￣" {
		t.Errorf("read back %q", got)
	}
	if got := res.records[1].User.Profile; got != to.String() {
		t.Errorf("read back %q, want %q", got, to.String())
	}
	if got := res.records[2].User.Profile; got != "ガイド" {
		t.Errorf("NFD read back %q", got)
	}
}

// A character CP932 lacks is an error naming the record, field and
// character; nothing of the row is written.
func TestUsersWriterUnencodable(t *testing.T) {
	for _, tc := range []struct {
		user *meibo.User
		en   string
		ja   string
	}{
		{&meibo.User{Name: "taro", Email: "taro😀@example.com"},
			"U+1F600 😀 in the e-mail of user taro cannot be written in Shift_JIS (CP932). Replace the character, or export as UTF-8.",
			"ユーザー taro のメールアドレスにある U+1F600 😀 はShift_JIS(CP932)で書き出せません。文字を置き換えるか、UTF-8で書き出してください。"},
		{&meibo.User{Name: "hanako", ProfileName: "©2024"}, "U+00A9 © in the profile of user hanako cannot be written in Shift_JIS (CP932). Replace the character, or export as UTF-8.", ""},
		{&meibo.User{Name: "jiro\u00a0x"}, "U+00A0 in the name of user jiro\u00a0x cannot be written in Shift_JIS (CP932). Replace the character, or export as UTF-8.", ""},
		{&meibo.User{Name: "a", ProfileName: "x\u3099"}, "U+3099 in the profile of user a cannot be written in Shift_JIS (CP932). Replace the character, or export as UTF-8.", ""},
	} {
		var buf bytes.Buffer
		w, _ := NewUsersWriter(&buf, CP932, false)
		w.Write(&meibo.User{Name: "before"})
		err := w.Write(tc.user)
		e := meibo.AsError(err)
		if e.Code != meibo.CodeInvalid || e.Msg.Key != "csv.encode.cp932" || e.Msg.String() != tc.en {
			t.Errorf("got %v\nwant %s", err, tc.en)
		}
		if tc.ja != "" && e.Msg.In(meibo.Japanese) != tc.ja {
			t.Errorf("Japanese: %s", e.Msg.In(meibo.Japanese))
		}
		w.Flush()
		if buf.String() != "name,password,email,admin,apiAccess,disabled,profile\r\nbefore,,,false,false,false,\r\n" {
			t.Errorf("written: %q", buf.String())
		}
	}
	// A CR would be dropped by encoding/csv: refused in both encodings.
	for _, enc := range []Encoding{UTF8, CP932} {
		w, _ := NewUsersWriter(&bytes.Buffer{}, enc, false)
		if err := w.Write(&meibo.User{Name: "cr", ProfileName: "a\r\nb"}); meibo.AsError(err).Msg.Key != "csv.encode.cr" {
			t.Errorf("%s: CR: %v", enc, err)
		}
		if err := w.Write(&meibo.User{Name: "bad", ProfileName: "a\xffb"}); meibo.AsError(err).Msg.Key != "csv.encode.utf8" {
			t.Errorf("%s: invalid UTF-8: %v", enc, err)
		}
	}
}

// adminsFromRecords turns the records of a file into administrators as the
// store would hold them.
func adminOf(r *AdminRecord) *meibo.Admin {
	return &meibo.Admin{LoginID: r.LoginID, GUID: r.GUID, Name: r.Name, Email: r.Email, Notes: r.Notes, Authorities: r.Authorities}
}

func writeAdmins(t *testing.T, enc Encoding, loc *time.Location, admins ...*meibo.Admin) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := NewAdminsWriter(&buf, enc, false, loc)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range admins {
		if err := w.Write(a); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// The manual's sample read and written back gives the same fields: the
// title line exactly, and the rows but for the authorities the sample
// leaves blank (26, 35, 36), which read as 0 and are written as "0".
func TestAdminsWriterManualSample(t *testing.T) {
	jst := time.FixedZone("JST", 9*60*60)
	res := readFile(t, "admins_manual.csv", meibo.FormatAdmins, Auto)
	backup, admin := adminOf(res.records[0].Admin), adminOf(res.records[1].Admin)
	when := time.Date(2007, 1, 1, 0, 0, 0, 0, jst).UTC() // as the store keeps it
	backup.LastSignInAt, backup.PasswordChangedAt = &when, &when
	for _, enc := range []Encoding{UTF8, CP932} {
		got := writeAdmins(t, enc, jst, backup, admin)
		fix := func(line string) string {
			f := strings.Split(line, ",")
			for _, c := range []int{26, 35, 36} {
				f[c-1] = `"0"`
			}
			return strings.Join(f, ",")
		}
		want := crlf(manualTitle, fix(manualBackup), fix(manualAdmin))
		if string(got) != want {
			t.Errorf("%s: got\n%s\nwant\n%s", enc, got, want)
		}
		// Read again: the same records.
		again := read(t, got, meibo.FormatAdmins, enc, 0)
		for i := range 2 {
			if *again.records[i].Admin != *res.records[i].Admin {
				t.Errorf("%s: read again %+v, want %+v", enc, again.records[i].Admin, res.records[i].Admin)
			}
		}
	}
}

func TestAdminsWriterFields(t *testing.T) {
	jst := time.FixedZone("JST", 9*60*60)
	signIn := time.Date(2024, 3, 31, 23, 59, 58, 0, time.UTC)
	a := &meibo.Admin{LoginID: "-ops", GUID: "G-1", Name: `=cmd|' /C calc'!A0`, Email: "ops@example.com",
		Notes: `say "hi", 備考①`, Disabled: true, LastSignInAt: &signIn,
		Authorities: meibo.NewAuthorities(meibo.AuthConsole, meibo.AuthDepartment, meibo.AuthDevices, meibo.AuthDevicesOnly, meibo.AuthEmergency)}
	data := writeAdmins(t, CP932, jst, a)
	if !bytes.HasSuffix(data, []byte("\"\r\n")) || bytes.Count(data, []byte("\r\n")) != 2 {
		t.Fatalf("lines: %q", data)
	}
	text, _ := japanese.ShiftJIS.NewDecoder().Bytes(data)
	line := strings.SplitN(string(text), "\r\n", 3)[1]
	if strings.Count(line, `","`) != AdminColumns-1 || !strings.HasPrefix(line, `"`) {
		t.Errorf("not every field quoted: %s", line)
	}
	rec, err := csv.NewReader(strings.NewReader(line)).Read()
	if err != nil || len(rec) != AdminColumns {
		t.Fatalf("%v %d", err, len(rec))
	}
	for col, want := range map[int]string{
		1: " ", 2: "'-ops", 3: " ", 4: "0", 5: "0", 6: "1", 7: "0", 8: "1", 9: " ", 13: " ", 14: "G-1",
		15: `'=cmd|' /C calc'!A0`, 16: "ops@example.com", 17: " ", 20: " ", 21: "0", 26: "0", 27: " ", 30: " ",
		31: "0", 32: "0", 33: "1", 34: "1", 35: "0", 36: "1", 37: " ", 40: " ",
		41: "1", 42: "20240401085958", 43: " ", 44: `say "hi", 備考①`,
	} {
		if rec[col-1] != want {
			t.Errorf("column %d: %q, want %q", col, rec[col-1], want)
		}
	}
	// Read back, the values are as they were.
	back := read(t, data, meibo.FormatAdmins, CP932, 0)
	if got := back.records[0].Admin; got.LoginID != a.LoginID || got.Name != a.Name || got.Notes != a.Notes || got.Authorities != a.Authorities || back.records[0].HasErrors() {
		t.Errorf("read back %+v %v", got, back.records[0].Problems)
	}
	// The notes hold a quote: doubled inside the quoted field.
	if !strings.Contains(line, `"say ""hi"", 備考①"`) {
		t.Errorf("quoting: %s", line)
	}
	// The IBM extensions are written as Windows writes them.
	data = writeAdmins(t, CP932, nil, &meibo.Admin{LoginID: "x", Name: "髙﨑"})
	if !bytes.Contains(data, []byte{0xFB, 0xFC, 0xFA, 0xB1}) {
		t.Errorf("髙﨑 not as 0xFBFC 0xFAB1")
	}
	// An unencodable character names the administrator and the field.
	var buf bytes.Buffer
	w, _ := NewAdminsWriter(&buf, CP932, false, nil)
	err = w.Write(&meibo.Admin{LoginID: "ops", Notes: "🙂"})
	if got := meibo.AsError(err).Msg.String(); got != "U+1F642 🙂 in the notes of administrator ops cannot be written in Shift_JIS (CP932). Replace the character, or export as UTF-8." {
		t.Errorf("got %s", got)
	}
}

func TestErrorsWriter(t *testing.T) {
	msgs := []meibo.ImportMessage{
		meibo.NewImportMessage(0, "", meibo.M("csv.empty"), false),
		meibo.NewImportMessage(7, "name", meibo.M("csv.bytes.cp932", "0x85 0x40", int64(1234)), false),
		meibo.NewImportMessage(9, "=x", meibo.M("csv.row.blank"), true),
	}
	var en, ja bytes.Buffer
	if err := WriteErrors(&en, msgs, meibo.English); err != nil {
		t.Fatal(err)
	}
	if err := WriteErrors(&ja, msgs, meibo.Japanese); err != nil {
		t.Fatal(err)
	}
	want := "\xEF\xBB\xBFrow,column,severity,message\r\n" +
		",,error,The file is empty. Save the data as CSV with its header row and upload it again.\r\n" +
		"7,name,error,\"Bytes 0x85 0x40 at byte 1234 are not valid Shift_JIS (CP932). Correct the value; if the file is in another encoding, choose it (or auto) and upload the file again.\"\r\n" +
		"9,'=x,warning,The row is blank and was skipped.\r\n"
	if en.String() != want {
		t.Errorf("got\n%q\nwant\n%q", en.String(), want)
	}
	if !strings.Contains(ja.String(), "7,name,エラー,1234バイト目のバイト列 0x85 0x40 はShift_JIS(CP932)として正しくありません。") {
		t.Errorf("Japanese: %s", ja.String())
	}
	// The file reads back with the same values.
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(en.Bytes(), bomUTF8)))
	all, err := r.ReadAll()
	if err != nil || len(all) != 4 || Restore(all[3][1]) != "=x" {
		t.Errorf("%v %v", err, all)
	}
}

type failingWriter struct{}

var errDiskFull = errors.New("disk full")

func (failingWriter) Write([]byte) (int, error) { return 0, errDiskFull }

// Errors of the writer underneath are passed on, wrapped.
func TestWriterErrors(t *testing.T) {
	if _, err := NewUsersWriter(failingWriter{}, UTF8, true); !errors.Is(err, errDiskFull) {
		t.Errorf("BOM: %v", err)
	}
	w, _ := NewUsersWriter(failingWriter{}, CP932, false)
	w.Write(&meibo.User{Name: "taro"})
	if err := w.Flush(); !errors.Is(err, errDiskFull) {
		t.Errorf("users: %v", err)
	}
	a, _ := NewAdminsWriter(failingWriter{}, UTF8, false, nil)
	a.Write(&meibo.Admin{LoginID: "a"})
	if err := a.Flush(); !errors.Is(err, errDiskFull) {
		t.Errorf("admins: %v", err)
	}
	if err := WriteErrors(failingWriter{}, nil, meibo.English); !errors.Is(err, errDiskFull) {
		t.Errorf("errors: %v", err)
	}
}
