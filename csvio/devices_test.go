package csvio

import (
	"bytes"
	"strings"
	"testing"
	"unicode"

	"golang.org/x/text/encoding/japanese"

	"github.com/meibo/meibo"
)

func devicesFile(lines ...string) []byte { return []byte(strings.Join(lines, "\r\n") + "\r\n") }

// The header of a devices file: any order, user and a key column required.
func TestDevicesHeader(t *testing.T) {
	for _, tc := range []struct {
		name   string
		header string
		cols   map[string]string // column → message key of the refusal
		warns  []want
	}{
		{name: "all three", header: "name,serial,user"},
		{name: "any order", header: "user,serial,name"},
		{name: "serial alone finds devices", header: "serial,user"},
		{name: "name alone finds devices", header: "user,name"},
		{name: "case and width", header: "Name,ＳＥＲＩＡＬ, user",
			warns: []want{{1, "name", "csv.header.case", true}, {1, "serial", "csv.header.case", true}, {1, "user", "csv.header.spaces", true}}},
		{name: "no user", header: "name,serial", cols: map[string]string{"user": "csv.header.missing"}},
		{name: "no key", header: "user", cols: map[string]string{"serial": "csv.devices.header.key"}},
		{name: "unknown and duplicate", header: "name,serial,user,model,serial",
			cols: map[string]string{"model": "csv.header.unknown", "serial": "csv.header.duplicate"}},
		{name: "blank column", header: "name,,user", cols: map[string]string{"#2": "csv.header.blank"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := read(t, devicesFile(tc.header), meibo.FormatDevices, Auto, 0)
			if len(tc.cols) == 0 {
				if res.err != nil {
					t.Fatalf("refused: %v", res.err)
				}
				checkProblems(t, res.warnings, tc.warns...)
				return
			}
			e := meibo.AsError(res.err)
			if e == nil || e.Code != meibo.CodeInvalid || len(e.Fields) != len(tc.cols) {
				t.Fatalf("got %v (%v), want errors about %v", res.err, e.Fields, tc.cols)
			}
			for col, key := range tc.cols {
				if e.Fields[col].Key != key {
					t.Errorf("column %s: %s, want %s", col, e.Fields[col].Key, key)
				}
				if !meibo.HasMessage(key) {
					t.Errorf("%s is not in the catalogue", key)
				}
			}
		})
	}
}

// Rows: values as they are (formula neutralisation undone), the checks the
// file alone allows, and duplicates within the file.
func TestDevicesRows(t *testing.T) {
	res := read(t, devicesFile(
		"name,serial,user",
		"Tablet 1,SN-001,alice",     // 2: by serial, assigned
		"Tablet 2,,",                // 3: by name, unassigned
		",SN-003,bob",               // 4: by serial, name kept
		",,carol",                   // 5: nothing finds the device
		"Tablet 5,SN-001,dave",      // 6: serial again
		"Tablet 2,,erin",            // 7: name again (by name)
		"Tablet 2,SN-008,",          // 8: the same name with a serial: not a duplicate
		"'=cmd,'-SN,'@eve",          // 9: neutralised values
		"Tablet 10,SN-010,bad user", // 10: not a user name
		"Bad\x01name,SN-011,",       // 11: control character in the name
		"Tablet 12,SN-012",          // 12: too few fields
		",,",                        // 13: blank row
	), meibo.FormatDevices, Auto, 0)
	if res.err != nil {
		t.Fatal(res.err)
	}
	if len(res.records) != 12 {
		t.Fatalf("%d records:\n%s", len(res.records), dump(res))
	}
	got := map[int]DeviceRecord{}
	for _, rec := range res.records {
		if rec.Device != nil {
			got[rec.Row] = *rec.Device
		}
		if rec.Personal != nil || rec.User != nil || rec.Admin != nil {
			t.Errorf("row %d: a record of another format", rec.Row)
		}
	}
	for row, w := range map[int]DeviceRecord{
		2: {"Tablet 1", "SN-001", "alice"},
		3: {"Tablet 2", "", ""},
		4: {"", "SN-003", "bob"},
		8: {"Tablet 2", "SN-008", ""},
		9: {"=cmd", "-SN", "@eve"},
	} {
		if got[row] != w {
			t.Errorf("row %d: %+v, want %+v", row, got[row], w)
		}
	}
	if !got[3].ByName() || got[2].ByName() || got[4].ByName() {
		t.Errorf("ByName: rows 2, 3, 4 = %v %v %v", got[2].ByName(), got[3].ByName(), got[4].ByName())
	}
	checkProblems(t, allProblems(res),
		want{5, "serial", "csv.devices.key.required", false},
		want{6, "serial", "csv.devices.duplicate.serial", false},
		want{7, "name", "csv.devices.duplicate.name", false},
		want{10, "user", "user.name.format", false},
		want{11, "name", "control_chars", false},
		want{12, "", "csv.fields", false},
		want{13, "", "csv.row.blank", true},
	)
	for _, p := range allProblems(res) {
		if p.Row == 6 && !strings.Contains(p.String(), "row 2") {
			t.Errorf("the duplicate does not name the first row: %s", p)
		}
	}
}

