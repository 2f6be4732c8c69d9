package meibo

import (
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
	"golang.org/x/text/width"
)

func TestColumns(t *testing.T) {
	for _, c := range []struct {
		s    string
		want int
	}{
		{"", 0},
		{"abc", 3},
		{"漢字", 4},
		{"ｱｲｳ", 3}, // half-width katakana: 1 each
		{"アイウ", 6}, // full-width katakana: 2 each
		{"ＡＢ", 4},  // full-width letters: 2 each
		{"a漢ｱ", 4},
		{"😀", 2},
	} {
		if got := Columns(c.s); got != c.want {
			t.Errorf("Columns(%q) = %d, want %d", c.s, got, c.want)
		}
	}
}

func TestAdminNotesColumns(t *testing.T) {
	a := &Admin{LoginID: "ops"}
	for _, c := range []struct {
		notes string
		ok    bool
	}{
		{strings.Repeat("a", 256), true},
		{strings.Repeat("a", 257), false},
		{strings.Repeat("漢", 128), true},
		{strings.Repeat("漢", 129), false},
		{strings.Repeat("漢", 127) + "ab", true},
		{strings.Repeat("漢", 127) + "abc", false},
		{strings.Repeat("ｱ", 256), true},
	} {
		a.Notes = c.notes
		err := a.Validate()
		if c.ok && err != nil {
			t.Errorf("%d runes (%d columns): %v", len([]rune(c.notes)), Columns(c.notes), err)
		}
		if !c.ok {
			if err == nil {
				t.Errorf("%d runes (%d columns) accepted", len([]rune(c.notes)), Columns(c.notes))
			} else if m := fieldErr(t, err)["notes"]; m.Key != "admin.notes.long" || m.Args[0] != Columns(c.notes) {
				t.Errorf("notes error %v", m)
			}
		}
	}
	for _, br := range []string{"\n", "\u2028", "\u2029"} {
		a.Notes = "line" + br + "break"
		if m := fieldErr(t, a.Validate())["notes"]; m.Key != "control_chars" {
			t.Errorf("notes with the line break %q: %v", br, m)
		}
	}
}

func TestFold(t *testing.T) {
	for _, c := range []struct{ a, b string }{
		{"ABC", "abc"},
		{"ＡＢＣ１２３", "abc123"},
		{"ｶﾞｯﾂ", "ガッツ"},
		{"ﾊﾟｿｺﾝ", "パソコン"},
		{"Taro@Example.COM", "taro@example.com"},
		{"ｔａｒｏ＠ｅｘａｍｐｌｅ．ｃｏｍ", "taro@example.com"},
	} {
		if Fold(c.a) != Fold(c.b) {
			t.Errorf("Fold(%q) = %q, Fold(%q) = %q: want equal", c.a, Fold(c.a), c.b, Fold(c.b))
		}
	}
	if Fold("漢字") != "漢字" || Fold("ガ") != "ガ" {
		t.Error("Fold changed characters it must keep")
	}
	if EmailKey("  Taro@Example.com ") != "taro@example.com" {
		t.Errorf("EmailKey = %q", EmailKey("  Taro@Example.com "))
	}
}

// TestFoldASCII holds Fold's way around the transformers for ASCII to what
// they give: every ASCII character, alone and before a full-width one.
func TestFoldASCII(t *testing.T) {
	full := func(s string) string { return strings.ToLower(norm.NFC.String(width.Fold.String(s))) }
	for c := 0; c < utf8.RuneSelf; c++ {
		for _, s := range []string{string(rune(c)), "Ab" + string(rune(c)) + "Z9", string(rune(c)) + "Ａ"} {
			if got, want := Fold(s), full(s); got != want {
				t.Errorf("Fold(%q) = %q, want %q", s, got, want)
			}
		}
	}
}

func TestUnifiedKey(t *testing.T) {
	a := MakeUnifiedKey("G1", "taro", "Taro@example.com")
	b := MakeUnifiedKey("G2", "taro", "taro@EXAMPLE.com")
	if a != b {
		t.Errorf("same name and e-mail in two groups: %v != %v", a, b)
	}
	if MakeUnifiedKey("G1", "taro", "x@example.com") == MakeUnifiedKey("G2", "Taro", "x@example.com") {
		t.Error("names differing in case are one person")
	}
	if MakeUnifiedKey("G1", "taro", "") == MakeUnifiedKey("G2", "taro", "") {
		t.Error("users without e-mail in two groups are one person")
	}
	if MakeUnifiedKey("G1", "taro", "") != MakeUnifiedKey("g1", "taro", "") {
		t.Error("the group part of a blank e-mail key depends on case")
	}
}

