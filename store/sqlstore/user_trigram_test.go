package sqlstore

import (
	"fmt"
	"slices"
	"testing"
)

func TestIndexParts(t *testing.T) {
	// A sample as the planner keeps it: most texts are "userNNNNNNN" names
	// with their e-mail keys, a few are others.
	var sample []string
	for i := range 80 {
		n := fmt.Sprintf("user%07d", i*12345)
		sample = append(sample, n+" "+n+"@example.org")
	}
	for i := range 20 {
		n := fmt.Sprintf("tanaka.hanako%d", i)
		sample = append(sample, n+" "+n+"@corp.example.jp")
	}
	cases := []struct {
		kw   string
		want []string
	}{
		// "use", "ser" and "er0" are in most of the sample: the index is
		// asked for the rest.
		{"user0012345", []string{"r0012345"}},
		{"user09999", []string{"r09999"}},
		// Common trigrams in the middle: a part on each side.
		{"hanako.user12x", []string{"hanako", "er12x"}},
		// A part is only where a trigram of letters or digits is: after
		// the dot, every one is common.
		{"r12.user", []string{"r12"}},
		// Nothing common: the keyword whole.
		{"tanaka", nil},
		{"zzqqxx", nil},
		// Everything common: the keyword whole too.
		{"example", nil},
		{"user", nil},
		// Too short to drop anything, or checked on each column apart.
		{"use1", []string{"se1"}},
		{"ser", nil},
		{"user00 12", nil},
	}
	for _, c := range cases {
		if got := indexParts(c.kw, sample); !slices.Equal(got, c.want) {
			t.Errorf("indexParts(%q) = %q, want %q", c.kw, got, c.want)
		}
	}
	// A sample too small to tell (a table not yet analyzed): whole.
	if got := indexParts("user0012345", sample[:sampleMin-1]); got != nil {
		t.Errorf("with %d texts: %q, want the keyword whole", sampleMin-1, got)
	}
	if got := indexParts("user0012345", nil); got != nil {
		t.Errorf("without a sample: %q, want the keyword whole", got)
	}
}
