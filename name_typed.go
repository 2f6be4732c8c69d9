package meibo

import (
	"slices"
	"strings"
	"sync"

	"golang.org/x/text/width"
)

// TypedName is the form of a user name as people may type it differently:
// full-width or half-width letters and digits (a Japanese input method left
// on), and a character CP932 lacks or its look-alike (〜 U+301C on a Mac or
// an iPad, ～ U+FF5E as Windows and a Shift_JIS file have it). Case still
// counts, as it does in names. Two names of one TypedName are the same
// name to whoever types them: a lookup that finds no user by the exact
// name finds the one user of that TypedName (service.userNamed), and the
// sign-in counters count them as one.
func TypedName(name string) string {
	return width.Fold.String(mapRunes(NormalizeName(name), CP932Compat))
}

// TypedNameFolds are the values of Fold that a stored name of the same
// TypedName as name may have: Fold of name as typed, of it with CP932's
// look-alikes, and of it with the characters those stand for.
func TypedNameFolds(name string) []string {
	name = NormalizeName(name)
	out := []string{Fold(name)}
	for _, s := range []string{mapRunes(name, CP932Compat), mapRunes(name, cp932Originals())} {
		if f := Fold(s); !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out
}

// cp932Originals maps each look-alike of CP932Compat back to the character
// it stands for (the lowest, where two share one).
var cp932Originals = sync.OnceValue(func() map[rune]rune {
	back := map[rune]rune{}
	for from, to := range CP932Compat {
		if b, ok := back[to]; !ok || from < b {
			back[to] = from
		}
	}
	return back
})

func mapRunes(s string, m map[rune]rune) string {
	return strings.Map(func(r rune) rune {
		if c, ok := m[r]; ok {
			return c
		}
		return r
	}, s)
}
