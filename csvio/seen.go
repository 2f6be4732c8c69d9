package csvio

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"io"
	"math/bits"
	"os"
	"runtime"
)

// seenSet remembers the names (or IDs) of a file to find duplicates, by their
// 128-bit FNV-1a hash and the row of their first appearance. Two different
// names sharing a 128-bit hash is too unlikely to matter (the chance in a file
// of ten million names is about 10⁻²⁵).
//
// The first seenMemory names are kept in memory (some 40 bytes each); past
// them, the set moves to a hash table in a temporary file, so that the
// memory a file needs does not grow with its size: a lookup is then one read
// of the file (from the system's page cache, not the process's memory) and
// an insertion one write. The file is unlinked as soon as it is created, so
// it disappears when it is closed or the process dies.
type seenSet struct {
	mem  map[[16]byte]int32
	disk *diskSet
	err  error // the first I/O error of the disk table (the reader then stops)
	off  bool  // see Reader.SkipDuplicates
}

// seenMemory is how many names a set keeps in memory before it moves to disk
// (a variable for tests).
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
	if s.off {
		return 0, false
	}
	h := fnv.New128a()
	h.Write([]byte(name))
	var k [16]byte
	h.Sum(k[:0])
	if s.disk == nil {
		if r, ok := s.mem[k]; ok {
			return r, true
		}
		if len(s.mem) < seenMemory {
			s.mem[k] = int32(row)
			return 0, false
		}
		if s.err != nil {
			return 0, false
		}
		d, err := newDiskSet(2 * len(s.mem))
		if err == nil {
			for k, r := range s.mem {
				if _, _, err = d.first(k, r); err != nil {
					break
				}
			}
		}
		if err != nil {
			if d != nil {
				d.close()
			}
			s.err = err
			return 0, false
		}
		s.disk, s.mem = d, nil
	}
	if s.err != nil {
		return 0, false
	}
	r, dup, err := s.disk.first(k, int32(row))
	if err != nil {
		s.err = err
	}
	return r, dup
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

// slotSize is a slot of the disk table: the 16-byte hash, then the row
// (4 bytes, little-endian; 0 marks an empty slot: rows start at 1).
const slotSize = 20

// diskSet is an open-addressing hash table (linear probing) of slots in a
// file, kept at most half full; it doubles into a new file when it would
// be fuller.
type diskSet struct {
	f       *os.File
	slots   uint64 // a power of two
	n       int
	cleanup runtime.Cleanup
}

func newDiskSet(atLeast int) (*diskSet, error) {
	slots := uint64(1 << 16)
	for slots < uint64(2*atLeast) {
		slots *= 2
	}
	f, err := os.CreateTemp("", "meibo-seen-*")
	if err != nil {
		return nil, fmt.Errorf("csvio: temporary file for the names of a file: %w", err)
	}
	// Unlinked at once: the file lives as long as it is open.
	os.Remove(f.Name())
	if err := f.Truncate(int64(slots) * slotSize); err != nil { // a sparse file of empty slots
		f.Close()
		return nil, fmt.Errorf("csvio: temporary file for the names of a file: %w", err)
	}
	d := &diskSet{f: f, slots: slots}
	d.cleanup = runtime.AddCleanup(d, func(f *os.File) { f.Close() }, f)
	return d, nil
}

func (d *diskSet) close() {
	d.cleanup.Stop()
	d.f.Close()
}

// probe is how many slots one read fetches: with the table at most half
// full, the slot sought is nearly always among them.
const probe = 4

// first is seenSet.first on the table.
func (d *diskSet) first(k [16]byte, row int32) (int32, bool, error) {
	if 2*(d.n+1) > int(d.slots) {
		if err := d.grow(); err != nil {
			return 0, false, err
		}
	}
	var buf [probe * slotSize]byte
	i := slotOf(k, d.slots)
	for {
		// Read up to probe slots from i, not past the end of the table.
		n := min(uint64(probe), d.slots-i)
		b := buf[:n*slotSize]
		if _, err := d.f.ReadAt(b, int64(i)*slotSize); err != nil {
			return 0, false, fmt.Errorf("csvio: reading the names of a file: %w", err)
		}
		for j := range n {
			s := b[j*slotSize : (j+1)*slotSize]
			r := int32(binary.LittleEndian.Uint32(s[16:]))
			if r == 0 {
				var w [slotSize]byte
				copy(w[:], k[:])
				binary.LittleEndian.PutUint32(w[16:], uint32(row))
				if _, err := d.f.WriteAt(w[:], int64(i+j)*slotSize); err != nil {
					return 0, false, fmt.Errorf("csvio: writing the names of a file: %w", err)
				}
				d.n++
				return 0, false, nil
			}
			if [16]byte(s[:16]) == k {
				return r, true, nil
			}
		}
		i = (i + n) & (d.slots - 1)
	}
}

// slotOf is the home slot of k in a table of slots (a power of two). The
// bits of an FNV hash of similar short names cluster: both halves are mixed
// (Fibonacci hashing) and the top bits taken.
func slotOf(k [16]byte, slots uint64) uint64 {
	h := (binary.LittleEndian.Uint64(k[:8]) ^ binary.LittleEndian.Uint64(k[8:])) * 0x9E3779B97F4A7C15
	return h >> (64 - bits.TrailingZeros64(slots))
}

// grow moves the table into a new file of twice the slots, reading the old
// one in order.
func (d *diskSet) grow() error {
	nd, err := newDiskSet(int(d.slots))
	if err != nil {
		return err
	}
	buf := make([]byte, 4096*slotSize)
	for off := int64(0); off < int64(d.slots)*slotSize; off += int64(len(buf)) {
		n, err := d.f.ReadAt(buf, off)
		if err != nil && err != io.EOF {
			nd.close()
			return fmt.Errorf("csvio: reading the names of a file: %w", err)
		}
		for s := 0; s+slotSize <= n; s += slotSize {
			r := int32(binary.LittleEndian.Uint32(buf[s+16 : s+slotSize]))
			if r == 0 {
				continue
			}
			if _, _, err := nd.first([16]byte(buf[s:s+16]), r); err != nil {
				nd.close()
				return err
			}
		}
	}
	d.close()
	*d = diskSet{f: nd.f, slots: nd.slots, n: nd.n}
	d.cleanup = runtime.AddCleanup(d, func(f *os.File) { f.Close() }, nd.f)
	nd.cleanup.Stop()
	return nil
}
