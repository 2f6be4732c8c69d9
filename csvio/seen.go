package csvio

import (
	"bufio"
	"bytes"
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
// run in a hundred that does not), with one read of a block of the run. The
// file is written in order, a run at a time, and read a block at a time:
// a table on disk written and read a slot per name cost two system calls per
// name, most of the time of a file of millions. The file is unlinked as soon
// as it is created, so it disappears when it is closed or the process dies.
type seenSet struct {
	mem  map[[16]byte]int32
	disk *diskRuns
	err  error // the first I/O error of the runs (the reader then stops)
	off  bool  // see Reader.SkipDuplicates
}

// seenMemory is how many names a set keeps in memory before it writes them
// to disk as a run (a variable for tests).
var seenMemory = 500_000

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
			if s.disk, s.err = newDiskRuns(); s.err != nil {
				return 0, false
			}
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

// diskRuns are sorted runs of names in one temporary file, one after another.
type diskRuns struct {
	f       *os.File
	end     int64 // where the next run goes
	runs    []run
	cleanup runtime.Cleanup
}

// run is a sorted run of entries at off: its Bloom filter and the first key
// of each of its blocks.
type run struct {
	off    int64
	n      int
	bloom  bloom
	starts [][16]byte
}

func newDiskRuns() (*diskRuns, error) {
	f, err := os.CreateTemp("", "meibo-seen-*")
	if err != nil {
		return nil, fmt.Errorf("csvio: temporary file for the names of a file: %w", err)
	}
	// Unlinked at once: the file lives as long as it is open.
	os.Remove(f.Name())
	d := &diskRuns{f: f}
	d.cleanup = runtime.AddCleanup(d, func(f *os.File) { f.Close() }, f)
	return d, nil
}

func (d *diskRuns) close() {
	d.cleanup.Stop()
	d.f.Close()
}

// write adds the entries of mem as a new run.
func (d *diskRuns) write(mem map[[16]byte]int32) error {
	keys := make([][16]byte, 0, len(mem))
	for k := range mem {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b [16]byte) int { return bytes.Compare(a[:], b[:]) })
	r := run{off: d.end, n: len(keys), bloom: newBloom(len(keys))}
	w := bufio.NewWriterSize(io.NewOffsetWriter(d.f, d.end), 1<<16)
	var e [entrySize]byte
	for i, k := range keys {
		if i%blockEntries == 0 {
			r.starts = append(r.starts, k)
		}
		r.bloom.add(k)
		copy(e[:], k[:])
		binary.LittleEndian.PutUint32(e[16:], uint32(mem[k]))
		if _, err := w.Write(e[:]); err != nil {
			return fmt.Errorf("csvio: writing the names of a file: %w", err)
		}
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("csvio: writing the names of a file: %w", err)
	}
	d.end += int64(len(keys)) * entrySize
	d.runs = append(d.runs, r)
	return nil
}

// find returns the row of k in a run, if one holds it.
func (d *diskRuns) find(k [16]byte) (int32, bool, error) {
	var buf [blockEntries * entrySize]byte
	for i := range d.runs {
		r := &d.runs[i]
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
		if _, err := d.f.ReadAt(block, r.off+int64(b*blockEntries*entrySize)); err != nil {
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

// bloom is a Bloom filter of 128-bit hashes: about 10 bits a key and 7
// probes, which answer "maybe" for about one key in a hundred not in it.
type bloom struct {
	bits []uint64
	m    uint64
}

const bloomProbes = 7

func newBloom(n int) bloom {
	m := uint64(max(64, 10*n))
	return bloom{bits: make([]uint64, (m+63)/64), m: m}
}

// probes derives the filter's probes from the hash (Kirsch and
// Mitzenmacher: h1 + i·h2). The bits of an FNV hash of similar short names
// cluster: both halves are mixed first (SplitMix64's finalizer).
func probes(k [16]byte) (h1, h2 uint64) {
	lo, hi := binary.LittleEndian.Uint64(k[:8]), binary.LittleEndian.Uint64(k[8:])
	return mix64(lo ^ hi), mix64(hi+0x9E3779B97F4A7C15*lo) | 1
}

func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xBF58476D1CE4E5B9
	x ^= x >> 27
	x *= 0x94D049BB133111EB
	return x ^ x>>31
}

func (b *bloom) add(k [16]byte) {
	h1, h2 := probes(k)
	for i := range uint64(bloomProbes) {
		p := (h1 + i*h2) % b.m
		b.bits[p/64] |= 1 << (p % 64)
	}
}

func (b *bloom) has(k [16]byte) bool {
	h1, h2 := probes(k)
	for i := range uint64(bloomProbes) {
		p := (h1 + i*h2) % b.m
		if b.bits[p/64]&(1<<(p%64)) == 0 {
			return false
		}
	}
	return true
}
