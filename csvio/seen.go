package csvio

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"runtime"
	"slices"
)

// seenSet remembers the names (or IDs) of a file to find duplicates, by their
// 128-bit FNV-1a hash and the row of their first appearance. Two different
// names sharing a 128-bit hash is too unlikely to matter (the chance in a file
// of ten million names is about 10⁻²⁵).
//
// The newest seenMemory names are kept in memory (some 40 bytes each); when
// there are that many, they are sorted and written to a temporary file as a
// run, so that the memory a file needs grows by little more than a Bloom
// filter per run (10 bits a name) and a sparse index of it. A name not in
// memory is looked for only in the runs whose filter may hold it (about one
// run in a hundred that does not), with one read of a block of the run. Runs
// are merged as they accumulate, mergeRuns of one size into one run of the
// next (as a counter carries), so that a name is checked against a handful of
// filters whatever the size of the file (ten million names make four runs;
// unmerged, they would make forty, and a name near the end of the file would
// cost three times one near its start). Merging also lets the part kept in
// memory be small: a smaller table is faster to look in, and takes less
// memory. Each run is written in order and read a block at a time: a table on
// disk written and read a slot per name cost two system calls per name, most
// of the time of a file of millions. Each run's file is unlinked as soon as it
// is created, so it disappears when it is closed (a merged run's at once) or
// the process dies.
type seenSet struct {
	mem  map[[16]byte]int32
	disk *diskRuns
	err  error // the first I/O error of the runs (the reader then stops)
	off  bool  // see Reader.SkipDuplicates
}

// seenMemory is how many names a set keeps in memory before it writes them
// to disk as a run (a variable for tests).
var seenMemory = 250_000

// newSeenSet returns an empty set whose file (if it comes to one) is closed
// when the reader is.
func (r *Reader) newSeenSet() *seenSet {
	s := &seenSet{mem: map[[16]byte]int32{}}
	r.sets = append(r.sets, s)
	return s
}

// first returns the row where name appeared first, or records it at row.
func (s *seenSet) first(name string, row int) (int32, bool) {
	if s.off || s.err != nil {
		return 0, false
	}
	h := fnv.New128a()
	h.Write([]byte(name))
	var k [16]byte
	h.Sum(k[:0])
	if r, ok := s.mem[k]; ok {
		return r, true
	}
	if s.disk != nil {
		r, ok, err := s.disk.find(k)
		if err != nil {
			s.err = err
			return 0, false
		}
		if ok {
			return r, true
		}
	}
	s.mem[k] = int32(row)
	if len(s.mem) >= seenMemory {
		if s.disk == nil {
			s.disk = &diskRuns{}
		}
		if s.err = s.disk.write(s.mem); s.err != nil {
			return 0, false
		}
		clear(s.mem)
	}
	return 0, false
}

// SkipDuplicates stops the reader from looking for names (or IDs) that
// appear twice: for a second reading of a file that the first found without
// any, which then needs neither the memory nor the file of the names.
func (r *Reader) SkipDuplicates() {
	for _, s := range r.sets {
		s.close()
		s.off = true
	}
}

// close releases the set's file, if any.
func (s *seenSet) close() {
	if s.disk != nil {
		s.disk.close()
		s.disk = nil
	}
	s.mem = nil
}

// entrySize is an entry of a run: the 16-byte hash, then the row (4 bytes,
// little-endian).
const entrySize = 20

// blockEntries is how many entries one read of a run fetches: the sparse
// index of a run holds every blockEntries-th key.
const blockEntries = 128

// mergeRuns is how many runs of one size are merged into one run.
const mergeRuns = 4

// diskRuns are the sorted runs of a set, oldest (and largest) first.
type diskRuns struct {
	runs []*run
	es   []entry // the entries of the run being written, kept for the next
}

// entry is a name's hash as two integers whose order is its bytes' order,
// and its row.
type entry struct {
	hi, lo uint64
	row    uint32
}

// run is a sorted run of entries in a file of its own: its Bloom filter, the
// first key of each of its blocks, and its level (a run written from memory
// is of level 0; mergeRuns runs of level l make one of level l+1).
type run struct {
	f       *os.File
	n       int
	level   int
	bloom   bloom
	starts  [][16]byte
	cleanup runtime.Cleanup
}

