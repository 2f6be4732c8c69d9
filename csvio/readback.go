package csvio

import (
	"sort"
	"sync"
	"unicode/utf8"

	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/unicode/norm"
)

// A value written to a CP932 file does not always read back as it was: the
// characters CP932 lacks are written as look-alikes (U+301C 〜 as 0x8160,
// which reads back as U+FF5E ～; see the package documentation), and text
// CP932 holds only composed is written in Unicode NFC. An import of a CP932
// file compares what it reads with the data as the data would read back
// (CP932ReadBack), and finds the records its names stand for among every
// spelling that reads back as that name (CP932Spellings): an exported file
// imported again then changes nothing.

// CP932ReadBack returns s as reading it back from a CP932 file that this
// package's writers wrote gives it, and true; or "" and false when the
// writers would refuse s (a character CP932 cannot hold).
func CP932ReadBack(s string) (string, bool) {
	if ascii(s) {
		return s, true
	}
	if _, ok := cp932Check(s); !ok {
		n := norm.NFC.String(s)
		if _, ok := cp932Check(n); !ok {
			return "", false
		}
		s = n
	}
	b, _, _, ok := appendCP932(nil, []byte(s))
	if !ok {
		return "", false
	}
	out, err := japanese.ShiftJIS.NewDecoder().Bytes(b)
	if err != nil {
		return "", false
	}
	return string(out), true
}

// maxSpellings bounds the spellings of one value CP932Spellings returns.
const maxSpellings = 64

// CP932Spellings returns the other values that read back from a CP932 file
// as s (see CP932ReadBack): each character that is the look-alike of
// others (～ for 〜) in each of its spellings, and s decomposed; at most
// 64, in a fixed order. A value without such characters has none.
func CP932Spellings(s string) []string {
	if ascii(s) {
		return nil
	}
	pre := cp932Preimages()
	variants := []string{""}
	for _, r := range s {
		alts := pre[r]
		if len(alts) == 0 {
			for i := range variants {
				variants[i] += string(r)
			}
			continue
		}
		next := make([]string, 0, len(variants)*(len(alts)+1))
		for _, v := range variants {
			next = append(next, v+string(r))
			for _, a := range alts {
				if len(next) < maxSpellings+1 {
					next = append(next, v+string(a))
				}
			}
		}
		variants = next
	}
	out := variants[1:] // variants[0] is s
	if d := norm.NFD.String(s); d != s && len(out) < maxSpellings {
		out = append(out, d)
	}
	return out
}

// cp932Preimages maps each character that the writers' CP932 reads back
// from other characters to those characters (U+FF5E ～: U+301C 〜), found
// by writing and reading back every character CP932 can hold.
var cp932Preimages = sync.OnceValue(func() map[rune][]rune {
	t := cp932Codes()
	dec := japanese.ShiftJIS.NewDecoder()
	pre := map[rune][]rune{}
	var buf [4]byte
	for r := rune(0x80); r < 0x10000; r++ {
		code := t[r]
		if code == 0 {
			continue
		}
		src := []byte{byte(code)}
		if code >= 0x100 {
			src = []byte{byte(code >> 8), byte(code)}
		}
		dec.Reset()
		n, _, err := dec.Transform(buf[:], src, true)
		back, size := utf8.DecodeRune(buf[:n])
		if err != nil || size != n || back == r {
			continue
		}
		pre[back] = append(pre[back], r)
	}
	for _, rs := range pre {
		sort.Slice(rs, func(i, j int) bool { return rs[i] < rs[j] })
	}
	return pre
})

func ascii(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// KeepStored returns stored when read (a value of a record read from a CP932
// file) is what stored reads back as, else read: a field exported and read
// back unchanged is the stored value, not a change.
func KeepStored(rec *Record, stored, read string) string {
	if !rec.CP932 || stored == read || ascii(stored) {
		return read
	}
	if back, ok := CP932ReadBack(stored); ok && back == read {
		return stored
	}
	return read
}
