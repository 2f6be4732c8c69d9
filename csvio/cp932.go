package csvio

import (
	"fmt"
	"io"
	"sync"
	"unicode/utf8"

	"golang.org/x/text/encoding/japanese"

	"github.com/meibo/meibo"
)

// cp932Compat maps characters that CP932 lacks to a CP932 character that
// looks the same (meibo.CP932Compat, where the domain's check of
// administrator fields reads it too). TestCP932Table checks the table
// against the whole BMP.
var cp932Compat = meibo.CP932Compat

// cp932Codes returns the CP932 code of every BMP character that can be
// written: 0 for none, a value below 0x100 for one byte, else two bytes. It
// is built once from golang.org/x/text's Shift_JIS encoder, with two
// changes: the characters of cp932Compat, and the IBM extensions written as
// Windows writes them (0xFA40–0xFC4B) where x/text writes their NEC-selected
// duplicates (0xED40–0xEEFC). Both decode to the same characters in every
// CP932 reader; the IBM codes are also what older Shift_JIS software knows.
var cp932Codes = sync.OnceValue(func() *[0x10000]uint16 {
	t := new([0x10000]uint16)
	enc := japanese.ShiftJIS.NewEncoder()
	var src [4]byte
	var dst [4]byte
	for r := rune(0x80); r < 0x10000; r++ {
		if r >= 0xD800 && r < 0xE000 {
			continue
		}
		n := utf8.EncodeRune(src[:], r)
		enc.Reset()
		k, _, err := enc.Transform(dst[:], src[:n], true)
		switch {
		case err != nil:
		case k == 1:
			t[r] = uint16(dst[0])
		case k == 2:
			t[r] = uint16(dst[0])<<8 | uint16(dst[1])
		}
	}
	// The IBM extensions, as the decoder reads them.
	dec := japanese.ShiftJIS.NewDecoder()
	for lead := 0xFA; lead <= 0xFC; lead++ {
		for trail := 0x40; trail <= 0xFC; trail++ {
			if trail == 0x7F {
				continue
			}
			k, _, err := dec.Transform(dst[:], []byte{byte(lead), byte(trail)}, true)
			r, _ := utf8.DecodeRune(dst[:k])
			if err != nil || r == utf8.RuneError || r >= 0x10000 {
				continue
			}
			if c := t[r]; c>>8 == 0xED || c>>8 == 0xEE {
				t[r] = uint16(lead<<8 | trail)
			}
		}
	}
	for from, to := range cp932Compat {
		t[from] = t[to]
	}
	return t
})

// cp932Check returns the first character of s that cannot be written in
// CP932, and false; or 0 and true. Invalid UTF-8 returns utf8.RuneError.
func cp932Check(s string) (rune, bool) {
	var t *[0x10000]uint16
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			return r, false
		}
		if t == nil {
			t = cp932Codes()
		}
		if r >= 0x10000 || t[r] == 0 {
			return r, false
		}
		i += size
	}
	return 0, true
}

// appendCP932 appends the CP932 bytes of the UTF-8 text b to dst and
// returns them, with the length of an incomplete rune left at the end of b
// (to be passed again with what follows). It stops at a character that
// cannot be written (callers check text with cp932Check first) and returns
// it with ok false.
func appendCP932(dst, b []byte) (out []byte, rest int, bad rune, ok bool) {
	t := cp932Codes()
	for i := 0; i < len(b); {
		c := b[i]
		if c < utf8.RuneSelf {
			j := i + 1
			for j < len(b) && b[j] < utf8.RuneSelf {
				j++
			}
			dst = append(dst, b[i:j]...)
			i = j
			continue
		}
		if !utf8.FullRune(b[i:]) {
			return dst, len(b) - i, 0, true
		}
		r, size := utf8.DecodeRune(b[i:])
		i += size
		var code uint16
		if r < 0x10000 && !(r == utf8.RuneError && size == 1) {
			code = t[r]
		}
		switch {
		case code == 0:
			return dst, 0, r, false
		case code < 0x100:
			dst = append(dst, byte(code))
		default:
			dst = append(dst, byte(code>>8), byte(code))
		}
	}
	return dst, 0, 0, true
}

// cp932Writer encodes the UTF-8 text written to it as CP932. Text must have
// been checked with cp932Check. A rune split between two writes is kept
// until the next one; writers flush at record boundaries, so nothing is left
// over at the end.
type cp932Writer struct {
	w     io.Writer
	carry []byte
	buf   []byte
}

func (c *cp932Writer) Write(p []byte) (int, error) {
	src := p
	if len(c.carry) > 0 {
		c.carry = append(c.carry, p...)
		src = c.carry
	}
	out, rest, bad, ok := appendCP932(c.buf[:0], src)
	c.buf = out
	if !ok {
		return 0, fmt.Errorf("csvio: %U cannot be written in CP932", bad)
	}
	c.carry = append(c.carry[:0], src[len(src)-rest:]...)
	if _, err := c.w.Write(out); err != nil {
		return 0, err
	}
	return len(p), nil
}
