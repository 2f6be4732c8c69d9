package csvio

import (
	"bytes"
	"strings"
	"testing"

	"github.com/meibo/meibo"
)

// TestTemplates: every template reads back, in both encodings, as its header
// and one record without any problem; the bytes are in the encoding asked.
func TestTemplates(t *testing.T) {
	for _, format := range TemplateFormats {
		for _, enc := range []Encoding{UTF8, CP932} {
			for _, bom := range []bool{false, true} {
				if bom && enc == CP932 {
					continue
				}
				var b bytes.Buffer
				if err := WriteTemplate(&b, format, enc, bom); err != nil {
					t.Fatalf("%s %s: %v", format, enc, err)
				}
				data := b.Bytes()
				if got := bytes.HasPrefix(data, bomUTF8); got != bom {
					t.Errorf("%s %s: BOM %v, want %v", format, enc, got, bom)
				}
				if !bytes.HasSuffix(data, []byte("\r\n")) || bytes.Count(data, []byte("\r\n")) != 2 {
					t.Errorf("%s %s: want two lines ending in CRLF: %q", format, enc, data)
				}
				res := readWith(bytes.NewReader(data), format, enc, 0)
				if res.err != nil || len(res.warnings) > 0 || len(res.records) != 1 {
					t.Fatalf("%s %s: err %v, warnings %v, %d records", format, enc, res.err, res.warnings, len(res.records))
				}
				if rec := res.records[0]; len(rec.Problems) > 0 {
					t.Errorf("%s %s: example row has problems %v", format, enc, rec.Problems)
				}
			}
		}
	}
	// The administrator's Japanese name is written as Shift_JIS.
	var b bytes.Buffer
	if err := WriteTemplate(&b, meibo.FormatAdmins, CP932, false); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b.Bytes(), []byte("\"\x8eR\x93c \x91\xbe\x98Y\"")) {
		t.Errorf("山田 太郎 is not in the CP932 template: %q", b.Bytes())
	}
	b.Reset()
	if err := WriteTemplate(&b, meibo.FormatUsers, UTF8, false); err != nil {
		t.Fatal(err)
	}
	if want := "name,password,email,admin,apiAccess,disabled,profile\r\n"; !strings.HasPrefix(b.String(), want) {
		t.Errorf("users template starts %q, want %q", b.String(), want)
	}
	if err := WriteTemplate(&b, "nope", UTF8, false); meibo.ErrorCode(err) != meibo.CodeInvalid {
		t.Errorf("unknown format: %v", err)
	}
	if got := TemplateName(meibo.FormatUsers); got != "meibo-users-template.csv" {
		t.Errorf("TemplateName = %q", got)
	}
	// Each template has a password of its own, which the policy accepts:
	// one imported as it is gives no one a password known to all.
	seen := map[string]bool{}
	for range 50 {
		for _, format := range []string{meibo.FormatUsers, meibo.FormatPersonal, meibo.FormatAdmins} {
			var b bytes.Buffer
			if err := WriteTemplate(&b, format, UTF8, false); err != nil {
				t.Fatal(err)
			}
			rec := readWith(bytes.NewReader(b.Bytes()), format, UTF8, 0).records[0]
			var pw string
			switch {
			case rec.User != nil:
				pw = rec.User.Password
			case rec.Personal != nil:
				pw = rec.Personal.Password
			case rec.Admin != nil:
				pw = rec.Admin.Password
			}
			if err := meibo.CheckPassword(pw, templateUser, templateAdmin, "user001@example.com"); err != nil || seen[pw] || !TemplatePassword.MatchString(pw) {
				t.Fatalf("%s template password %q: %v, seen before %v", format, pw, err, seen[pw])
			}
			seen[pw] = true
		}
	}
}

func TestHeader(t *testing.T) {
	for format, want := range map[string]string{
		meibo.FormatUsers:    "name,password,email,admin,apiAccess,disabled,profile",
		meibo.FormatPersonal: "UserName,Password,Passcode",
		meibo.FormatDevices:  "name,serial,user",
	} {
		if got := strings.Join(Header(format), ","); got != want {
			t.Errorf("Header(%s) = %s, want %s", format, got, want)
		}
	}
	if h := Header(meibo.FormatAdmins); len(h) != AdminColumns || h[0] != " " || h[14] != "Name" {
		t.Errorf("Header(admins) = %q", h)
	}
	if Header("groups") != nil {
		t.Errorf("Header of an unknown format is not nil")
	}
}
