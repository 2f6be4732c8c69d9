package csvio

import (
	"bytes"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"testing"
)

// A file with more names than a set keeps in memory finds its duplicates
// the same way, through the sorted runs on disk (here 400 of them, merged
// as they come), in the first and the last run and in memory, and leaves no
// file open.
func TestSeenOnDisk(t *testing.T) {
	defer func(n int) { seenMemory = n }(seenMemory)
	seenMemory = 100
	const rows = 40_000
	var b bytes.Buffer
	b.WriteString("name,password,email\r\n")
	dups := map[int]int{} // data row index → index of the first appearance
	for i := range rows {
		n := i
		switch i {
		case 50: // in memory
			n = 7
		case 150: // one from the first run
			n = 3
		case 20_000: // one from the second run
			n = 120
		case 39_999: // one from a late run
			n = 30_000
		case 39_998: // one still in memory
			n = 39_950
		}
		if n != i {
			dups[i] = n
		}
		fmt.Fprintf(&b, "user%06d,,\r\n", n)
	}
	fds := openFiles(t)
	for _, seen := range []int{100, 1 << 30} { // on disk, and all in memory
		seenMemory = seen
		rd, err := NewReader(bytes.NewReader(b.Bytes()), "users", UTF8, 0)
		if err != nil {
			t.Fatal(err)
		}
		got := map[int]string{}
		for {
			rec, err := rd.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range rec.Problems {
				got[rec.Row] = p.Msg.In("en")
			}
		}
		if len(got) != len(dups) {
			t.Errorf("seenMemory %d: %d rows with problems, want %d: %v", seen, len(got), len(dups), got)
		}
		for i, first := range dups {
			// Data row i is spreadsheet row i+2.
			want := fmt.Sprintf("The name user%06d appears already in row %d; each user may appear only once in a file.", first, first+2)
			if got[i+2] != want {
				t.Errorf("seenMemory %d, row %d: %q, want %q", seen, i+2, got[i+2], want)
			}
		}
		if n := openFiles(t); n != fds {
			t.Errorf("seenMemory %d: %d files open after reading, %d before", seen, n, fds)
		}
	}
}

// A reader closed before the end closes the set's file.
func TestSeenClosed(t *testing.T) {
	defer func(n int) { seenMemory = n }(seenMemory)
	seenMemory = 10
	var b bytes.Buffer
	b.WriteString("name,password,email\r\n")
	for i := range 100 {
		fmt.Fprintf(&b, "user%06d,,\r\n", i)
	}
	fds := openFiles(t)
	rd, err := NewReader(bytes.NewReader(b.Bytes()), "users", UTF8, 0)
	if err != nil {
		t.Fatal(err)
	}
	for range 50 {
		if _, err := rd.Next(); err != nil {
			t.Fatal(err)
		}
	}
	// Five runs of ten names: four merged into one, and the fifth.
	if n := openFiles(t); n != fds+2 {
		t.Errorf("%d files open while reading, want %d", n, fds+2)
	}
	rd.Close()
	if n := openFiles(t); n != fds {
		t.Errorf("%d files open after Close, want %d", n, fds)
	}
}

// Runs are merged as a counter in base mergeRuns carries: after k runs are
// written, as many remain as the sum of k's digits, the oldest the largest,
// and every name is still found with the row of its first appearance.
func TestSeenMerges(t *testing.T) {
	defer func(n int) { seenMemory = n }(seenMemory)
	seenMemory = 10
	r := &Reader{}
	s := r.newSeenSet()
	defer r.Close()
	digits := func(k int) int {
		sum := 0
		for ; k > 0; k /= mergeRuns {
			sum += k % mergeRuns
		}
		return sum
	}
	const names = 10_000
	for i := range names {
		if _, dup := s.first(fmt.Sprintf("name%d", i), i+2); dup {
			t.Fatalf("name%d: a duplicate the first time", i)
		}
		if (i+1)%seenMemory != 0 {
			continue
		}
		runs := s.disk.runs
		if want := digits((i + 1) / seenMemory); len(runs) != want {
			t.Fatalf("after %d runs written: %d runs, want %d", (i+1)/seenMemory, len(runs), want)
		}
		for j := 1; j < len(runs); j++ {
			if runs[j].level > runs[j-1].level || runs[j].n > runs[j-1].n {
				t.Fatalf("run %d (level %d, %d names) after run %d (level %d, %d names)", j, runs[j].level, runs[j].n, j-1, runs[j-1].level, runs[j-1].n)
			}
		}
	}
	total := 0
	for _, r := range s.disk.runs {
		total += r.n
	}
	if total != names {
		t.Errorf("the runs hold %d names, want %d", total, names)
	}
	for i := range names {
		if row, dup := s.first(fmt.Sprintf("name%d", i), 0); !dup || row != int32(i+2) {
			t.Fatalf("name%d: row %d, found %v; want row %d", i, row, dup, i+2)
		}
	}
	if s.err != nil {
		t.Fatal(s.err)
	}
}

// The Bloom filter of a run answers "maybe" for about one name in a
// hundred that it does not hold (a read of the run each), and never "no"
// for one it holds.
func TestSeenBloom(t *testing.T) {
	key := func(s string) [16]byte {
		h := fnv.New128a()
		h.Write([]byte(s))
		var k [16]byte
		h.Sum(k[:0])
		return k
	}
	const n = 100_000
	b := newBloom(n)
	for i := range n {
		b.add(key(fmt.Sprintf("user%07d", i)))
	}
	for i := range n {
		if !b.has(key(fmt.Sprintf("user%07d", i))) {
			t.Fatalf("user%07d is in the filter and not found", i)
		}
	}
	maybe := 0
	for i := n; i < 2*n; i++ {
		if b.has(key(fmt.Sprintf("user%07d", i))) {
			maybe++
		}
	}
	t.Logf("maybe for %.2f%% of names not in the filter", 100*float64(maybe)/n)
	if rate := float64(maybe) / n; rate > 0.02 {
		t.Errorf("the filter answers maybe for %.1f%% of names it does not hold", 100*rate)
	}
}

func openFiles(t *testing.T) int {
	t.Helper()
	es, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd")
	}
	return len(es)
}

// A reader told to skip duplicates reports none.
func TestSkipDuplicates(t *testing.T) {
	data := []byte("name,password,email\r\nann,,\r\nann,,\r\n")
	rd, err := NewReader(bytes.NewReader(data), "users", UTF8, 0)
	if err != nil {
		t.Fatal(err)
	}
	rd.SkipDuplicates()
	for {
		rec, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if len(rec.Problems) > 0 {
			t.Errorf("row %d: %v", rec.Row, rec.Problems)
		}
	}
}