func (d *diskRuns) close() {
	for _, r := range d.runs {
		r.close()
	}
	d.runs = nil
}

// newRun creates the (unlinked) file of a run of n entries.
func newRun(n, level int) (*run, error) {
	f, err := os.CreateTemp("", "meibo-seen-*")
	if err != nil {
		return nil, fmt.Errorf("csvio: temporary file for the names of a file: %w", err)
	}
	// Unlinked at once: the file lives as long as it is open.
	os.Remove(f.Name())
	r := &run{f: f, n: n, level: level, bloom: newBloom(n)}
	r.cleanup = runtime.AddCleanup(r, func(f *os.File) { f.Close() }, f)
	return r, nil
}

func (r *run) close() {
	r.cleanup.Stop()
	r.f.Close()
}

// runWriter writes the entries of a run in key order, keeping its filter
// and sparse index.
type runWriter struct {
	r *run
	w *bufio.Writer
	i int
	e [entrySize]byte
}

func (r *run) writer() *runWriter {
	return &runWriter{r: r, w: bufio.NewWriterSize(r.f, 1<<16)}
}

func (w *runWriter) add(k [16]byte, row uint32) error {
	if w.i%blockEntries == 0 {
		w.r.starts = append(w.r.starts, k)
	}
	w.i++
	w.r.bloom.add(k)
	copy(w.e[:], k[:])
	binary.LittleEndian.PutUint32(w.e[16:], row)
	if _, err := w.w.Write(w.e[:]); err != nil {
		return fmt.Errorf("csvio: writing the names of a file: %w", err)
	}
	return nil
}

func (w *runWriter) flush() error {
	if err := w.w.Flush(); err != nil {
		return fmt.Errorf("csvio: writing the names of a file: %w", err)
	}
	return nil
}

// write adds the entries of mem as a new run, then merges runs while the
// newest mergeRuns are of one level.
func (d *diskRuns) write(mem map[[16]byte]int32) error {
	// The entries are read out of the map once, as pairs of integers whose
	// order is the keys' byte order, and sorted so.
	es := d.es[:0]
	for k, row := range mem {
		es = append(es, entry{binary.BigEndian.Uint64(k[:8]), binary.BigEndian.Uint64(k[8:]), uint32(row)})
	}
	d.es = es
	slices.SortFunc(es, func(a, b entry) int {
		if c := cmp.Compare(a.hi, b.hi); c != 0 {
			return c
		}
		return cmp.Compare(a.lo, b.lo)
	})
	r, err := newRun(len(es), 0)
	if err != nil {
		return err
	}
	w := r.writer()
	var k [16]byte
	for _, e := range es {
		binary.BigEndian.PutUint64(k[:8], e.hi)
		binary.BigEndian.PutUint64(k[8:], e.lo)
		if err := w.add(k, e.row); err != nil {
			r.close()
			return err
		}
	}
	if err := w.flush(); err != nil {
		r.close()
		return err
	}
	d.runs = append(d.runs, r)
	for {
		n := len(d.runs)
		if n < mergeRuns {
			return nil
		}
		last := d.runs[n-mergeRuns:]
		if last[0].level != last[mergeRuns-1].level {
			return nil // levels only fall along the list: no carry
		}
		// The runs merged leave the set first, and their filters and
		// indexes with them, whose memory may then serve the merged run's
		// (should the merge fail, the set stops).
		d.runs = d.runs[:n-mergeRuns]
		for _, r := range last {
			r.bloom, r.starts = bloom{}, nil
		}
		m, err := merge(last)
		for _, r := range last {
			r.close()
		}
		if err != nil {
			return err
		}
		d.runs = append(d.runs, m)
	}
}

