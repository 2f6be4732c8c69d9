package csvio

import (
	"bytes"
	"strings"
	"testing"

	"golang.org/x/text/encoding/japanese"

	"github.com/meibo/meibo"
)

func TestRedact(t *testing.T) {
	sjis := func(s string) []byte {
		b, err := japanese.ShiftJIS.NewEncoder().Bytes([]byte(s))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	admin := func(flag, id, pw string) string {
		f := make([]string, AdminColumns)
		for i := range f {
			f[i] = " "
		}
		f[0], f[1], f[2] = flag, id, pw
		for _, c := range adminAuthorityColumns {
			f[c-1] = "0"
		}
		f[5] = "1"
		return `"` + strings.Join(f, `","`) + `"` + "\r\n"
	}
	title := `"` + strings.Join(adminTitles[:], `","`) + `"` + "\r\n"
	cases := []struct {
		name   string
		format string
		enc    Encoding
		in     []byte
		want   []byte
		ok     bool
	}{
		{"users: passwords blanked, blank line and multi-line cell kept", meibo.FormatUsers, Auto,
			[]byte("\xEF\xBB\xBFemail,Password,name\r\na@x.jp,secret-one,taro\r\n\r\n\"line\nbreak\",secret-two,\"=1+2\"\r\n"),
			[]byte("\xEF\xBB\xBFemail,Password,name\r\na@x.jp,,taro\r\n\r\n\"line\r\nbreak\",,=1+2\r\n"), true},
		{"personal in CP932", meibo.FormatPersonal, CP932,
			sjis("UserName,Password,Passcode\r\nソ表ｶﾀｶﾅ,ひみつのパスワード,\r\n"),
			sjis("UserName,Password,Passcode\r\nソ表ｶﾀｶﾅ,,\r\n"), true},
		{"no passwords: kept as uploaded", meibo.FormatUsers, Auto,
			[]byte("name,password,email\nbob,,\n"), []byte("name,password,email\nbob,,\n"), true},
		{"admins: password column written as a half-width space", meibo.FormatAdmins, UTF8,
			[]byte(title + admin(" ", "alice", "Secret-pass-9") + admin("U", "bob", " ")),
			[]byte(title + admin(" ", "alice", " ") + admin("U", "bob", " ")), true},
		{"a syntax error: not kept", meibo.FormatUsers, Auto,
			[]byte("name,password,email\nbob,\"secret,\n"), nil, false},
		{"bad bytes: not kept", meibo.FormatPersonal, CP932,
			[]byte("UserName,Password,Passcode\r\nbob,\x85\x40secret,\r\n"), nil, false},
		{"a refused header: not kept", meibo.FormatUsers, Auto,
			[]byte("nom,password\nbob,secret\n"), nil, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, ok := Redact(c.in, c.format, c.enc)
			if ok != c.ok || !bytes.Equal(out, c.want) {
				t.Fatalf("Redact = %q, %v\nwant      %q, %v", out, ok, c.want, c.ok)
			}
		})
	}
}