func TestCheckEmail(t *testing.T) {
	for _, ok := range []string{"", "taro@example.com", "taro.yamada+tag@mail.example.co.jp", "a@b", "山田@example.jp"} {
		if err := CheckEmail("email", ok); err != nil {
			t.Errorf("CheckEmail(%q): %v", ok, err)
		}
	}
	for _, c := range []struct{ email, key string }{
		{"taro@example.com, hanako@example.com", "email.several"},
		{"taro@example.com,hanako@example.com", "email.several"},
		{"taro@example.com;hanako@example.com", "email.several"},
		{"taro@example.com hanako@example.com", "email.several"},
		{"taro@example.com\nhanako@example.com", "email.several"},
		{"taro", "email.format"},
		{"taro@", "email.format"},
		{"@example.com", "email.format"},
		{"taro@@example.com", "email.format"},
		{"taro@example.com.", "email.format"},
		{"taro@.example.com", "email.format"},
		{"Taro <taro@example.com>", "email.format"},
		{"taro @example.com", "email.format"},
		{"taro@example.com\t", "email.format"},
		{strings.Repeat("a", 250) + "@example.com", "email.format"},
		{"ＹＡＭＡＤＡ@example.jp", "email.fullwidth"},
		{"ｈａｎａｋｏ＠ｅｘａｍｐｌｅ．ｊｐ", "email.fullwidth"},
		{"taro@example.com　", "email.fullwidth"},
	} {
		err := CheckEmail("mail", c.email)
		if err == nil {
			t.Errorf("CheckEmail(%q) accepted", c.email)
			continue
		}
		if m := fieldErr(t, err)["mail"]; m.Key != c.key {
			t.Errorf("CheckEmail(%q): %v, want %s under the given field", c.email, err, c.key)
		}
	}
	// The refusal shows the address as it was surely meant.
	if err := CheckEmail("email", "ｈａｎａｋｏ＠ｅｘａｍｐｌｅ．ｊｐ"); !strings.Contains(err.Error(), "hanako@example.jp") {
		t.Errorf("the full-width address's message: %v", err)
	}
}

func TestCheckUserAndGroupIDs(t *testing.T) {
	for _, ok := range []string{"taro", "山田太郎", "user.001@x", strings.Repeat("名", 64)} {
		if err := CheckUserName(ok); err != nil {
			t.Errorf("CheckUserName(%q): %v", ok, err)
		}
	}
	for _, c := range []struct{ name, key string }{
		{"", "required"},
		{strings.Repeat("名", 65), "too_long"},
		{"taro yamada", "user.name.format"},
		{"taro\u3000yamada", "user.name.format"}, // ideographic space
		{"taro\x00", "user.name.format"},
		{"bad\xffutf8", "user.name.format"},
	} {
		if m := fieldErr(t, CheckUserName(c.name))["name"]; m.Key != c.key {
			t.Errorf("CheckUserName(%q): %v, want %s", c.name, m, c.key)
		}
	}
	for _, ok := range []string{"G001", "a", "app-1_x", strings.Repeat("a", 32)} {
		if err := CheckGroupID(ok); err != nil {
			t.Errorf("CheckGroupID(%q): %v", ok, err)
		}
	}
	for _, bad := range []string{"", "-a", "_a", "a b", "グループ", strings.Repeat("a", 33), "a/b"} {
		if m := fieldErr(t, CheckGroupID(bad))["id"]; m.Key != "group.id.format" {
			t.Errorf("CheckGroupID(%q): %v", bad, m)
		}
	}
	u := &User{Name: "taro", Email: "x, y@z"}
	if f := fieldErr(t, u.Validate()); f["email"].Key != "email.format" {
		t.Errorf("user e-mail: %v", f)
	}
}

func TestProfileValidate(t *testing.T) {
	p := &Profile{Name: "field staff", Actions: []Action{ActionWipe, ActionLock, ActionWipe}}
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	if len(p.Actions) != 2 || p.Actions[0] != ActionLock || p.Actions[1] != ActionWipe {
		t.Errorf("actions not normalised: %v", p.Actions)
	}
	p = &Profile{Name: " ", Actions: []Action{"explode"}}
	f := fieldErr(t, p.Validate())
	if f["name"].Key != "required" || f["actions"].Key != "profile.action" {
		t.Errorf("fields %v", f)
	}
}

func TestSettingsSet(t *testing.T) {
	s := DefaultSettings
	if err := s.Set(SettingLicenceLimit, "10"); err != nil || s.LicenceLimit != 10 {
		t.Fatalf("licence limit: %v %d", err, s.LicenceLimit)
	}
	for _, bad := range []string{"-1", "ten", ""} {
		if m := fieldErr(t, s.Set(SettingLicenceLimit, bad))[SettingLicenceLimit]; m.Key != "settings.licence" {
			t.Errorf("licence %q: %v", bad, m)
		}
	}
	if err := s.Set(SettingAdminCSVEncoding, "cp932"); err != nil || s.AdminCSVEncoding != "cp932" {
		t.Errorf("encoding: %v", err)
	}
	if m := fieldErr(t, s.Set(SettingAdminCSVEncoding, "sjis"))[SettingAdminCSVEncoding]; m.Key != "settings.encoding" {
		t.Errorf("bad encoding: %v", m)
	}
	if m := fieldErr(t, s.Set("colour", "red"))["key"]; m.Key != "settings.unknown" {
		t.Errorf("unknown key: %v", m)
	}
	if s.LicenceLimit != 10 || s.AdminCSVEncoding != "cp932" {
		t.Error("a refused value changed the settings")
	}
}