// merge writes the entries of runs (no key in two of them) as one run of
// the next level.
func merge(runs []*run) (*run, error) {
	n := 0
	type head struct {
		rd   *bufio.Reader
		e    [entrySize]byte
		left int
	}
	heads := make([]*head, 0, len(runs))
	for _, r := range runs {
		n += r.n
		h := &head{rd: bufio.NewReaderSize(io.NewSectionReader(r.f, 0, int64(r.n)*entrySize), 1<<16), left: r.n}
		heads = append(heads, h)
	}
	next := func(h *head) error {
		if h.left == 0 {
			return nil
		}
		if _, err := io.ReadFull(h.rd, h.e[:]); err != nil {
			return fmt.Errorf("csvio: reading the names of a file: %w", err)
		}
		return nil
	}
	for _, h := range heads {
		if err := next(h); err != nil {
			return nil, err
		}
	}
	m, err := newRun(n, runs[0].level+1)
	if err != nil {
		return nil, err
	}
	w := m.writer()
	fail := func(err error) (*run, error) {
		m.close()
		return nil, err
	}
	for range n {
		var low *head
		for _, h := range heads {
			if h.left > 0 && (low == nil || bytes.Compare(h.e[:16], low.e[:16]) < 0) {
				low = h
			}
		}
		if err := w.add([16]byte(low.e[:16]), binary.LittleEndian.Uint32(low.e[16:])); err != nil {
			return fail(err)
		}
		low.left--
		if err := next(low); err != nil {
			return fail(err)
		}
	}
	if err := w.flush(); err != nil {
		return fail(err)
	}
	return m, nil
}

// find returns the row of k in a run, if one holds it.
func (d *diskRuns) find(k [16]byte) (int32, bool, error) {
	var buf [blockEntries * entrySize]byte
	for _, r := range d.runs {
		if !r.bloom.has(k) {
			continue
		}
		// The block whose first key is the last one not after k.
		b, found := slices.BinarySearchFunc(r.starts, k, func(a, b [16]byte) int { return bytes.Compare(a[:], b[:]) })
		if !found {
			if b == 0 {
				continue
			}
			b--
		}
		n := min(blockEntries, r.n-b*blockEntries)
		block := buf[:n*entrySize]
		if _, err := r.f.ReadAt(block, int64(b*blockEntries*entrySize)); err != nil {
			return 0, false, fmt.Errorf("csvio: reading the names of a file: %w", err)
		}
		lo, hi := 0, n
		for lo < hi {
			m := (lo + hi) / 2
			if c := bytes.Compare(block[m*entrySize:m*entrySize+16], k[:]); c < 0 {
				lo = m + 1
			} else {
				hi = m
			}
		}
		if lo < n && [16]byte(block[lo*entrySize:lo*entrySize+16]) == k {
			return int32(binary.LittleEndian.Uint32(block[lo*entrySize+16:])), true, nil
		}
	}
	return 0, false, nil
}

// bloom is a blocked Bloom filter of 128-bit hashes: about 10 bits a key
// and 7 probes, all in one block of 512 bits (a cache line), which answer
// "maybe" for about one key in a hundred not in it. A key costs one read of
// memory in each filter it is checked against, not seven.
type bloom struct {
	bits   []uint64
	blocks uint64
}

const (
	bloomProbes = 7
	blockWords  = 8 // 512 bits
)

func newBloom(n int) bloom {
	blocks := uint64(max(1, (10*n+511)/512))
	return bloom{bits: make([]uint64, blocks*blockWords), blocks: blocks}
}

// probes derives the filter's block and probes from the hash. The bits of
// an FNV hash of similar short names cluster: both halves are mixed first
// (SplitMix64's finalizer).
func probes(k [16]byte) (block, bits uint64) {
	lo, hi := binary.LittleEndian.Uint64(k[:8]), binary.LittleEndian.Uint64(k[8:])
	return mix64(lo ^ hi), mix64(hi + 0x9E3779B97F4A7C15*lo)
}

func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xBF58476D1CE4E5B9
	x ^= x >> 27
	x *= 0x94D049BB133111EB
	return x ^ x>>31
}

// block returns the block of the filter that k's probes fall in, and the
// bits of the hash that place them (9 a probe).
func (b *bloom) block(k [16]byte) ([]uint64, uint64) {
	h, bits := probes(k)
	return b.bits[(h%b.blocks)*blockWords:][:blockWords], bits
}

func (b *bloom) add(k [16]byte) {
	w, bits := b.block(k)
	for range bloomProbes {
		p := bits & 511
		w[p/64] |= 1 << (p % 64)
		bits >>= 9
	}
}

func (b *bloom) has(k [16]byte) bool {
	w, bits := b.block(k)
	for range bloomProbes {
		p := bits & 511
		if w[p/64]&(1<<(p%64)) == 0 {
			return false
		}
		bits >>= 9
	}
	return true
}