// Without a serial column, the name is the key: blank is an error there.
func TestDevicesByNameOnly(t *testing.T) {
	res := read(t, devicesFile("user,name", "alice,Tablet 1", "bob,", "carol,Tablet 1"), meibo.FormatDevices, UTF8, 0)
	if res.err != nil {
		t.Fatal(res.err)
	}
	checkProblems(t, allProblems(res),
		want{3, "name", "csv.devices.key.required", false},
		want{4, "name", "csv.devices.duplicate.name", false},
	)
}

// A CP932 file reads like a UTF-8 one.
func TestDevicesCP932(t *testing.T) {
	data, err := japanese.ShiftJIS.NewEncoder().Bytes([]byte("name,serial,user\r\nタブレット,SN-1,太郎\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	res := read(t, data, meibo.FormatDevices, Auto, 0)
	if res.err != nil || res.detected != CP932 || len(res.records) != 1 {
		t.Fatalf("%v %s\n%s", res.err, res.detected, dump(res))
	}
	if d := res.records[0].Device; d == nil || d.Name != "タブレット" || d.User != "太郎" || d.Serial != "SN-1" {
		t.Errorf("record: %+v", d)
	}
	checkProblems(t, allProblems(res))
}

func writeDevices(t *testing.T, enc Encoding, bom bool, devices ...*meibo.Device) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := NewDevicesWriter(&buf, enc, bom)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range devices {
		if err := w.Write(d); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestDevicesWriter(t *testing.T) {
	got := writeDevices(t, UTF8, true,
		&meibo.Device{Name: "Tablet 1", Serial: "SN-001", UserName: "alice", SecretHash: "secret", Model: "X"},
		&meibo.Device{Name: "Phone, old", Serial: ""},
		&meibo.Device{Name: "=HYPERLINK()", Serial: "-1", UserName: "@bob"},
	)
	want := "\xEF\xBB\xBF" +
		"name,serial,user\r\n" +
		"Tablet 1,SN-001,alice\r\n" +
		"\"Phone, old\",,\r\n" +
		"'=HYPERLINK(),'-1,'@bob\r\n"
	if string(got) != want {
		t.Errorf("got\n%q\nwant\n%q", got, want)
	}
	if got := writeDevices(t, UTF8, false); string(got) != "name,serial,user\r\n" {
		t.Errorf("empty: %q", got)
	}
	// A value CP932 cannot hold fails, naming the device and the field.
	var buf bytes.Buffer
	w, err := NewDevicesWriter(&buf, CP932, false)
	if err != nil {
		t.Fatal(err)
	}
	err = w.Write(&meibo.Device{Name: "Tablet 😀", Serial: "SN-9"})
	if e := meibo.AsError(err); e.Msg.Key != "csv.encode.cp932" || !strings.Contains(e.Msg.In(meibo.English), "device Tablet 😀 (SN-9)") {
		t.Errorf("CP932: %v", err)
	}
	if _, err := NewDevicesWriter(&bytes.Buffer{}, Auto, false); meibo.AsError(err).Msg.Key != "csv.encoding.write" {
		t.Errorf("auto: %v", err)
	}
}

// Devices written and read back are the same, in both encodings.
func TestDevicesRoundTrip(t *testing.T) {
	devices := []*meibo.Device{
		{Name: "Tablet 1", Serial: "SN-001", UserName: "alice"},
		{Name: "タブレット（２）", Serial: "", UserName: "山田"},
		{Name: "-minus", Serial: "'=quoted", UserName: "+plus"},
		{Name: `say "hi", twice`, Serial: "SN\n2"},
	}
	for _, enc := range []Encoding{UTF8, CP932} {
		data := writeDevices(t, enc, enc == UTF8, devices...)
		res := read(t, data, meibo.FormatDevices, Auto, 0)
		if res.err != nil || len(res.records) != len(devices) {
			t.Fatalf("%s: %v\n%s", enc, res.err, dump(res))
		}
		if res.detected != enc {
			t.Errorf("%s: read as %s", enc, res.detected)
		}
		for i, rec := range res.records {
			d := devices[i]
			if rec.Device == nil || *rec.Device != (DeviceRecord{Name: d.Name, Serial: d.Serial, User: d.UserName}) {
				t.Errorf("%s: row %d: %+v, want %s/%s/%s", enc, rec.Row, rec.Device, d.Name, d.Serial, d.UserName)
			}
			checkProblems(t, rec.Problems)
		}
	}
}

// A devices file holds no password: Redact keeps it as it is, even one that
// could not be read cleanly.
func TestDevicesRedact(t *testing.T) {
	for _, data := range [][]byte{
		devicesFile("name,serial,user", "Tablet 1,SN-1,alice"),
		[]byte("name,serial,user\r\n\"broken,SN-1,alice\r\n"),
	} {
		out, ok := Redact(data, meibo.FormatDevices, Auto)
		if !ok || !bytes.Equal(out, data) || &out[0] != &data[0] {
			t.Errorf("Redact(%q) = %q, %v; want the file itself", data, out, ok)
		}
	}
}

// The messages of devices files are in both languages with the same
// arguments.
func TestDevicesMessages(t *testing.T) {
	for _, key := range []string{"csv.devices.header.key", "csv.devices.key.required", "csv.devices.duplicate.serial", "csv.devices.duplicate.name"} {
		if !meibo.HasMessage(key) {
			t.Errorf("%s is missing", key)
			continue
		}
		en := meibo.M(key).In(meibo.English)
		ja := meibo.M(key).In(meibo.Japanese)
		ve, vj := verbs(en), verbs(ja)
		if len(ve) != len(vj) {
			t.Errorf("%s: %d arguments in English, %d in Japanese", key, len(ve), len(vj))
		}
		var args []any
		for i := 1; i <= len(ve); i++ {
			if ve[i] != vj[i] {
				t.Errorf("%s: argument %d is %%%c in English, %%%c in Japanese", key, i, ve[i], vj[i])
			}
			if ve[i] == 'd' {
				args = append(args, 7)
			} else {
				args = append(args, "x")
			}
		}
		for _, lang := range []meibo.Lang{meibo.English, meibo.Japanese} {
			if s := meibo.M(key, args...).In(lang); strings.Contains(s, "%!") {
				t.Errorf("%s (%s): %s", key, lang, s)
			}
		}
		if en == ja || !strings.ContainsFunc(ja, func(r rune) bool { return unicode.In(r, unicode.Hiragana, unicode.Katakana, unicode.Han) }) {
			t.Errorf("%s: the Japanese text is not Japanese: %q", key, ja)
		}
	}
	if got := meibo.M("csv.devices.duplicate.serial", "SN-1", 4).In(meibo.Japanese); !strings.Contains(got, "SN-1") || !strings.Contains(got, "4行目") {
		t.Errorf("Japanese: %s", got)
	}
}
