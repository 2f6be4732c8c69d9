package meibo

import (
	"strings"
	"testing"
)

// passwordKey returns the message key of CheckPassword's error, or "" when
// the password is accepted; the error must be about field "password".
func passwordKey(t *testing.T, pw string, ids ...string) string {
	t.Helper()
	err := CheckPassword(pw, ids...)
	if err == nil {
		return ""
	}
	f := fieldErr(t, err)
	m, ok := f["password"]
	if !ok || len(f) != 1 {
		t.Fatalf("CheckPassword(%q): fields %v, want only \"password\"", pw, f)
	}
	return m.Key
}

func TestPasswordLength(t *testing.T) {
	for _, c := range []struct {
		name, pw, key string
	}{
		{"7 characters", "xk3!pq9", "password.short"},
		{"8 characters", "xk3!pq9z", ""},
		{"64 kanji", strings.Repeat("漢字", 32), ""},
		{"128 kanji (384 bytes)", strings.Repeat("漢字", 64), ""},
		{"129 kanji", strings.Repeat("漢", 129), "password.long"},
		{"128 letters", strings.Repeat("kq", 64), ""},
		{"129 letters", strings.Repeat("k", 129), "password.long"},
		{"7 kanji", strings.Repeat("漢", 7), "password.short"},
		{"8 kanji (24 bytes)", strings.Repeat("漢字", 4), ""},
		{"8 emoji (32 bytes)", strings.Repeat("🐈🐕", 4), ""},
		// Counted after NFC: 8 decomposed ガ (16 code points) are 8
		// characters; 4 of them (8 code points) are 4.
		{"8 decomposed kana", strings.Repeat("カ\u3099キ\u3099", 4), ""},
		{"4 decomposed kana", strings.Repeat("カ\u3099", 4), "password.short"},
	} {
		if got := passwordKey(t, c.pw); got != c.key {
			t.Errorf("%s: key %q, want %q", c.name, got, c.key)
		}
	}
	m := fieldErr(t, CheckPassword("short"))["password"]
	if m.In(English) != "The password is too short: use at least 8 characters." || m.In(Japanese) != "パスワードが短すぎます。8文字以上にしてください。" {
		t.Errorf("messages %q / %q", m.In(English), m.In(Japanese))
	}
}

func TestPasswordBlocklist(t *testing.T) {
	if len(blocklist) < 11000 {
		t.Fatalf("blocklist holds %d passwords", len(blocklist))
	}
	for _, pw := range []string{"password", "PASSWORD", "PassWord", "iloveyou1", "ILoveYou1", "p@ssw0rd", "qwertyuiop", "1234567890", "password1"} {
		if got := passwordKey(t, pw); got != "password.common" {
			t.Errorf("%q: key %q, want password.common", pw, got)
		}
	}
	for _, pw := range []string{"correct horse battery staple", "xk3!pq9z", "password with more words"} {
		if got := passwordKey(t, pw); got != "" {
			t.Errorf("%q refused: %s", pw, got)
		}
	}
}

func TestPasswordOwnIdentifiers(t *testing.T) {
	ids := []string{"yamada", "Taro.Sato@Example.com", "G001"}
	for _, pw := range []string{
		"yamada",                // equal (also short, but must not pass)
		"YAMADA2024!",           // user ID, any case
		"mypassyamada",          // user ID inside
		"taro.sato@example.com", // the e-mail address
		"xxTaro.Satoxx",         // its local part
		"myg001secret",          // group ID, any case
	} {
		if got := passwordKey(t, pw, ids...); got != "password.own_id" && got != "password.short" {
			t.Errorf("%q: key %q, want password.own_id", pw, got)
		}
	}
	if got := passwordKey(t, "mypassyamada", ids...); got != "password.own_id" {
		t.Errorf("password with the user ID: %q", got)
	}
	// Short identifiers only count when they are the whole password.
	if got := passwordKey(t, "abcdefgh12", "ab", "", "  "); got != "" {
		t.Errorf("short ID inside a password: %q", got)
	}
	if got := passwordKey(t, "uniquephrase", "uniquephrase"); got != "password.own_id" {
		t.Errorf("password equal to the ID: %q", got)
	}
}

func TestPasswordControlCharacters(t *testing.T) {
	for _, pw := range []string{"abc\tdefgh", "abcdefgh\n", "abc\x00defgh", "abc\x7fdefgh", "abc\u0085defgh", "\rabcdefgh"} {
		if got := passwordKey(t, pw); got != "password.control" {
			t.Errorf("%q: key %q, want password.control", pw, got)
		}
	}
	if got := passwordKey(t, "spaces are fine here"); got != "" {
		t.Errorf("spaces refused: %s", got)
	}
}

// TestPasswordRepeated: one character repeated, spaces above all, is no
// password; a character repeated among others is.
func TestPasswordRepeated(t *testing.T) {
	for _, pw := range []string{"        ", "　　　　　　　　", "zzzzzzzzzz", "ああああああああ"} {
		if got := passwordKey(t, pw); got != "password.repeated" {
			t.Errorf("%q: key %q, want password.repeated", pw, got)
		}
	}
	for _, pw := range []string{"zzzzzzzzzy", " zebra crossing ", "ああああいいいい"} {
		if got := passwordKey(t, pw); got != "" {
			t.Errorf("%q refused: %s", pw, got)
		}
	}
}
