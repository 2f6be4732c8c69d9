package sqlstore

import (
	"slices"
	"testing"
)

// TestAppendUserGrams holds the indexer's cut to the grams of migration 0009,
// worked out here character by character: every pair of the folded name and
// of the e-mail key, and every kana or ideograph alone, each once, after
// what out held already.
func TestAppendUserGrams(t *testing.T) {
	for _, c := range []struct {
		fold, email string
		want        []string
	}{
		{"aaaa", "", []string{"aa"}},
		{"x", "", nil},
		{"", "", nil},
		{"𠮷", "", []string{"𠮷"}},
		{"山田", "yamada@ex.jp", []string{"山田", "山", "田", "ya", "am", "ma", "ad", "da", "a@", "@e", "ex", "x.", ".j", "jp"}},
		{"田中田中", "田中", []string{"田中", "田", "中田", "中"}},
		{"ｔａ太", "ta@x", []string{"ｔａ", "ａ太", "太", "ta", "a@", "@x"}},
		{"々〆ヿ", "", []string{"々〆", "々", "〆ヿ", "〆", "ヿ"}},
	} {
		got := appendUserGrams([]string{"keep", "aa"}, c.fold, c.email)
		if !slices.Equal(got[:2], []string{"keep", "aa"}) {
			t.Errorf("%q, %q: what out held became %q", c.fold, c.email, got[:2])
		}
		if !slices.Equal(got[2:], c.want) {
			t.Errorf("%q, %q: grams %q, want %q", c.fold, c.email, got[2:], c.want)
		}
	}
}
