package csvio

import (
	"bytes"
	"fmt"
	"io"
	"runtime"
	"strconv"
	"testing"
	"time"

	"golang.org/x/text/encoding/japanese"

	"github.com/meibo/meibo"
)

// usersFile generates a users file of n rows as it is read, without holding
// it: names user0000001…, every tenth with Japanese text.
type usersFile struct {
	n, i int
	buf  []byte
	off  int
}

func newUsersFile(n int) *usersFile {
	return &usersFile{n: n, buf: []byte("name,password,email,admin,apiAccess,disabled,profile\r\n")}
}

func (g *usersFile) Read(p []byte) (int, error) {
	for len(g.buf)-g.off < len(p) && g.i < g.n {
		if g.off > 0 {
			g.buf = g.buf[:copy(g.buf, g.buf[g.off:])]
			g.off = 0
		}
		g.i++
		g.buf = appendUserRow(g.buf, g.i)
	}
	if g.off == len(g.buf) {
		return 0, io.EOF
	}
	k := copy(p, g.buf[g.off:])
	g.off += k
	return k, nil
}

func appendUserRow(b []byte, i int) []byte {
	b = append(b, "user"...)
	b = strconv.AppendInt(b, int64(i), 10)
	b = append(b, ",Secret-"...)
	b = strconv.AppendInt(b, int64(i*7919%100000), 10)
	b = append(b, ",user"...)
	b = strconv.AppendInt(b, int64(i), 10)
	b = append(b, "@example.com,"...)
	if i%3 == 0 {
		b = append(b, "true,false,false,"...)
	} else {
		b = append(b, "false,true,,"...)
	}
	if i%10 == 0 {
		b = append(b, "営業部"...)
	} else {
		b = append(b, "default"...)
	}
	return append(b, "\r\n"...)
}

// Reading a file of a million users holds far less than 256 MiB: no
// records are kept, only the names (to find duplicates).
func TestReadMillionUsersMemory(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("slow; run without -short and -race")
	}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	var peak uint64
	start := time.Now()
	rd, err := NewReader(newUsersFile(1_000_000), meibo.FormatUsers, Auto, 0)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for {
		rec, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if rec.HasErrors() {
			t.Fatalf("row %d: %v", rec.Row, rec.Problems)
		}
		n++
		if n%100_000 == 0 {
			runtime.GC() // what is live, not what waits for the collector
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapAlloc-base)
		}
	}
	runtime.ReadMemStats(&ms)
	t.Logf("%d rows in %v, live heap at most %.1f MiB, memory from the system %.1f MiB, detected %s",
		n, time.Since(start), float64(peak)/(1<<20), float64(ms.Sys)/(1<<20), rd.Detected())
	if n != 1_000_000 || rd.Detected() != UTF8 {
		t.Errorf("%d rows, %s", n, rd.Detected())
	}
	if peak > 96<<20 || ms.Sys > 192<<20 {
		t.Errorf("live heap %d MiB, from the system %d MiB", peak>>20, ms.Sys>>20)
	}
}

func BenchmarkReadUsers(b *testing.B) {
	const rows = 100_000
	data, _ := io.ReadAll(newUsersFile(rows))
	sjis, err := japanese.ShiftJIS.NewEncoder().Bytes(data)
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name string
		data []byte
		enc  Encoding
	}{{"utf-8", data, UTF8}, {"auto-utf-8", data, Auto}, {"cp932", sjis, CP932}, {"auto-cp932", sjis, Auto}} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(c.data)))
			b.ReportAllocs()
			for b.Loop() {
				rd, err := NewReader(bytes.NewReader(c.data), meibo.FormatUsers, c.enc, 0)
				if err != nil {
					b.Fatal(err)
				}
				n := 0
				for {
					rec, err := rd.Next()
					if err == io.EOF {
						break
					}
					if err != nil || rec.HasErrors() {
						b.Fatal(err, rec.Problems)
					}
					n++
				}
				if n != rows {
					b.Fatalf("%d rows", n)
				}
			}
			b.ReportMetric(float64(rows*b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

func BenchmarkWriteUsers(b *testing.B) {
	const rows = 1_000_000
	// A thousand distinct users, written round and round.
	users := make([]*meibo.User, 1000)
	for i := range users {
		users[i] = &meibo.User{Name: fmt.Sprintf("user%07d", i), Email: fmt.Sprintf("user%07d@example.com", i),
			Admin: i%3 == 0, APIAccess: i%5 == 0, ProfileName: "default"}
		if i%10 == 0 {
			users[i].ProfileName = "営業部"
		}
	}
	for _, enc := range []Encoding{UTF8, CP932} {
		b.Run(string(enc), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				w, err := NewUsersWriter(io.Discard, enc, enc == UTF8)
				if err != nil {
					b.Fatal(err)
				}
				for i := range rows {
					if err := w.Write(users[i%len(users)]); err != nil {
						b.Fatal(err)
					}
				}
				if err := w.Flush(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(rows*b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

func BenchmarkWriteAdmins(b *testing.B) {
	now := time.Now()
	a := &meibo.Admin{LoginID: "admin", GUID: "689A8AA7-39C7-4b10-9F32-6D360350DF12", Name: "管理者", Email: "admin@example.com",
		Authorities: meibo.EveryAuthority, LastSignInAt: &now}
	b.ReportAllocs()
	for b.Loop() {
		w, _ := NewAdminsWriter(io.Discard, CP932, false, time.UTC)
		for range 10_000 {
			if err := w.Write(a); err != nil {
				b.Fatal(err)
			}
		}
		w.Flush()
	}
}

// BenchmarkSeenNames is the duplicate check of a file's names alone, for
// files of 100,000, 2,000,000 and 10,000,000 distinct names: the cost of a
// name must not grow with the file (see seenSet). It reports the time a
// name and how many runs on disk the set ends with.
func BenchmarkSeenNames(b *testing.B) {
	for _, n := range []int{100_000, 2_000_000, 10_000_000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			names := make([]string, n)
			for i := range names {
				names[i] = fmt.Sprintf("user%08d", i)
			}
			runs := 0
			for b.Loop() {
				r := &Reader{}
				s := r.newSeenSet()
				for i, name := range names {
					if _, dup := s.first(name, i+2); dup {
						b.Fatalf("%s: a duplicate", name)
					}
				}
				if s.err != nil {
					b.Fatal(s.err)
				}
				if s.disk != nil {
					runs = len(s.disk.runs)
				}
				r.Close()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n*b.N), "ns/name")
			b.ReportMetric(float64(runs), "runs")
		})
	}
}
