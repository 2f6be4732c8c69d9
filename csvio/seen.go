package csvio

import (
	"hash/fnv"
)

// seenSet remembers the names (or IDs) of a file to find duplicates, by their
// 128-bit FNV-1a hash and the row of their first appearance: about 30 bytes a
// name instead of the name itself, so a 1,000,000-row file needs some 35 MB.
// Two different names sharing a 128-bit hash is too unlikely to matter (the
// chance in a file of a million names is about 10⁻²⁷).
type seenSet map[[16]byte]int32

func newSeenSet() seenSet { return seenSet{} }

// first returns the row where name appeared first, or records it at row.
func (s seenSet) first(name string, row int) (int32, bool) {
	h := fnv.New128a()
	h.Write([]byte(name))
	var k [16]byte
	h.Sum(k[:0])
	if r, ok := s[k]; ok {
		return r, true
	}
	s[k] = int32(row)
	return 0, false
}
