package meibo

import (
	"sync"
	"unicode/utf8"

	"golang.org/x/text/encoding/japanese"
)

// CP932Compat maps characters that CP932 lacks to a CP932 character that
// looks the same, so that they can be written at all: (1) where JIS-based
// Shift_JIS (macOS, Java's "SJIS", EUC-JP converters) and CP932 read the same
// code as different characters, the JIS one (U+301C 〜 where Windows has
// U+FF5E ～); (2) JIS X 0201's yen sign and overline; (3) every other
// character whose full-width form (golang.org/x/text/width.Widen) CP932
// has. The CSV writers use it; CP932Holds counts it.
var CP932Compat = map[rune]rune{
	// JIS X 0208 as mapped by JIS, macOS and Unicode's SHIFTJIS.TXT.
	0x2014: 0x2015, // — EM DASH → ― HORIZONTAL BAR (0x815C)
	0x2016: 0x2225, // ‖ DOUBLE VERTICAL LINE → ∥ PARALLEL TO (0x8161)
	0x2212: 0xFF0D, // − MINUS SIGN → － FULLWIDTH HYPHEN-MINUS (0x817C)
	0x301C: 0xFF5E, // 〜 WAVE DASH → ～ FULLWIDTH TILDE (0x8160)
	0x00A2: 0xFFE0, // ¢ CENT SIGN → ￠ (0x8191)
	0x00A3: 0xFFE1, // £ POUND SIGN → ￡ (0x8192)
	0x00AC: 0xFFE2, // ¬ NOT SIGN → ￢ (0x81CA)
	// JIS X 0201 Roman.
	0x00A5: 0xFFE5, // ¥ YEN SIGN → ￥ (0x818F)
	0x203E: 0xFFE3, // ‾ OVERLINE → ￣ FULLWIDTH MACRON (0x8150)
	// Narrow forms of full-width CP932 characters.
	0x00A6: 0xFFE4, // ¦ BROKEN BAR → ￤ (0xFA55)
	0x00AF: 0xFFE3, // ¯ MACRON → ￣ (0x8150)
	0xFFE8: 0x2502, // ￨ HALFWIDTH FORMS LIGHT VERTICAL → │ (0x849F)
	0xFFE9: 0x2190, // ￩ HALFWIDTH LEFTWARDS ARROW → ← (0x81A9)
	0xFFEA: 0x2191, // ￪ HALFWIDTH UPWARDS ARROW → ↑ (0x81AA)
	0xFFEB: 0x2192, // ￫ HALFWIDTH RIGHTWARDS ARROW → → (0x81A8)
	0xFFEC: 0x2193, // ￬ HALFWIDTH DOWNWARDS ARROW → ↓ (0x81AB)
	0xFFED: 0x25A0, // ￭ HALFWIDTH BLACK SQUARE → ■ (0x81A1)
	0xFFEE: 0x25CB, // ￮ HALFWIDTH WHITE CIRCLE → ○ (0x819B)
}

// cp932Holdable marks each BMP character CP932 can hold, after
// CP932Compat: what golang.org/x/text's Shift_JIS encoder writes, and the
// characters of the table.
var cp932Holdable = sync.OnceValue(func() *[0x10000 / 64]uint64 {
	var t [0x10000 / 64]uint64
	set := func(r rune) { t[r/64] |= 1 << (r % 64) }
	enc := japanese.ShiftJIS.NewEncoder()
	var src, dst [4]byte
	for r := rune(0); r < 0x10000; r++ {
		if r >= 0xD800 && r < 0xE000 {
			continue
		}
		if r < 0x80 {
			set(r)
			continue
		}
		n := utf8.EncodeRune(src[:], r)
		enc.Reset()
		if _, _, err := enc.Transform(dst[:], src[:n], true); err == nil {
			set(r)
		}
	}
	for r := range CP932Compat {
		set(r)
	}
	return &t
})

// CP932Holds reports whether a Shift_JIS (CP932) file can hold r, after
// the documented mappings (CP932Compat).
func CP932Holds(r rune) bool {
	if r < 0 || r >= 0x10000 {
		return false
	}
	return cp932Holdable()[r/64]&(1<<(r%64)) != 0
}

// firstNotCP932 returns the first character of s that CP932 cannot hold.
func firstNotCP932(s string) (rune, bool) {
	for _, r := range s {
		if !CP932Holds(r) {
			return r, true
		}
	}
	return 0, false
}

func init() {
	RegisterMessages(map[string][2]string{
		"text.cp932": {"%q (U+%04X) cannot be written in Shift_JIS, in which administrator files are exchanged; use another character.",
			"「%s」(U+%04X)は Shift_JIS で書き出せないため使用できません(管理者ファイルは Shift_JIS でやり取りします)。別の文字を使ってください。"},
	})
}

// checkCP932 adds an error on field when s holds a character CP932 cannot.
func checkCP932(v *Validation, field, s string) {
	if r, bad := firstNotCP932(s); bad {
		v.Add(field, "text.cp932", string(r), r)
	}
}
